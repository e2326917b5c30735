using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Notifications;

/// <summary>
/// See <see cref="IFanOutGrain"/>. One per resource with subscriptions, not reentrant: events leave in order. Placed
/// with its resource's device, and follows the requests that cause its events like the resource does.
/// </summary>
[DevicePlacement]
internal sealed partial class FanOutGrain(IOptions<CseOptions> options, ILogger<FanOutGrain> logger) : Grain, IFanOutGrain
{
    private const int Batch = 256;
    private RequestLocality? _locality;
    private GrainReferences<ISubscriptionGrain>? _subscriptions;

    public async ValueTask Dispatch(string resourceId, ResourceEvent resourceEvent, IReadOnlyList<string> subscriptionIds)
    {
        _locality ??= new RequestLocality(ServiceProvider.GetRequiredService<ILocalSiloDetails>().SiloAddress, followsRequests: true, metrics: null);
        if (_locality.Observe(binding: null, served: false))
        {
            MigrateOnIdle();
        }

        _subscriptions ??= new GrainReferences<ISubscriptionGrain>(GrainFactory, capacity: 20_000);
        try
        {
            for (var start = 0; start < subscriptionIds.Count; start += Batch)
            {
                var end = Math.Min(start + Batch, subscriptionIds.Count);
                var accepts = new Task[end - start];
                for (var i = start; i < end; i++)
                {
                    // Actions watch their subject as subscriptions do (ResourceGrain.Watchers.cs).
                    accepts[i - start] = ResourceIds.Classify(subscriptionIds[i], options.Value.CseBaseId) == ResourceType.Action
                        ? GrainFactory.GetGrain<IActionGrain>(subscriptionIds[i]).Accept(resourceEvent).AsTask()
                        : _subscriptions.Get(subscriptionIds[i]).Accept(resourceEvent).AsTask();
                }

                await Task.WhenAll(accepts);
            }
        }
        catch (Exception exception)
        {
            // The event stays in the resource's outbox and is dispatched again when the resource is next activated.
            LogDispatchFailed(logger, exception, resourceEvent.EventId);
            return;
        }

        if (GrainFactory.GetClusterResource(resourceId, options.Value.CseBaseId) is { } resource)
        {
            await resource.EventDispatched(resourceEvent.EventId);
        }
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "Event {EventId} could not be handed to every subscription; it stays in the outbox")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception, string eventId);
}
