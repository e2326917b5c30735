namespace VirtualIoT;

/// <summary>An expected oneM2M failure: a status code and a message for <c>m2m:dbg</c>.</summary>
/// <param name="Code">The response status code.</param>
/// <param name="Message">Human-readable reason, sent as <c>m2m:dbg</c>.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.OneM2MError")]
public sealed record OneM2MError([property: Id(0)] ResponseStatusCode Code, [property: Id(1)] string Message)
{
    /// <summary>4000 with a message.</summary>
    public static OneM2MError BadRequest(string message) => new(ResponseStatusCode.BadRequest, message);

    /// <summary>4004 with a message.</summary>
    public static OneM2MError NotFound(string message = "resource not found") => new(ResponseStatusCode.NotFound, message);

    /// <summary>4005 with a message.</summary>
    public static OneM2MError NotAllowed(string message) => new(ResponseStatusCode.OperationNotAllowed, message);
}
