using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.PollingChannel;

/// <summary>
/// A <c>&lt;pollingChannel&gt;</c> (ty 15), keyed by its <c>ri</c>: the stored queue of requests for its AE (owner),
/// which takes them by retrieving the virtual <c>pcu</c> and answers each with a NOTIFY of its response to
/// <c>pcu</c> (as ACME serves it). Every turn is short: a poll that finds nothing registers its waiter and returns,
/// the binding waits outside any grain turn, and a request queued later tells the waiters to poll again. Only the
/// AE itself may create it (one per AE), poll it and answer through it.
/// </summary>
internal sealed partial class PollingChannelGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    IOptions<NotificationOptions> notificationOptions,
    ILogger<PollingChannelGrain> logger) : ResourceGrain(store, options, logger), IPollingChannelGrain
{
    private readonly NotificationOptions _notifications = notificationOptions.Value;
    private readonly HashSet<IPollingChannelObserver> _waiters = [];

    protected override ResourcePolicy Policy => PollingChannelPolicy.Rules;

    private PollingQueue Queue => Specific<PollingQueue>();

    public async ValueTask<ResourceResponse?> Poll(string originator, IPollingChannelObserver waiter)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        if (Refuse(originator, "poll") is { } refused)
        {
            return refused;
        }

        var now = Now();
        var expired = DropExpired(now);
        if (Queue.Requests.Count == 0)
        {
            if (expired)
            {
                await WriteStateAsync();
            }

            _waiters.Add(waiter);
            return null;
        }

        _waiters.Remove(waiter);
        var aggregate = State.Attributes.GetValueOrDefault(PollingChannelPolicy.RequestAggregation) is true;
        var taken = aggregate ? Queue.Requests.Count : 1;
        var requests = Queue.Requests.GetRange(0, taken);
        Queue.Requests.RemoveRange(0, taken);
        try
        {
            await WriteStateAsync();
        }
        catch
        {
            Queue.Requests.InsertRange(0, requests);
            throw;
        }

        // One request as m2m:rqp; with rqag every queued one in m2m:agrp, each a bare primitive (as ACME answers).
        object content = aggregate
            ? new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:agrp"] = requests.Select(r => (object?)r.Primitive).ToList() }
            : new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:rqp"] = requests[0].Primitive };
        return new ResourceResponse(ResponseStatusCode.Ok, content);
    }

    public ValueTask StopWaiting(IPollingChannelObserver waiter)
    {
        _waiters.Remove(waiter);
        return ValueTask.CompletedTask;
    }

    public ValueTask<ResourceResponse> Respond(string originator, string? contentRoot, Dictionary<string, object?>? content)
    {
        if (Refuse(originator, "answer through") is { } refused)
        {
            return ValueTask.FromResult(refused);
        }

        if (contentRoot != "m2m:rsp" || content is null)
        {
            return ValueTask.FromResult(ResourceResponse.Error(ResponseStatusCode.BadRequest,
                $"a NOTIFY to pcu carries the AE's response to a polled request (m2m:rsp), not {contentRoot ?? "nothing"}"));
        }

        if (content.GetValueOrDefault("rqi") is not string { Length: > 0 } requestId)
        {
            return ValueTask.FromResult(ResourceResponse.Error(ResponseStatusCode.BadRequest, "the response (m2m:rsp) has no rqi (request identifier)"));
        }

        if (content.GetValueOrDefault("rsc") is not long rsc || !Enum.IsDefined((ResponseStatusCode)rsc))
        {
            return ValueTask.FromResult(ResourceResponse.Error(ResponseStatusCode.BadRequest, "the response (m2m:rsp) has no valid rsc (response status code)"));
        }

        // One-way: the sender of the request waits for this answer in the AE's response grain, outside this turn.
        _ = GrainFactory.GetGrain<IPollingResponseGrain>(State.Owner).Answered(requestId, (ResponseStatusCode)rsc);
        return ValueTask.FromResult(new ResourceResponse(ResponseStatusCode.Ok));
    }

    public async ValueTask<bool> Enqueue(PolledRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsLive(Now()))
        {
            return false;
        }

        DropExpired(Now());
        var dropped = Queue.Requests.Count >= _notifications.PollingQueueLimit ? Queue.Requests[0] : null;
        if (dropped is not null)
        {
            Queue.Requests.RemoveAt(0);
        }

        Queue.Requests.Add(request);
        try
        {
            await WriteStateAsync();
        }
        catch
        {
            Queue.Requests.RemoveAt(Queue.Requests.Count - 1);
            if (dropped is not null)
            {
                Queue.Requests.Insert(0, dropped);
            }

            throw;
        }

        if (dropped is not null)
        {
            LogDropped(Logger, dropped.RequestId, ResourceId, _notifications.PollingQueueLimit);
        }

        foreach (var waiter in _waiters)
        {
            // One-way: a poll that went away meanwhile costs nothing here.
            _ = waiter.Queued();
        }

        _waiters.Clear();
        return true;
    }

    protected override ValueTask<ResourceResponse> DeleteSubTarget(ResourceRequest request, string now) =>
        ValueTask.FromResult(ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed, "pcu cannot be deleted"));

    protected override Task WillBeDeleted()
    {
        _waiters.Clear();
        return Task.CompletedTask;
    }

    /// <summary>4004 when the channel is gone; 4103 unless <paramref name="originator"/> is the channel's AE.</summary>
    private ResourceResponse? Refuse(string originator, string what) =>
        !IsLive(Now()) ? ResourceResponse.Missing()
        : originator != State.Owner ? ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege,
            $"only the AE {State.Owner} may {what} its polling channel, not '{originator}'")
        : null;

    // Requests past their expiration: nobody waits for them any more.
    private bool DropExpired(string now) => Queue.Requests.RemoveAll(r => string.CompareOrdinal(r.Expires, now) <= 0) > 0;

    [LoggerMessage(EventId = 2801, Level = LogLevel.Warning,
        Message = "Polling channel {ResourceId} holds {Limit} requests: the oldest, {RequestId}, was dropped")]
    private static partial void LogDropped(ILogger logger, string requestId, string resourceId, int limit);
}
