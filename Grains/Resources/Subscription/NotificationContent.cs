using System.Runtime.CompilerServices;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>The content of the notifications a subscription sends (<c>m2m:sgn</c>, <c>m2m:agn</c>) and its delivery statistics.</summary>
internal static class NotificationContent
{
    // The notification event of each resource event by content type, shared by all the subscriptions that render it so
    // (an event reaches every subscription of its resource in this silo as the same instance: ResourceEvent is immutable).
    private static readonly ConditionalWeakTable<ResourceEvent, SharedContent?[]> s_events = new();

    /// <summary>
    /// The <c>m2m:sgn</c> for an event, shaped by the subscription's <c>nct</c>: its <c>nev</c> is the one
    /// <see cref="SharedContent"/> of that event and content type, so that it is built, written and stored once for
    /// all the subscriptions it goes to.
    /// </summary>
    public static Dictionary<string, object?> ForEvent(ResourceEvent resourceEvent, Dictionary<string, object?> subscription, string subscriptionReference)
    {
        var contentType = subscription.ContentType();
        var slots = s_events.GetValue(resourceEvent, static _ => new SharedContent?[3]);
        var slot = contentType switch
        {
            NotificationContentType.ModifiedAttributes => 1,
            NotificationContentType.ResourceId => 2,
            _ => 0,
        };
        var shared = Volatile.Read(ref slots[slot]);
        if (shared is null)
        {
            // Two subscriptions racing make two equal ones, each valid.
            shared = new SharedContent(EventOf(resourceEvent, contentType));
            Volatile.Write(ref slots[slot], shared);
        }

        return Signal(new Dictionary<string, object?>(3, StringComparer.Ordinal) { [NotificationMembers.Event] = shared }, subscription,
            subscriptionReference, resourceEvent.Originator);
    }

    /// <summary>The notification event (<c>nev</c>) of <paramref name="resourceEvent"/> with the representation <paramref name="contentType"/> asks for.</summary>
    private static Dictionary<string, object?> EventOf(ResourceEvent resourceEvent, NotificationContentType contentType)
    {
        var rootKey = resourceEvent.RootKey ?? Policies.RootKeyOf(resourceEvent.ResourceType, resourceEvent.Attributes);
        object representation = contentType switch
        {
            NotificationContentType.ModifiedAttributes => Representation.Resource(rootKey, resourceEvent.ModifiedAttributes ?? resourceEvent.Attributes),
            NotificationContentType.ResourceId => Representation.Uri(
                resourceEvent.Attributes.TryGetValue(AttributeNames.ResourceId, out var ri) ? ri as string ?? "" : ""),
            _ => Representation.Resource(rootKey, resourceEvent.Attributes),
        };
        var nev = new Dictionary<string, object?>(2, StringComparer.Ordinal) { [NotificationMembers.Representation] = representation };
        if (resourceEvent is { EventType: NotificationEventType.MonitoredOperation, Operation: { } operation })
        {
            // An operation monitor's notification names the operation and its originator (nev/om) and has no net.
            var monitored = new Dictionary<string, object?>(2, StringComparer.Ordinal) { [AttributeNames.Operations] = (long)operation };
            if (resourceEvent.Originator is { } originator)
            {
                monitored[AttributeNames.Originator] = originator;
            }

            nev[NotificationMembers.OperationMonitor] = monitored;
        }
        else
        {
            nev[AttributeNames.NotificationEventType] = (long)resourceEvent.EventType;
        }

        return nev;
    }

    /// <summary>
    /// Wraps notification members with the subscription reference and creator into <c>m2m:sgn</c>. Without a
    /// creator, a subscription with <c>eeno</c> (R5 eventNotificationOriginator) names the originator of the event
    /// in <c>cr</c> instead (as ACME does).
    /// </summary>
    public static Dictionary<string, object?> Signal(Dictionary<string, object?> members, Dictionary<string, object?> subscription,
        string subscriptionReference, string? eventOriginator = null)
    {
        members[NotificationMembers.SubscriptionReference] = subscriptionReference;
        if (subscription.Creator() is { } creator)
        {
            members[AttributeNames.Creator] = creator;
        }
        else if (eventOriginator is not null && subscription.NamesEventOriginator())
        {
            members[AttributeNames.Creator] = eventOriginator;
        }

        return new Dictionary<string, object?>(1, StringComparer.Ordinal) { [NotificationMembers.Notification] = members };
    }

    /// <summary>One aggregated notification (<c>m2m:agn</c>) of the signals of <paramref name="items"/> (batchNotify, TS-0004 7.5.1.2.4).</summary>
    public static Dictionary<string, object?> Aggregate(List<PendingNotification> items)
    {
        var signals = new List<object?>(items.Count);
        foreach (var item in items)
        {
            signals.Add(item.Content[NotificationMembers.Notification]);
        }

        return new Dictionary<string, object?>(1, StringComparer.Ordinal)
        {
            [NotificationMembers.AggregatedNotification] = new Dictionary<string, object?>(1, StringComparer.Ordinal) { [NotificationMembers.Notification] = signals },
        };
    }

