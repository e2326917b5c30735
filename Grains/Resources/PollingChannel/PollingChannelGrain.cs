using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
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
    private PolledRequestQueue? _queue;

    protected override ResourcePolicy Policy => PollingChannelPolicy.Rules;

    /// <summary>The requests queued for the AE, stored in pages (<see cref="PollingQueue"/>).</summary>
    private PolledRequestQueue Queue => _queue ??= new PolledRequestQueue(
        ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources), ResourceId, Specific<PollingQueue>);

    public async ValueTask<ResourceResponse?> Poll(string originator, IPollingChannelObserver waiter)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        if (Refuse(originator, "poll") is { } refused)
        {
            return refused;
        }

        var now = Now();
        var aggregate = State.Attributes.GetValueOrDefault(PollingChannelPolicy.RequestAggregation) is true;
        var queued = Queue.Count;
        Queue.Begin();
        List<PolledRequest> requests;
        try
        {
            requests = aggregate ? await Queue.TakeAll(now) : await Queue.TakeOldest(now) is { } oldest ? [oldest] : [];
            if (requests.Count > 0 || Queue.Count != queued)
            {
                // Taken (or expired): stored before the requests leave.
                await Queue.StoreAsync(WriteStateAsync);
            }
        }
        catch
        {
            Queue.Rollback();
            throw;
        }

        if (requests.Count == 0)
        {
            _waiters.Add(waiter);
            return null;
        }

        _waiters.Remove(waiter);

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
        var now = Now();
        if (!IsLive(now))
        {
            return false;
        }

        Queue.Begin();
        PolledRequest? dropped = null;
        try
        {
            if (Queue.Count >= _notifications.PollingQueueLimit)
            {
                dropped = await Queue.TakeOldest(now);
            }

            Queue.Add(request, now);
            await Queue.StoreAsync(WriteStateAsync);
        }
        catch
        {
            Queue.Rollback();
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

    protected override async Task WillBeDeleted()
    {
        _waiters.Clear();
        await Queue.ClearAsync();
    }

    /// <summary>4004 when the channel is gone; 4103 unless <paramref name="originator"/> is the channel's AE.</summary>
    private ResourceResponse? Refuse(string originator, string what) =>
        !IsLive(Now()) ? ResourceResponse.Missing()
        : originator != State.Owner ? ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege,
            $"only the AE {State.Owner} may {what} its polling channel, not '{originator}'")
        : null;

    [LoggerMessage(EventId = 2801, Level = LogLevel.Warning,
        Message = "Polling channel {ResourceId} holds {Limit} requests: the oldest, {RequestId}, was dropped")]
    private static partial void LogDropped(ILogger logger, string requestId, string resourceId, int limit);
}
