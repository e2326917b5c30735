namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;request&gt;</c> (ty 17, key = its <c>ri</c>): the record of a non-blocking request (TS-0001
/// 8.2.2, TS-0004 7.3.2.x), created by the CSE only, under the CSEBase. Its originator retrieves the outcome
/// (<c>rs</c>, <c>ors</c>) from it, or deletes it; it is deleted at its expiration time (the request's <c>rset</c>).
/// </summary>
[Alias("VirtualIoT.IRequestGrain")]
public interface IRequestGrain : IClusterResourceGrain, INonBlockingRequestGrain
{
}

/// <summary>The binding-facing side of a <c>&lt;request&gt;</c>: the pipeline opens it before answering 1001/1002 and completes it when the operation has run.</summary>
[Alias("VirtualIoT.INonBlockingRequestGrain")]
public interface INonBlockingRequestGrain : IResourceGrain
{
    /// <summary>
    /// Stores the <c>&lt;request&gt;</c> for <paramref name="request"/> (status pending) before this returns: 2001 with
    /// its attributes, or the error that refused it. Opening an open request again with the same record answers as
    /// the first time.
    /// </summary>
    [Alias("Open")]
    ValueTask<ResourceResponse> Open(NonBlockingRequest request);

    /// <summary>
    /// Stores the outcome of the operation (<c>rs</c>, <c>ors</c>). For a nonBlockingRequestAsynch request, returns the
    /// result notification (<c>m2m:rsp</c>) for the caller to send to its targets; null otherwise, or when the
    /// <c>&lt;request&gt;</c> has expired or was deleted meanwhile (the result is no longer wanted).
    /// </summary>
    [Alias("Complete")]
    ValueTask<PendingNotification?> Complete(ResourceResponse outcome);
}

/// <summary>A request a binding accepted as non-blocking (<c>rt</c> 1 or 2), as its <c>&lt;request&gt;</c> records it.</summary>
/// <param name="Request">The request primitive as parsed.</param>
/// <param name="Target">The target address as sent (<c>tg</c>).</param>
/// <param name="ResponseType"><c>rt</c>: <see cref="ResponseType.NonBlockingSynch"/> or <see cref="ResponseType.NonBlockingAsynch"/>.</param>
/// <param name="RequestExpiration"><c>rqet</c>, canonical, or null.</param>
/// <param name="ResultExpiration"><c>rset</c>, canonical, or null: the <c>&lt;request&gt;</c> expires then (else after the configured default).</param>
/// <param name="ExecutionTime"><c>oet</c>, canonical, or null.</param>
/// <param name="ResponseTargets">
/// <c>rtu</c> (<c>rt.nu</c>, <c>X-M2M-RTU</c>): where the result of a nonBlockingRequestAsynch request is notified; null
/// when absent (then to the originator, as ACME does); an empty list asks for no notification.
/// </param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.NonBlockingRequest")]
public sealed record NonBlockingRequest(
    [property: Id(0)] ResourceRequest Request,
    [property: Id(1)] string Target,
    [property: Id(2)] ResponseType ResponseType,
    [property: Id(3)] string? RequestExpiration,
    [property: Id(4)] string? ResultExpiration,
    [property: Id(5)] string? ExecutionTime,
    [property: Id(6)] IReadOnlyList<string>? ResponseTargets);
