using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>Attribute rules of the subscription (TS-0004 7.4.8, docs/protocol.md §2.6).</summary>
internal static class SubscriptionPolicy
{
    /// <summary>
    /// Notification event types this CSE raises: update, delete, create and delete of a direct child, blocking update,
    /// a timeSeries's missing data points.
    /// </summary>
    private static readonly HashSet<long> s_supportedEvents =
    [
        (long)NotificationEventType.UpdateOfResource, (long)NotificationEventType.DeleteOfResource,
        (long)NotificationEventType.CreateOfDirectChildResource, (long)NotificationEventType.DeleteOfDirectChildResource,
        (long)NotificationEventType.BlockingUpdate, (long)NotificationEventType.ReportOnGeneratedMissingDataPoints,
    ];

    /// <summary>Subscription attributes defined by the standard but not supported yet (5001 when given).</summary>
    private static readonly string[] s_unsupportedAttributes =
    [
        AttributeNames.NotificationStoragePriority, AttributeNames.RateLimit, AttributeNames.PreSubscriptionNotify,
        AttributeNames.GroupId, AttributeNames.NotificationForwardingUri,
    ];

    /// <summary>Members of <c>enc</c> defined by the standard but not evaluated here yet.</summary>
    private static readonly HashSet<string> s_unsupportedCriteria =
        new(StringComparer.Ordinal) { "crb", "cra", "ms", "us", "sts", "stb", "exb", "exa", "sza", "szb", "fo", "lbl", "ty", "cty" };

    public static readonly ResourcePolicy Rules = new(
        ResourceType.Subscription,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            ResourcePolicy.Creator,
            new(AttributeNames.NotificationUri, "notificationURI", ValueKind.NonEmptyStringList, Presence.Mandatory, Presence.Optional),
            new(AttributeNames.EventNotificationCriteria, "eventNotificationCriteria", ValueKind.Any, Presence.Optional, Presence.Optional),
            new(AttributeNames.NotificationContentType, "notificationContentType", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional),
            new(AttributeNames.ExpirationCounter, "expirationCounter", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional),
            new(AttributeNames.SubscriberUri, "subscriberURI", ValueKind.String, Presence.Optional, Presence.NotPresent),
            new(AttributeNames.BatchNotify, "batchNotify", ValueKind.Any, Presence.Optional, Presence.Optional),
            new(AttributeNames.LatestNotify, "latestNotify", ValueKind.Boolean, Presence.Optional, Presence.Optional),
            new(AttributeNames.PendingNotification, "pendingNotification", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional,
                Values: new HashSet<long> { 1, 2 }),
            new(AttributeNames.NotificationStoragePriority, "notificationStoragePriority", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional),
            new(AttributeNames.RateLimit, "rateLimit", ValueKind.Any, Presence.Optional, Presence.Optional),
            new(AttributeNames.PreSubscriptionNotify, "preSubscriptionNotify", ValueKind.NonNegativeInteger, Presence.Optional, Presence.NotPresent),
            new(AttributeNames.NotificationEventCat, "notificationEventCat", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional),
            new(AttributeNames.GroupId, "groupID", ValueKind.String, Presence.Optional, Presence.Optional),
            new(AttributeNames.NotificationForwardingUri, "notificationForwardingURI", ValueKind.String, Presence.Optional, Presence.Optional),
            new(AttributeNames.NotificationStatsEnable, "notificationStatsEnable", ValueKind.Boolean, Presence.Optional, Presence.Optional),
            new(AttributeNames.AssociatedCrossResourceSub, "associatedCrossResourceSub", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new(AttributeNames.EventNotificationOriginator, "eventNotificationOriginator", ValueKind.Boolean, Presence.Optional, Presence.Optional),
            new(AttributeNames.NotificationStatsInfo, "notificationStatsInfo", ValueKind.Any, Presence.NotPresent, Presence.NotPresent)),
        check: Check,
        defaults: Defaults);

