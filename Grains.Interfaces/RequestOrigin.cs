namespace VirtualIoT;

/// <summary>
/// Where a oneM2M request entered the cluster: the protocol binding that received it and, for a binding running
/// inside a silo (the embedded default), that silo. A binding puts it in Orleans' <see cref="RequestContext"/> before
/// its grain call, so it travels with the request and every grain call the request causes. Placement reads it to
/// activate a device's grains on the silo its requests arrive at, and a resource grain reads it to count whether
/// the request reached it without a cross-silo hop (see docs/scaling.md, "Locality").
/// </summary>
[GenerateSerializer, Immutable, Alias("VirtualIoT.RequestOrigin")]
public sealed record RequestOrigin(
    [property: Id(0)] string Binding,
    [property: Id(1)] SiloAddress? Silo)
{
    /// <summary>The <see cref="RequestContext"/> key the origin is stored under.</summary>
    public const string ContextKey = "vi-origin";

    /// <summary>The origin of the request being handled, or null for a call no binding made (timers, reminders).</summary>
    public static RequestOrigin? Current => RequestContext.Get(ContextKey) as RequestOrigin;

    /// <summary>The origin in a request context captured by Orleans (a placement decision), or null.</summary>
    public static RequestOrigin? In(IReadOnlyDictionary<string, object>? requestContextData) =>
        requestContextData is not null && requestContextData.TryGetValue(ContextKey, out var value) ? value as RequestOrigin : null;

    /// <summary>Marks the calls that follow on this asynchronous flow as caused by a request from this origin.</summary>
    public void MarkCurrent() => RequestContext.Set(ContextKey, this);
}
