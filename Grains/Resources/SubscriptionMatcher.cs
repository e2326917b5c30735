namespace VirtualIoT.Grains.Resources;

/// <summary>Which of a resource's subscriptions an event concerns, by their event notification criteria.</summary>
internal static class SubscriptionMatcher
{
    /// <summary>
    /// The subscriptions whose criteria select an event of <paramref name="eventType"/> about a resource of
    /// <paramref name="childType"/> (for child events: <c>chty</c>) that changed <paramref name="modified"/> (for
    /// updates: <c>atr</c>).
    /// </summary>
    public static List<string> Matching(Dictionary<string, SubscriptionFilter>.ValueCollection filters, NotificationEventType eventType, ResourceType childType,
        Dictionary<string, object?>? modified)
    {
        var matching = new List<string>();
        foreach (var filter in filters)
        {
            if (!Selects(filter, eventType))
            {
                continue;
            }

            if (eventType is NotificationEventType.CreateOfDirectChildResource or NotificationEventType.DeleteOfDirectChildResource
                && filter.ChildTypes.Count > 0 && !filter.ChildTypes.Contains((int)childType))
            {
                continue;
            }

            if (eventType == NotificationEventType.UpdateOfResource && filter.Attributes.Count > 0 && modified is not null && !filter.Attributes.Any(modified.ContainsKey))
            {
                continue;
            }

            matching.Add(filter.SubscriptionId);
        }

        return matching;
    }

    /// <summary>The subscriptions whose operation monitors (<c>enc/om</c>) select <paramref name="operation"/> by <paramref name="originator"/>.</summary>
    public static List<string> Monitoring(Dictionary<string, SubscriptionFilter>.ValueCollection filters, Operation operation, string? originator)
    {
        var matching = new List<string>();
        foreach (var filter in filters)
        {
            if (Monitors(filter, operation, originator))
            {
                matching.Add(filter.SubscriptionId);
            }
        }

        return matching;
    }

    /// <summary>
    /// Whether the criteria select <paramref name="resourceEvent"/>: its event type (<c>enc/net</c>), or for an
    /// operation event one of the operation monitors (<c>enc/om</c>).
    /// </summary>
    public static bool Selects(SubscriptionFilter filter, ResourceEvent resourceEvent) =>
        resourceEvent.EventType == NotificationEventType.MonitoredOperation
            ? resourceEvent.Operation is { } operation && Monitors(filter, operation, resourceEvent.Originator)
            : Selects(filter, resourceEvent.EventType);

    /// <summary>
    /// Whether an operation monitor entry matches: its <c>ops</c>, when given, is the operation, and its <c>org</c>,
    /// when given, the originator (compared as written, as ACME does).
    /// </summary>
    private static bool Monitors(SubscriptionFilter filter, Operation operation, string? originator)
    {
        if (filter.Monitors is not { Count: > 0 } monitors)
        {
            return false;
        }

        foreach (var monitor in monitors)
        {
            if ((monitor.Operation is null || monitor.Operation == operation)
                && (monitor.Originator is null || string.Equals(monitor.Originator, originator, StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The blocking update subscription (<c>net</c> 7; at most one per resource) that an update setting
    /// <paramref name="updated"/> must ask first: with <c>enc/atr</c>, only when the update sets one of those
    /// attributes (as ACME does); null when there is none.
    /// </summary>
    public static SubscriptionFilter? Blocking(Dictionary<string, SubscriptionFilter>.ValueCollection filters, Dictionary<string, object?> updated)
    {
        foreach (var filter in filters)
        {
            if (Selects(filter, NotificationEventType.BlockingUpdate)
                && (filter.Attributes.Count == 0 || filter.Attributes.Any(updated.ContainsKey)))
            {
                return filter;
            }
        }

        return null;
    }

    /// <summary>Whether the criteria name <paramref name="eventType"/> (<c>enc/net</c>; stored as numbers).</summary>
    public static bool Selects(SubscriptionFilter filter, NotificationEventType eventType) => filter.EventTypes.Contains((int)eventType);
}