    /// <summary>
    /// Defaults of a subscription (TS-0004 7.4.8.2.1): event type "update"; content type "all attributes", or "modified
    /// attributes" for a blocking update (its only allowed one, as ACME defaults it). Its creator
    /// is recorded only when the create asks for it (<c>"cr": null</c>); notificationStatsInfo appears with the first
    /// statistics counted.
    /// </summary>
    private static void Defaults(Dictionary<string, object?> attributes, string _)
    {
        attributes.TryAdd(AttributeNames.NotificationContentType, (long)(
            NamesBlockingUpdate(attributes) ? NotificationContentType.ModifiedAttributes
            : NamesMissingData(attributes) ? NotificationContentType.TimeSeriesNotification
            : NotificationContentType.AllAttributes));
        attributes.TryAdd(AttributeNames.EventNotificationCriteria, new Dictionary<string, object?>(StringComparer.Ordinal) { [AttributeNames.NotificationEventType] = new List<object?> { (long)NotificationEventType.UpdateOfResource } });
    }

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (NamesBlockingUpdate(attributes) && CheckBlockingUpdate(attributes, context) is { } blocking)
        {
            return blocking;
        }

        foreach (var name in s_unsupportedAttributes)
        {
            if (attributes.TryGetValue(name, out var value) && value is not null && !(value is false))
            {
                return new OneM2MError(ResponseStatusCode.NotImplemented, $"subscription attribute '{name}' is not supported yet");
            }
        }

        // notificationEventCat: the event category (ec) of its notifications, 2 immediate, 3 best effort, 4 latest,
        // or a user-defined 100-999 (TS-0004 6.3.3.2.x).
        if (attributes.GetValueOrDefault(AttributeNames.NotificationEventCat) is long nec && nec is not (>= 2 and <= 4 or >= 100 and <= 999))
        {
            return OneM2MError.BadRequest("nec (notificationEventCat) must be an event category: 2, 3, 4 or 100-999");
        }

        if (attributes.ExpirationCounter() == 0)
        {
            return OneM2MError.BadRequest("exc must be greater than 0");
        }

        if (attributes.BatchNotify() is { } bn && !TryReadBatch(bn, out _, out _, out var batchError))
        {
            return OneM2MError.BadRequest(batchError);
        }

        var events = new List<long> { (long)NotificationEventType.UpdateOfResource };
        if (attributes.TryGetValue(AttributeNames.EventNotificationCriteria, out var encValue) && encValue is not null)
        {
            if (encValue is not Dictionary<string, object?> enc)
            {
                return OneM2MError.BadRequest("enc must be an object");
            }

            foreach (var (member, value) in enc)
            {
                switch (member)
                {
                    case AttributeNames.NotificationEventType:
                        if (!IsIntegerList(value, out events) || events.Count == 0)
                        {
                            return OneM2MError.BadRequest("enc/net must be a non-empty list of integers");
                        }

                        foreach (var net in events)
                        {
                            if (net is < (long)NotificationEventType.UpdateOfResource or > (long)NotificationEventType.ReportOnGeneratedMissingDataPoints)
                            {
                                return OneM2MError.BadRequest($"enc/net {net} is not a notification event type");
                            }

                            if (!s_supportedEvents.Contains(net))
                            {
                                return new OneM2MError(ResponseStatusCode.NotImplemented, $"notification event type {net} is not supported yet");
                            }
                        }

                        break;
                    case AttributeNames.ChildResourceType:
                        if (!IsIntegerList(value, out var childTypes) || childTypes.Any(t => !Enum.IsDefined((ResourceType)(int)t)))
                        {
                            return OneM2MError.BadRequest("enc/chty must be a list of resource types");
                        }

                        break;
                    case AttributeNames.OperationMonitor:
                        if (CheckOperationMonitor(value, enc) is { } badMonitor)
                        {
                            return badMonitor;
                        }

                        break;
                    case MissingDataMember:
                        if (!TryReadMissingData(value, out _))
                        {
                            return OneM2MError.BadRequest("enc/md must be {\"num\": a positive integer, \"dur\": an ISO 8601 duration such as PT1M}");
                        }

                        break;
                    case AttributeNames.Attribute:
                        if (value is not List<object?> list || list.Any(a => a is not string))
                        {
                            return OneM2MError.BadRequest("enc/atr must be a list of attribute names");
                        }

                        break;
                    default:
                        return s_unsupportedCriteria.Contains(member)
                            ? new OneM2MError(ResponseStatusCode.NotImplemented, $"enc/{member} is not supported yet")
                            : OneM2MError.BadRequest($"'{member}' is not a member of eventNotificationCriteria");
                }
            }
        }

