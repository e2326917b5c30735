using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Notifications;

/// <summary>
/// See <see cref="IFanOutGrain"/>. One per resource with subscriptions, placed with its resource's device, and
/// follows the requests that cause its events like the resource does. The resource's outbox hands it a batch at a
/// time (the events raised while the previous batch was being handed over) and waits for the answer before the next,
/// so events leave in the order they happened; each subscription takes its share of a batch in one call
/// (<see cref="ISubscriptionGrain.AcceptAll"/>). Before batches, every event cost one call per subscription: with 2,000
/// subscriptions on a container, ten content instances written in a burst were 20,000 calls; now the first goes alone
/// and the nine behind it make one call per subscription. Not reentrant: should two batches of a resource ever meet
/// (its activation moved between silos), the second waits for the first.
/// </summary>
[DevicePlacement]
internal sealed partial class FanOutGrain(IOptions<CseOptions> options, ILogger<FanOutGrain> logger) : Grain, IFanOutGrain
{
    // Calls in flight at once, so that a resource with very many subscriptions does not flood the silo's queues.
    private const int Parallel = 256;

    private RequestLocality? _locality;
    private GrainReferences<ISubscriptionGrain>? _subscriptions;

    public async ValueTask DispatchAll(string resourceId, IReadOnlyList<ResourceEvent> events, IReadOnlyList<IReadOnlyList<string>> subscriptionIds)
    {
        _locality ??= new RequestLocality(ServiceProvider.GetRequiredService<ILocalSiloDetails>().SiloAddress, followsRequests: true, metrics: null);
        if (_locality.Observe(binding: null, served: false))
        {
            MigrateOnIdle();
        }

        if (events.Count > 0 && events.Count == subscriptionIds.Count)
        {
            await HandOver(resourceId, events, subscriptionIds);
        }
    }

    /// <summary>
    /// Hands <paramref name="events"/> to their subscriptions, each subscription's in one call in event order, then tells the
    /// resource which events every subscription stored. Never throws: on a failure the events stay in the resource's outbox
    /// and come again when it is next activated or its reminder ticks (subscriptions drop the copies they already hold).
    /// </summary>
    private async Task HandOver(string resourceId, IReadOnlyList<ResourceEvent> events, IReadOnlyList<IReadOnlyList<string>> subscriptions)
    {
        _subscriptions ??= new GrainReferences<ISubscriptionGrain>(GrainFactory, capacity: 20_000);
        try
        {
            var shares = Shares(events, subscriptions);
            var calls = new List<Task>(Math.Min(shares.Count, Parallel));
            foreach (var (subscriptionId, share) in shares)
            {
                calls.Add(Accept(subscriptionId, share));
                if (calls.Count == Parallel)
                {
                    await Task.WhenAll(calls);
                    calls.Clear();
                }
            }

            await Task.WhenAll(calls);
            if (GrainFactory.GetClusterResource(resourceId, options.Value.CseBaseId) is { } resource)
            {
                foreach (var resourceEvent in events)
                {
                    await resource.EventDispatched(resourceEvent.EventId);
                }
            }
        }
        catch (Exception exception)
        {
            LogDispatchFailed(logger, exception, events[0].EventId, events.Count);
        }
    }

    private Task Accept(string subscriptionId, IReadOnlyList<ResourceEvent> events) =>
        // Actions watch their subject as subscriptions do (ResourceGrain.Watchers.cs), one event per call.
        ResourceIds.Classify(subscriptionId, options.Value.CseBaseId) == ResourceType.Action
            ? AcceptInTurn(GrainFactory.GetGrain<IActionGrain>(subscriptionId), events)
            : _subscriptions!.Get(subscriptionId).AcceptAll(events).AsTask();

    private static async Task AcceptInTurn(IActionGrain action, IReadOnlyList<ResourceEvent> events)
    {
        foreach (var resourceEvent in events)
        {
            await action.Accept(resourceEvent);
        }
    }

    /// <summary>
    /// Each subscription's events of the batch, in event order. Events of one kind (a burst of content instances) go to
    /// the same subscriptions, so all share one list; otherwise each subscription gets a list of its own.
    /// </summary>
    internal static List<(string SubscriptionId, IReadOnlyList<ResourceEvent> Events)> Shares(
        IReadOnlyList<ResourceEvent> events, IReadOnlyList<IReadOnlyList<string>> subscriptions)
    {
        var shares = new List<(string, IReadOnlyList<ResourceEvent>)>(subscriptions[0].Count);
        if (AllSame(subscriptions))
        {
            foreach (var subscriptionId in subscriptions[0])
            {
                shares.Add((subscriptionId, events));
            }

            return shares;
        }

        var bySubscription = new Dictionary<string, List<ResourceEvent>>(StringComparer.Ordinal);
        for (var i = 0; i < events.Count; i++)
        {
            foreach (var subscriptionId in subscriptions[i])
            {
                if (!bySubscription.TryGetValue(subscriptionId, out var share))
                {
                    share = [];
                    bySubscription.Add(subscriptionId, share);
                    shares.Add((subscriptionId, share));
                }

                share.Add(events[i]);
            }
        }

        return shares;
    }

    private static bool AllSame(IReadOnlyList<IReadOnlyList<string>> subscriptions)
    {
        var first = subscriptions[0];
        for (var i = 1; i < subscriptions.Count; i++)
        {
            var other = subscriptions[i];
            if (ReferenceEquals(first, other))
            {
                continue;
            }

            if (other.Count != first.Count)
            {
                return false;
            }

            for (var j = 0; j < first.Count; j++)
            {
                if (!string.Equals(first[j], other[j], StringComparison.Ordinal))
                {
                    return false;
                }
            }
        }

        return true;
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning,
        Message = "Events from {EventId} on ({Count}) were not handed to every subscription; they stay in the outbox")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception, string eventId, int count);
}
