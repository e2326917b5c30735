namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>
/// Typed reads of a subscription's stored attributes (TS-0004 7.4.8). They were validated by
/// <see cref="SubscriptionPolicy"/> when written, so a value of another shape reads as absent.
/// </summary>
internal static class SubscriptionAttributes
{
    /// <summary>The notification targets (<c>nu</c>).</summary>
    public static List<string> NotificationTargets(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.NotificationUri, out var nu) && nu is List<object?> list ? list.OfType<string>().ToList() : [];

    /// <summary>The cross-resource subscriptions it feeds (<c>acrs</c>).</summary>
    public static List<string> AssociatedCrossResourceSubscriptions(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.AssociatedCrossResourceSub, out var acrs) && acrs is List<object?> list ? list.OfType<string>().ToList() : [];

    /// <summary>The event notification criteria (<c>enc</c>), or null.</summary>
    public static Dictionary<string, object?>? Criteria(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.EventNotificationCriteria, out var enc) ? enc as Dictionary<string, object?> : null;

    /// <summary>latestNotify (<c>ln</c>).</summary>
    public static bool LatestNotify(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.LatestNotify, out var ln) && ln is true;

    /// <summary>batchNotify (<c>bn</c>), or null.</summary>
    public static object? BatchNotify(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.BatchNotify, out var bn) ? bn : null;

    /// <summary>The expiration counter (<c>exc</c>), or null.</summary>
    public static long? ExpirationCounter(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.ExpirationCounter, out var exc) ? exc as long? : null;

    /// <summary>The subscriber (<c>su</c>), or null.</summary>
    public static string? SubscriberUri(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.SubscriberUri, out var su) ? su as string : null;

    /// <summary>notificationEventCat (<c>nec</c>): the event category its notifications carry, or null.</summary>
    public static int? EventCategory(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.NotificationEventCat, out var nec) && nec is long category ? (int)category : null;

    /// <summary>The creator (<c>cr</c>), or null.</summary>
    public static string? Creator(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.Creator, out var cr) ? cr as string : null;

    /// <summary>notificationStatsEnable (<c>nse</c>, R4).</summary>
    public static bool StatisticsEnabled(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.NotificationStatsEnable, out var nse) && nse is true;

    /// <summary>notificationStatsInfo (<c>nsi</c>, R4); empty while nothing was counted.</summary>
    public static List<object?> Statistics(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.NotificationStatsInfo, out var nsi) && nsi is List<object?> list ? list : [];

    /// <summary>eventNotificationOriginator (<c>eeno</c>, R5).</summary>
    public static bool NamesEventOriginator(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.EventNotificationOriginator, out var eeno) && eeno is true;

    /// <summary>The notification content type (<c>nct</c>), all attributes when absent.</summary>
    public static NotificationContentType ContentType(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.NotificationContentType, out var nct) && nct is long n
            ? (NotificationContentType)n
            : NotificationContentType.AllAttributes;

    /// <summary>A copy of the attributes with <paramref name="name"/> set to <paramref name="value"/> (state attributes are replaced, never changed in place).</summary>
    public static Dictionary<string, object?> With(this Dictionary<string, object?> attributes, string name, object? value) =>
        new(attributes, StringComparer.Ordinal) { [name] = value };
}