        // Missing data points (net 8) are counted by enc/md (as ACME: both go together).
        var missingData = events.Contains((long)NotificationEventType.ReportOnGeneratedMissingDataPoints);
        var hasMissingData = attributes.Criteria()?.ContainsKey(MissingDataMember) == true;
        if (missingData != hasMissingData)
        {
            return OneM2MError.BadRequest("enc/net 8 (missing data points) and enc/md go together: give both or neither");
        }

        // nct per net (TS-0004 Table 6.3.4.2.x): 2 (modified attributes) only for updates; 5 (timeSeries
        // notification) for missing data points and nothing else; 4 belongs to an event not raised here.
        if (attributes.TryGetValue(AttributeNames.NotificationContentType, out var nctValue) && nctValue is long nct)
        {
            if (nct is < (long)NotificationContentType.AllAttributes or > (long)NotificationContentType.TimeSeriesNotification)
            {
                return OneM2MError.BadRequest($"nct {nct} is not a notification content type");
            }

            var timeSeriesNotification = (NotificationContentType)nct == NotificationContentType.TimeSeriesNotification;
            if ((NotificationContentType)nct is NotificationContentType.TriggerPayload
                || (missingData && (!timeSeriesNotification || events.Count > 1))
                || (!missingData && timeSeriesNotification)
                || ((NotificationContentType)nct == NotificationContentType.ModifiedAttributes
                    && events.Any(e => e is not ((long)NotificationEventType.UpdateOfResource or (long)NotificationEventType.BlockingUpdate))))
            {
                return OneM2MError.BadRequest($"nct {nct} does not fit the event types {string.Join(",", events)}");
            }
        }

