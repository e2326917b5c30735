using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;pollingChannel&gt;</c> (ty 15, key = its <c>ri</c>), the one an AE that cannot be reached
/// (<c>rr</c> false, or no point of access) creates under itself: requests and notifications for the AE are queued
/// here, stored, and handed to the AE when it retrieves the virtual <c>pcu</c> (TS-0001 10.2.5.x, TS-0004 7.4.16,
/// as ACME serves it).
/// </summary>
[Alias("VirtualIoT.IPollingChannelGrain")]
public interface IPollingChannelGrain : IClusterResourceGrain, IPollingChannelUriGrain
{
    /// <summary>
    /// Queues a request for the AE (stored before this returns) and wakes a waiting poll. False when the channel no
    /// longer exists.
    /// </summary>
    [Alias("Enqueue")]
    ValueTask<bool> Enqueue(PolledRequest request);
}

/// <summary>
/// The binding-facing side of a polling channel's virtual <c>pcu</c>: a retrieve takes what is queued (or registers a
/// waiter, for the binding to wait outside any grain turn), a NOTIFY carries the AE's response to a request it took.
/// </summary>
[Alias("VirtualIoT.IPollingChannelUriGrain")]
public interface IPollingChannelUriGrain : IResourceGrain
{
    /// <summary>
    /// A retrieve of <c>pcu</c> by <paramref name="originator"/>: 2000 with the oldest queued request
    /// (<c>m2m:rqp</c>) or, with <c>rqag</c>, every queued one (<c>m2m:agrp</c>), taken off the queue; an error (4004,
    /// 4103); or null when nothing is queued, after registering <paramref name="waiter"/> to be told when something is.
    /// </summary>
    [Alias("Poll")]
    ValueTask<ResourceResponse?> Poll(string originator, IPollingChannelObserver waiter);

    /// <summary>The poll that registered <paramref name="waiter"/> has given up (timed out, or its client left).</summary>
    [Alias("StopWaiting"), OneWay]
    ValueTask StopWaiting(IPollingChannelObserver waiter);

    /// <summary>
    /// A NOTIFY to <c>pcu</c> by <paramref name="originator"/> carrying <paramref name="content"/> under
    /// <paramref name="contentRoot"/>: the AE's response (<c>m2m:rsp</c>) to a request it polled; 2000, or the error.
    /// </summary>
    [Alias("Respond")]
    ValueTask<ResourceResponse> Respond(string originator, string? contentRoot, Dictionary<string, object?>? content);
}

/// <summary>A poll waiting on a polling channel (implemented by the binding that holds the poll).</summary>
[Alias("VirtualIoT.IPollingChannelObserver")]
public interface IPollingChannelObserver : IGrainObserver
{
    /// <summary>Something was queued: poll again.</summary>
    [Alias("Queued"), OneWay]
    Task Queued();
}

/// <summary>
/// Where a request sent to an AE through its polling channel waits for the AE's response (key = the AE-ID). Reentrant
/// and held in memory only, like the MQTT connection grain: a response is only awaited while its sender waits.
/// </summary>
[Alias("VirtualIoT.IPollingResponseGrain")]
public interface IPollingResponseGrain : IGrainWithStringKey
{
    /// <summary>Waits up to <paramref name="timeout"/> for the response to <paramref name="requestId"/>: its <c>rsc</c>, or null.</summary>
    [Alias("Wait")]
    Task<ResponseStatusCode?> Wait(string requestId, TimeSpan timeout);

    /// <summary>The AE's response to <paramref name="requestId"/> arrived, with <paramref name="status"/> as its <c>rsc</c>.</summary>
    [Alias("Answered"), OneWay]
    Task Answered(string requestId, ResponseStatusCode? status);
}

/// <summary>A request queued on a polling channel for its AE.</summary>
/// <param name="RequestId"><c>rqi</c>: the notification ID (the same on every retry).</param>
/// <param name="Primitive">The request primitive as the AE receives it (<c>op</c>, <c>to</c>, <c>fr</c>, <c>rqi</c>, <c>rvi</c>, <c>pc</c>, <c>ec</c>, <c>rqet</c>).</param>
/// <param name="Expires">When the request is void and leaves the queue unpolled (canonical timestamp).</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.PolledRequest")]
public sealed record PolledRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] Dictionary<string, object?> Primitive,
    [property: Id(2)] string Expires);
