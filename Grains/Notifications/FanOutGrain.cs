using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Grains.Notifications;

/// <summary>See <see cref="IFanOutGrain"/>. One per resource with subscriptions, not reentrant: events leave in order.</summary>
internal sealed partial class FanOutGrain(IOptions<CseOptions> options, ILogger<FanOutGrain> logger) : Grain, IFanOutGrain
{
    private const int Batch = 256;

    public async ValueTask Dispatch(string resourceId, ResourceEvent resourceEvent, IReadOnlyList<string> subscriptionIds)
    {
        try
        {
            for (var start = 0; start < subscriptionIds.Count; start += Batch)
            {
                var end = Math.Min(start + Batch, subscriptionIds.Count);
                var accepts = new Task[end - start];
                for (var i = start; i < end; i++)
                {
                    accepts[i - start] = GrainFactory.GetGrain<ISubscriptionGrain>(subscriptionIds[i]).Accept(resourceEvent).AsTask();
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