        return null;
    }

    /// <summary>
    /// <c>enc/om</c> (operation monitor): a non-empty list of entries, each with <c>ops</c> (an operation, 1 to 5)
    /// and/or <c>org</c> (an originator); not together with <c>enc/net</c> (4000, as ACME).
    /// </summary>
    private static OneM2MError? CheckOperationMonitor(object? value, Dictionary<string, object?> enc)
    {
        if (enc.ContainsKey(AttributeNames.NotificationEventType))
        {
            return OneM2MError.BadRequest("enc/om and enc/net cannot be given together");
        }

        if (value is not List<object?> { Count: > 0 } entries)
        {
            return OneM2MError.BadRequest("enc/om must be a non-empty list of operation monitors");
        }

        foreach (var entry in entries)
        {
            if (entry is not Dictionary<string, object?> { Count: > 0 } monitor)
            {
                return OneM2MError.BadRequest("an enc/om entry must be an object with ops and/or org");
            }

            foreach (var (member, item) in monitor)
            {
                var valid = member switch
                {
                    AttributeNames.Operations => item is long operation && operation is >= (long)Operation.Create and <= (long)Operation.Notify,
                    AttributeNames.Originator => item is string { Length: > 0 },
                    _ => false,
                };
                if (!valid)
                {
                    return OneM2MError.BadRequest($"enc/om/{member} is not valid: ops is an operation from 1 to 5, org an originator");
                }
            }
        }

        return null;
    }

    /// <summary>Attributes a blocking update subscription may not have (as ACME: they would delay or drop its one notification).</summary>
    private static readonly string[] s_notForBlockingUpdate =
    [
        AttributeNames.ExpirationCounter, AttributeNames.GroupId, AttributeNames.NotificationForwardingUri, AttributeNames.BatchNotify,
        AttributeNames.RateLimit, AttributeNames.PreSubscriptionNotify, AttributeNames.PendingNotification, AttributeNames.NotificationStoragePriority,
        AttributeNames.LatestNotify, AttributeNames.NotificationEventCat,
    ];

    /// <summary><c>enc/md</c>: missingData.</summary>
    private const string MissingDataMember = "md";

    /// <summary>Whether <c>enc/net</c> names missing data points (8).</summary>
    private static bool NamesMissingData(Dictionary<string, object?> attributes) =>
        attributes.Criteria() is { } enc && enc.TryGetValue(AttributeNames.NotificationEventType, out var net)
        && IsIntegerList(net, out var events) && events.Contains((long)NotificationEventType.ReportOnGeneratedMissingDataPoints);

    /// <summary>Reads <c>enc/md</c> (<c>{"num":3,"dur":"PT1M"}</c>): both members, <c>num</c> positive, <c>dur</c> an ISO 8601 duration above zero.</summary>
    private static bool TryReadMissingData(object? value, out MissingDataCriteria? criteria)
    {
        criteria = null;
        if (value is Dictionary<string, object?> { Count: 2 } md
            && md.TryGetValue("num", out var num) && num is long number && number is > 0 and <= int.MaxValue
            && md.TryGetValue("dur", out var dur) && dur is string text && OneM2MTime.TryParseDuration(text, out var duration) && duration > TimeSpan.Zero)
        {
            criteria = new MissingDataCriteria((int)number, duration);
            return true;
        }

        return false;
    }

    /// <summary>Whether <c>enc/net</c> names the blocking update (7).</summary>
    private static bool NamesBlockingUpdate(Dictionary<string, object?> attributes) =>
        attributes.Criteria() is { } enc && enc.TryGetValue(AttributeNames.NotificationEventType, out var net)
        && IsIntegerList(net, out var events) && events.Contains((long)NotificationEventType.BlockingUpdate);

    /// <summary>
    /// The rules of a blocking update subscription (TS-0004 7.4.8.2.1, as ACME applies them), all 4000: it is made so
    /// at creation, never by an update; 7 is its only event type; one notification target; only <c>enc/atr</c>
    /// narrows it; content type 2 (modified attributes); none of the batching, counting or forwarding attributes.
    /// One per resource (4124) is checked against the subscribed-to resource (<see cref="CheckForParent"/>).
    /// </summary>
    private static OneM2MError? CheckBlockingUpdate(Dictionary<string, object?> attributes, ValidationContext context)
    {
        var enc = attributes.Criteria()!;
        if (context.Operation == Operation.Update && !context.Merged)
        {
            return OneM2MError.BadRequest("an update cannot make a subscription a blocking update (net 7) one");
        }

        if (IsIntegerList(enc[AttributeNames.NotificationEventType], out var events) && events.Count > 1)
        {
            return OneM2MError.BadRequest("blocking update (net 7) must be the only notification event type");
        }

        if (attributes.TryGetValue(AttributeNames.NotificationUri, out var nu) && nu is List<object?> { Count: > 1 })
        {
            return OneM2MError.BadRequest("a blocking update subscription has exactly one notification target (nu)");
        }

        foreach (var member in enc.Keys)
        {
            if (member is not (AttributeNames.NotificationEventType or AttributeNames.Attribute))
            {
                return OneM2MError.BadRequest($"enc/{member} is not allowed in a blocking update subscription: only enc/atr");
            }
        }

        if (attributes.TryGetValue(AttributeNames.NotificationContentType, out var nct) && nct is long type && type != (long)NotificationContentType.ModifiedAttributes)
        {
            return OneM2MError.BadRequest($"nct {type} does not fit a blocking update subscription: nct must be 2 (modified attributes)");
        }

        foreach (var name in s_notForBlockingUpdate)
        {
            if (attributes.TryGetValue(name, out var value) && value is not null)
            {
                return OneM2MError.BadRequest($"'{name}' is not allowed in a blocking update subscription");
            }
        }

        return null;
    }

    /// <summary>
    /// Checks a new subscription against the resource it subscribes to: <c>enc/chty</c> must name child types that
    /// resource may have (4000 otherwise, TS-0004 7.4.8.2.1). Null when it fits.
    /// </summary>
    public static OneM2MError? CheckForParent(Dictionary<string, object?> attributes, ResourcePolicy parent, IEnumerable<SubscriptionFilter> existing)
    {
        if (attributes.Criteria() is { } enc && enc.TryGetValue(AttributeNames.ChildResourceType, out var chty)
            && IsIntegerList(chty, out var types))
        {
            foreach (var type in types)
            {
                var childType = (ResourceType)(int)type;
                if (!parent.Children.Contains(childType) && !parent.UnimplementedChildren.Contains(childType))
                {
                    return OneM2MError.BadRequest($"enc/chty: resource type {type} cannot be a child of {parent.RootKey}");
                }
            }
        }

        // Only a timeSeries detects missing data points (TS-0001 10.2.4.29).
        if (NamesMissingData(attributes) && parent.Type != ResourceType.TimeSeries)
        {
            return OneM2MError.BadRequest($"enc/net 8 (missing data points) needs a timeSeries to subscribe to, not {parent.RootKey}");
        }

        // One blocking-update subscription per resource (TS-0001 10.2.11.x).
        if (Filter("", attributes).EventTypes.Contains((int)NotificationEventType.BlockingUpdate))
        {
            foreach (var filter in existing)
            {
                if (filter.EventTypes.Contains((int)NotificationEventType.BlockingUpdate))
                {
                    return new OneM2MError(ResponseStatusCode.BlockingSubscriptionAlreadyExists,
                        $"the resource already has a blocking update subscription ({filter.SubscriptionId})");
                }
            }
        }

        return null;
    }

    /// <summary>Default <c>bn/dur</c> when a batch gives only a number (ACME's default, 60 s).</summary>
    public static readonly TimeSpan DefaultBatchDuration = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Reads <c>batchNotify</c> (<c>{"num":5,"dur":"PT10S"}</c>): <c>num</c> a positive integer, <c>dur</c> an ISO 8601
    /// duration; at least one of them.
    /// </summary>
    public static bool TryReadBatch(object? value, out int number, out TimeSpan duration, out string error)
    {
        number = int.MaxValue;
        duration = DefaultBatchDuration;
        error = "";
        if (value is not Dictionary<string, object?> batch || batch.Count == 0)
        {
            error = "bn must be an object with num and/or dur";
            return false;
        }

        foreach (var (member, item) in batch)
        {
            switch (member)
            {
                case "num" when item is long n && n is > 0 and <= 10_000:
                    number = (int)n;
                    break;
                case "dur" when item is string text && OneM2MTime.TryParseDuration(text, out var parsed) && parsed > TimeSpan.Zero:
                    duration = parsed;
                    break;
                default:
                    error = $"bn/{member} is not valid: num is an integer from 1 to 10000, dur an ISO 8601 duration such as PT10S";
                    return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The event criteria of a subscription, as its parent keeps them; with <paramref name="options"/>, also whether
    /// the parent signals cross-resource subscriptions for it (not while it has a schedule, <paramref name="scheduled"/>).
    /// </summary>
    public static SubscriptionFilter Filter(string subscriptionId, Dictionary<string, object?> attributes, CseOptions? options = null, bool scheduled = false)
    {
        var enc = attributes.Criteria();
        var monitors = Monitors(enc);
        var events = enc is not null && enc.TryGetValue(AttributeNames.NotificationEventType, out var net) && IsIntegerList(net, out var list)
            ? list.Select(e => (int)e).ToList()
            : monitors is null ? [(int)NotificationEventType.UpdateOfResource] : [];
        var childTypes = enc is not null && enc.TryGetValue(AttributeNames.ChildResourceType, out var chty) && IsIntegerList(chty, out var types)
            ? types.Select(t => (int)t).ToList()
            : [];
        var atr = enc is not null && enc.TryGetValue(AttributeNames.Attribute, out var atrValue) && atrValue is List<object?> names
            ? names.OfType<string>().ToList()
            : [];
        var missingData = enc is not null && enc.TryGetValue(MissingDataMember, out var md) && TryReadMissingData(md, out var criteria) ? criteria : null;
        return new SubscriptionFilter(subscriptionId, events, childTypes, atr, monitors, missingData,
            options is null ? null : CrossResourceFeeds.Signal(subscriptionId, attributes, options, scheduled));
    }

    /// <summary>The operation monitors of <c>enc/om</c>, or null without one.</summary>
    private static List<OperationMonitor>? Monitors(Dictionary<string, object?>? enc)
    {
        if (enc is null || !enc.TryGetValue(AttributeNames.OperationMonitor, out var value) || value is not List<object?> entries)
        {
            return null;
        }

        var monitors = new List<OperationMonitor>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry is Dictionary<string, object?> monitor)
            {
                monitors.Add(new OperationMonitor(
                    monitor.TryGetValue(AttributeNames.Operations, out var ops) && ops is long operation ? (Operation)operation : null,
                    monitor.TryGetValue(AttributeNames.Originator, out var org) ? org as string : null));
            }
        }

        return monitors;
    }

    private static bool IsIntegerList(object? value, out List<long> integers)
    {
        integers = [];
        if (value is not List<object?> list)
        {
            return false;
        }

        foreach (var item in list)
        {
            if (item is not long l)
            {
                return false;
            }

            integers.Add(l);
        }

        return true;
    }
}
