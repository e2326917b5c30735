using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>The content of the notifications a subscription sends (<c>m2m:sgn</c>, <c>m2m:agn</c>) and its delivery statistics.</summary>
internal static class NotificationContent
{
    /// <summary>The <c>m2m:sgn</c> for an event, shaped by the subscription's <c>nct</c>.</summary>
    public static Dictionary<string, object?> ForEvent(ResourceEvent resourceEvent, Dictionary<string, object?> subscription, string subscriptionReference)
    {
        var rootKey = Policies.RootKeyOf(resourceEvent.ResourceType, resourceEvent.Attributes);
        var contentType = subscription.TryGetValue(AttributeNames.NotificationContentType, out var nct) && nct is long n
            ? (NotificationContentType)n
            : NotificationContentType.AllAttributes;
        object representation = contentType switch
        {
            NotificationContentType.ModifiedAttributes => Representation.Resource(rootKey, resourceEvent.ModifiedAttributes ?? resourceEvent.Attributes),
            NotificationContentType.ResourceId => Representation.Uri(
                resourceEvent.Attributes.TryGetValue(AttributeNames.ResourceId, out var ri) ? ri as string ?? "" : ""),
            _ => Representation.Resource(rootKey, resourceEvent.Attributes),
        };
        var nev = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["rep"] = representation,
            [AttributeNames.NotificationEventType] = (long)resourceEvent.EventType,
        };
        return Signal(new Dictionary<string, object?>(StringComparer.Ordinal) { ["nev"] = nev }, subscription, subscriptionReference,
            resourceEvent.Originator);
    }

    /// <summary>
    /// Wraps notification members with the subscription reference and creator into <c>m2m:sgn</c>. Without a
    /// creator, a subscription with <c>eeno</c> (R5 eventNotificationOriginator) names the originator of the event
    /// in <c>cr</c> instead (as ACME does).
    /// </summary>
    public static Dictionary<string, object?> Signal(Dictionary<string, object?> members, Dictionary<string, object?> subscription,
        string subscriptionReference, string? eventOriginator = null)
    {
        members["sur"] = subscriptionReference;
        if (subscription.TryGetValue(AttributeNames.Creator, out var cr) && cr is string creator)
        {
            members[AttributeNames.Creator] = creator;
        }
        else if (eventOriginator is not null && subscription.TryGetValue("eeno", out var eeno) && eeno is true)
        {
            members["cr"] = eventOriginator;
        }

        return new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:sgn"] = members };
    }

    /// <summary>One aggregated notification (<c>m2m:agn</c>) of the signals of <paramref name="items"/> (batchNotify, TS-0004 7.5.1.2.4).</summary>
    public static Dictionary<string, object?> Aggregate(List<PendingNotification> items)
    {
        var signals = new List<object?>(items.Count);
        foreach (var item in items)
        {
            signals.Add(item.Content["m2m:sgn"]);
        }

        return new Dictionary<string, object?>(1, StringComparer.Ordinal)
        {
            ["m2m:agn"] = new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:sgn"] = signals },
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
            var entry = updated.First(e => e.TryGetValue("tg", out var tg) && tg as string == target);
            entry["rqs"] = (long)entry["rqs"]! + 1;
            if (delivered.Contains(target))
            {
                entry["rsr"] = (long)entry["rsr"]! + 1;
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
            entry["noec"] = (long)entry["noec"]! + 1;
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
                copy.TryAdd("noec", 0L);
                updated.Add(copy);
            }
        }

        foreach (var target in targets)
        {
            if (!updated.Exists(e => e.TryGetValue("tg", out var tg) && tg as string == target))
            {
                updated.Add(new Dictionary<string, object?>(StringComparer.Ordinal) { ["tg"] = target, ["rqs"] = 0L, ["rsr"] = 0L, ["noec"] = 0L });
            }
        }

        return updated;
    }
}
