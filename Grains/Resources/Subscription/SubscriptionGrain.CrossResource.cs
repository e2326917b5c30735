using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>
/// A subscription feeding cross-resource subscriptions only (the ones a <c>&lt;crossResourceSubscription&gt;</c>
/// makes on its <c>rrat</c> targets, and an <c>srat</c> subscription whose only targets are such): a cross-resource
/// subscription's window needs to know which of its subscriptions had an event, nothing of the event itself. So no
/// notification is built, stored or sent through the delivery worker: the subscribed-to resource signals the event
/// to the cross-resource subscriptions itself, as a one-way grain call naming this subscription, after the change is
/// stored (<see cref="SubscriptionFilter.Signal"/>; the event is not kept in its outbox for this subscription), and an
/// event that still reaches this subscription (handed over again, or raised while the parent had not yet learnt the
/// filter) is signalled from here the same way. The window lives in the cross-resource subscription's memory, as ACME
/// keeps it, so neither the outbox nor a stored queue would make it more durable. Whatever needs the queue
/// (<c>exc</c> and <c>nse</c>, which count deliveries; <c>bn</c>; a schedule, which holds or drops events; notifications
/// held or batched) takes it, as for any target.
/// </summary>
internal sealed partial class SubscriptionGrain
{
    /// <summary>
    /// The cross-resource subscriptions of this CSE that are all of this subscription's targets, when nothing of this
    /// subscription needs its stored queue; null otherwise.
    /// </summary>
    private List<string>? CrossResourceTargetsOnly() =>
        Pending.Held.Count > 0 || Pending.Batch.Count > 0 ? null : CrossResourceFeeds.TargetsOnly(State.Attributes, Options);

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

/// <summary>Which subscriptions only feed cross-resource subscriptions (see <see cref="SubscriptionGrain"/>).</summary>
internal static class CrossResourceFeeds
{
    /// <summary>
    /// The cross-resource subscriptions of this CSE that are all of the targets (<c>nu</c>) of a subscription with
    /// <paramref name="attributes"/>, when it has no <c>exc</c>, <c>nse</c> or <c>bn</c>; null otherwise.
    /// </summary>
    public static List<string>? TargetsOnly(Dictionary<string, object?> attributes, CseOptions options)
    {
        if (attributes.ExpirationCounter() is not null || attributes.StatisticsEnabled() || attributes.BatchNotify() is not null)
        {
            return null;
        }

        var targets = attributes.NotificationTargets();
        var local = new List<string>(targets.Count);
        foreach (var target in targets)
        {
            if (NotificationTargetVerifier.LocalId(options, target) is not { } ri
                || ResourceIds.Classify(ri, options.CseBaseId) != ResourceType.CrossResourceSubscription)
            {
                return null;
            }

            local.Add(ri);
        }

        return local.Count > 0 ? local : null;
    }

    /// <summary>The signal the subscribed-to resource sends for a subscription feeding cross-resource subscriptions only (not when it has a schedule); else null.</summary>
    public static CrossResourceSignal? Signal(string subscriptionId, Dictionary<string, object?> attributes, CseOptions options, bool scheduled) =>
        !scheduled && TargetsOnly(attributes, options) is { } crossResource
            ? new CrossResourceSignal(string.Concat(options.CseId, "/", subscriptionId), crossResource, attributes.ExpirationTime())
            : null;

    /// <summary>Whether an update of these attributes changes what the subscribed-to resource keeps of the subscription (its filter).</summary>
    public static bool ChangesFilter(Dictionary<string, object?> accepted) =>
        accepted.ContainsKey(AttributeNames.EventNotificationCriteria) || accepted.ContainsKey(AttributeNames.NotificationUri)
        || accepted.ContainsKey(AttributeNames.ExpirationCounter) || accepted.ContainsKey(AttributeNames.NotificationStatsEnable)
        || accepted.ContainsKey(AttributeNames.BatchNotify) || accepted.ContainsKey(AttributeNames.ExpirationTime);
}
