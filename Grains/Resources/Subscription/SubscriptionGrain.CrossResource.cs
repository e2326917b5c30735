namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>
/// A subscription feeding cross-resource subscriptions only (the ones a <c>&lt;crossResourceSubscription&gt;</c>
/// makes on its <c>rrat</c> targets, and an <c>srat</c> subscription whose only targets are such): a cross-resource
/// subscription's window needs to know which of its subscriptions had an event, nothing of the event itself. So each
/// selected event is signalled to it as a one-way grain call naming this subscription, without a notification, a
/// stored queue or the delivery worker. The window lives in the cross-resource subscription's memory, as ACME keeps
/// it, so the stored queue would make it no more durable. Whatever needs the queue (<c>exc</c> and <c>nse</c>, which
/// count deliveries; <c>bn</c>; notifications held or batched) takes the queue, as for any target.
/// </summary>
internal sealed partial class SubscriptionGrain
{
    /// <summary>
    /// The cross-resource subscriptions of this CSE that are all of this subscription's targets, when nothing of this
    /// subscription needs its stored queue; null otherwise.
    /// </summary>
    private List<string>? CrossResourceTargetsOnly()
    {
        var attributes = State.Attributes;
        if (attributes.ExpirationCounter() is not null || attributes.StatisticsEnabled() || attributes.BatchNotify() is not null
            || Pending.Held.Count > 0 || Pending.Batch.Count > 0)
        {
            return null;
        }

        var targets = Targets();
        var local = new List<string>(targets.Count);
        foreach (var target in targets)
        {
            if (NotificationTargetVerifier.LocalId(Options, target) is not { } ri
                || ResourceIds.Classify(ri, Options.CseBaseId) != ResourceType.CrossResourceSubscription)
            {
                return null;
            }

            local.Add(ri);
        }

        return local.Count > 0 ? local : null;
    }

    /// <summary>Signals an event to the cross-resource subscriptions this subscription feeds (one-way calls).</summary>
    private async ValueTask SignalCrossResource(List<string> crossResourceSubscriptions)
    {
        foreach (var crs in crossResourceSubscriptions)
        {
            await GrainFactory.GetGrain<ICrossResourceSubscriptionGrain>(crs).Signal(SubscriptionReference);
        }

        _metrics.Delivered(crossResourceSubscriptions.Count);
    }
}
