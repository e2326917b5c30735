namespace VirtualIoT;

/// <summary>
/// A create a parent carried out, remembered under its originator's request identifier (<c>rqi</c>) so that a
/// repeat of the same request (a gateway or device retrying after a silo died with the answer on its way) gets
/// the original outcome instead of a second resource. Stored in the same write as the create itself.
/// </summary>
/// <param name="Originator">The request's <c>fr</c>.</param>
/// <param name="RequestId">The request's <c>rqi</c>.</param>
/// <param name="Fingerprint">Hash of the request's <c>ty</c> and content: the same <c>rqi</c> with other content is a new request.</param>
/// <param name="ResourceId">The created resource's <c>ri</c>.</param>
/// <param name="Name">The created resource's <c>rn</c>.</param>
/// <param name="CompletedTicks">UTC ticks when the create was stored; entries older than the window are forgotten.</param>
/// <param name="Released">The resource gave its name up (deleted): the record answers no repeat, but still counts against the bounds.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.CompletedCreate")]
public sealed record CompletedCreate(
    [property: Id(0)] string Originator,
    [property: Id(1)] string RequestId,
    [property: Id(2)] ulong Fingerprint,
    [property: Id(3)] string ResourceId,
    [property: Id(4)] string Name,
    [property: Id(5)] long CompletedTicks,
    [property: Id(6)] bool Released = false);