    /// <summary>
    /// notificationStatsInfo (R4, TS-0004 7.5.1.2.2) counted for one delivery: per target the requests sent
    /// (<c>rqs</c>) and the success responses received (<c>rsr</c>); a new <c>nsi</c> list.
    /// </summary>
    public static List<object?> CountStatistics(List<object?> statistics, IReadOnlyList<string> attempted, IReadOnlyList<string> delivered)
    {
        var updated = WithTargets(statistics, attempted);
        foreach (var target in attempted)
        {
            var entry = updated.First(e => e.TryGetValue(StatisticsMembers.Target, out var tg) && tg as string == target);
            entry[StatisticsMembers.RequestsSent] = (long)entry[StatisticsMembers.RequestsSent]! + 1;
            if (delivered.Contains(target))
            {
                entry[StatisticsMembers.ResponsesReceived] = (long)entry[StatisticsMembers.ResponsesReceived]! + 1;
            }
        }

        return [.. updated];
    }

    /// <summary>notificationStatsInfo counted for one event: <c>noec</c> + 1 for every target; a new <c>nsi</c> list.</summary>
    public static List<object?> CountEvent(List<object?> statistics, IReadOnlyList<string> targets)
    {
        var updated = WithTargets(statistics, targets);
        foreach (var entry in updated)
        {
            entry[StatisticsMembers.EventCount] = (long)entry[StatisticsMembers.EventCount]! + 1;
        }

        return [.. updated];
    }

    /// <summary>A copy of <c>nsi</c> with an entry (<c>tg</c>, <c>rqs</c>, <c>rsr</c>, <c>noec</c>) for every one of <paramref name="targets"/>.</summary>
    private static List<Dictionary<string, object?>> WithTargets(List<object?> statistics, IReadOnlyList<string> targets)
    {
        var updated = new List<Dictionary<string, object?>>(statistics.Count + targets.Count);
        foreach (var entry in statistics)
        {
            if (entry is Dictionary<string, object?> map)
            {
                var copy = new Dictionary<string, object?>(map, StringComparer.Ordinal);
                copy.TryAdd(StatisticsMembers.EventCount, 0L);
                updated.Add(copy);
            }
        }

        foreach (var target in targets)
        {
            if (!updated.Exists(e => e.TryGetValue(StatisticsMembers.Target, out var tg) && tg as string == target))
            {
                updated.Add(new Dictionary<string, object?>(StringComparer.Ordinal) { [StatisticsMembers.Target] = target, [StatisticsMembers.RequestsSent] = 0L, [StatisticsMembers.ResponsesReceived] = 0L, [StatisticsMembers.EventCount] = 0L });
            }
        }

        return updated;
    }
}

/// <summary>Member names of the notification content (<c>m2m:sgn</c>, TS-0004 7.5.1.2.x).</summary>
internal static class NotificationMembers
{
    /// <summary><c>m2m:sgn</c>, a notification.</summary>
    public const string Notification = "m2m:sgn";

    /// <summary><c>m2m:agn</c>, an aggregated notification (batchNotify).</summary>
    public const string AggregatedNotification = "m2m:agn";

    /// <summary><c>nev</c>, the notification event.</summary>
    public const string Event = "nev";

    /// <summary><c>rep</c>, the representation inside <c>nev</c>.</summary>
    public const string Representation = "rep";

    /// <summary><c>om</c> inside <c>nev</c>: the operation monitor entry that matched.</summary>
    public const string OperationMonitor = "om";

    /// <summary><c>sur</c>, the subscription reference.</summary>
    public const string SubscriptionReference = "sur";

    /// <summary><c>vrq</c>, a verification request.</summary>
    public const string VerificationRequest = "vrq";

    /// <summary><c>sud</c>, the subscription deletion notification.</summary>
    public const string SubscriptionDeletion = "sud";

    /// <summary><c>tra</c> (R4): a notification target asks to be removed; the creator's 2000 approves it.</summary>
    public const string TargetRemovalAuthorization = "tra";

    /// <summary><c>trr</c> (R4): a notification target asked to be removed (the creator is only told).</summary>
    public const string TargetRemovalRequest = "trr";
}

/// <summary>Member names of a notificationStatsInfo (<c>nsi</c>) entry (R4).</summary>
internal static class StatisticsMembers
{
    /// <summary><c>tg</c>, the notification target.</summary>
    public const string Target = "tg";

    /// <summary><c>rqs</c>, requests sent.</summary>
    public const string RequestsSent = "rqs";

    /// <summary><c>rsr</c>, success responses received.</summary>
    public const string ResponsesReceived = "rsr";

    /// <summary><c>noec</c>, notification events counted.</summary>
    public const string EventCount = "noec";
}
