using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Subscription;
using static VirtualIoT.Grains.Domain.Presence;

namespace VirtualIoT.Grains.Resources.CrossResourceSubscription;

/// <summary>
/// Attribute rules of the <c>&lt;crossResourceSubscription&gt;</c> (TS-0001 9.6.x, TS-0004 7.4.x; presence and the rules
/// between the attributes as ACME applies them): <c>nu</c>, <c>twt</c> (1 periodic, 2 sliding) and <c>tws</c> (an
/// ISO 8601 duration) mandatory; <c>rrat</c> (regular resources) and <c>srat</c> (subscriptions) as targets, at least
/// one of them, only on create; with <c>rrat</c>, <c>encs</c> (<c>{"enc":[...]}</c>) holding one criteria for all
/// targets or one per target, each a subscription's <c>enc</c>; <c>eem</c> (1 all events present, the default, 2 all or
/// some present, 3 some missing, 4 all or some missing, 5 all missing; 4 and 5 not with a sliding window);
/// <c>rrats</c> (the subscriptions made for <c>rrat</c>) set by the CSE; <c>exc</c>, <c>nec</c>, <c>su</c>,
/// <c>nse</c>/<c>nsi</c> as a subscription's.
/// </summary>
internal static class CrossResourceSubscriptionPolicy
{
    /// <summary><c>rrat</c>: regularResourcesAsTarget.</summary>
    public const string RegularTargets = "rrat";

    /// <summary><c>srat</c>: subscriptionResourcesAsTarget.</summary>
    public const string SubscriptionTargets = "srat";

    /// <summary><c>rrats</c>: the subscriptions the CSE made for <c>rrat</c>, in the same order (SP-relative IDs).</summary>
    public const string RegularTargetSubscriptions = "rrats";

    /// <summary><c>twt</c>: timeWindowType.</summary>
    public const string WindowType = "twt";

    /// <summary><c>tws</c>: timeWindowSize.</summary>
    public const string WindowSize = "tws";

    /// <summary><c>eem</c>: eventEvaluationMode.</summary>
    public const string EvaluationMode = "eem";

    /// <summary><c>encs</c>: eventNotificationCriteriaSet, <c>{"enc":[...]}</c>.</summary>
    public const string CriteriaSet = "encs";

    /// <summary><c>m2m:timeWindowType</c> 1: windows of <c>tws</c> one after the other from the creation.</summary>
    public const long PeriodicWindow = 1;

    /// <summary><c>m2m:timeWindowType</c> 2: a window of <c>tws</c> opened by the first event.</summary>
    public const long SlidingWindow = 2;

    /// <summary><c>m2m:eventEvaluationMode</c> values.</summary>
    public const long AllEventsPresent = 1, AllOrSomeEventsPresent = 2, SomeEventsMissing = 3, AllOrSomeEventsMissing = 4, AllEventsMissing = 5;

    /// <summary>The shortest window accepted (our choice: the standard sets none; shorter floods the targets).</summary>
    public static readonly TimeSpan MinWindow = TimeSpan.FromSeconds(1);

    public static readonly ResourcePolicy Rules = new(
        ResourceType.CrossResourceSubscription,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            ResourcePolicy.Creator,
            new(AttributeNames.NotificationUri, "notificationURI", ValueKind.NonEmptyStringList, Mandatory, Optional),
            new(AttributeNames.ExpirationCounter, "expirationCounter", ValueKind.PositiveInteger, Optional, Optional),
            new(AttributeNames.NotificationEventCat, "notificationEventCat", ValueKind.NonNegativeInteger, Optional, Optional),
            new(AttributeNames.SubscriberUri, "subscriberURI", ValueKind.String, Optional, NotPresent),
            new(RegularTargets, "regularResourcesAsTarget", ValueKind.NonEmptyStringList, Optional, NotPresent),
            new(SubscriptionTargets, "subscriptionResourcesAsTarget", ValueKind.NonEmptyStringList, Optional, NotPresent),
            new(RegularTargetSubscriptions, "regularResourcesAsTargetSubscriptions", ValueKind.StringList, NotPresent, NotPresent),
            new(WindowType, "timeWindowType", ValueKind.NonNegativeInteger, Mandatory, Optional, Values: new HashSet<long> { PeriodicWindow, SlidingWindow }),
            new(WindowSize, "timeWindowSize", ValueKind.String, Mandatory, Optional),
            new(EvaluationMode, "eventEvaluationMode", ValueKind.NonNegativeInteger, Optional, Optional,
                Values: new HashSet<long> { AllEventsPresent, AllOrSomeEventsPresent, SomeEventsMissing, AllOrSomeEventsMissing, AllEventsMissing }),
            new(CriteriaSet, "eventNotificationCriteriaSet", ValueKind.Map, Optional, NotPresent),
            new(AttributeNames.NotificationStatsEnable, "notificationStatsEnable", ValueKind.Boolean, Optional, Optional),
            new(AttributeNames.NotificationStatsInfo, "notificationStatsInfo", ValueKind.Any, NotPresent, NotPresent)),
        check: Check,
        defaults: static (attributes, _) =>
        {
            attributes.TryAdd(EvaluationMode, AllEventsPresent);
            attributes.TryAdd(AttributeNames.NotificationStatsEnable, false);
        });

    /// <summary>The window size; zero for a stored value that does not parse.</summary>
    public static TimeSpan WindowSizeOf(Dictionary<string, object?> attributes) =>
        OneM2MTime.TryParseDuration(attributes.GetValueOrDefault(WindowSize) as string, out var size) ? size : TimeSpan.Zero;

    /// <summary>The targets named by <c>rrat</c> or <c>srat</c>.</summary>
    public static List<string> Targets(Dictionary<string, object?> attributes, string name) =>
        attributes.GetValueOrDefault(name) is List<object?> list ? list.OfType<string>().ToList() : [];

    /// <summary>The <c>enc</c> for the <paramref name="index"/>-th entry of <c>rrat</c>: the set's only one, or its own.</summary>
    public static Dictionary<string, object?> CriteriaFor(Dictionary<string, object?> attributes, int index)
    {
        var set = CriteriaList(attributes)!;
        return (Dictionary<string, object?>)(set.Count == 1 ? set[0] : set[index])!;
    }

    /// <summary>
    /// Whether the events of one window (<paramref name="notified"/> of the <paramref name="expected"/> subscriptions
    /// notified) call for a notification under <paramref name="mode"/> (as ACME evaluates it).
    /// </summary>
    public static bool Satisfied(long mode, int notified, int expected) => mode switch
    {
        AllOrSomeEventsPresent => notified >= 1 && notified <= expected,
        SomeEventsMissing => notified >= 1 && notified < expected,
        AllOrSomeEventsMissing => notified < expected,
        AllEventsMissing => notified == 0,
        _ => notified == expected,
    };

    private static List<object?>? CriteriaList(Dictionary<string, object?> attributes) =>
        attributes.GetValueOrDefault(CriteriaSet) is Dictionary<string, object?> set && set.GetValueOrDefault(AttributeNames.EventNotificationCriteria) is List<object?> list
            ? list
            : null;

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.GetValueOrDefault(WindowSize) is string tws
            && (!OneM2MTime.TryParseDuration(tws, out var size) || size < MinWindow))
        {
            return OneM2MError.BadRequest($"tws (timeWindowSize) '{tws}' must be an ISO 8601 duration of at least {MinWindow.TotalSeconds:0} s (PT1S)");
        }

        if (attributes.GetValueOrDefault(AttributeNames.NotificationEventCat) is long nec && nec is not (>= 2 and <= 4 or >= 100 and <= 999))
        {
            return OneM2MError.BadRequest("nec (notificationEventCat) must be an event category: 2, 3, 4 or 100-999");
        }

        if (context.Operation != Operation.Create && !context.Merged)
        {
            // An update is checked again merged with the resource (the request alone does not say the final twt and eem).
            return null;
        }

        if (attributes.Long(WindowType) == SlidingWindow && attributes.Long(EvaluationMode) is AllOrSomeEventsMissing or AllEventsMissing)
        {
            return OneM2MError.BadRequest($"eem (eventEvaluationMode) {attributes.Long(EvaluationMode)} is not allowed with twt 2 (sliding window): a sliding window opens with an event");
        }

        if (context.Operation != Operation.Create)
        {
            return null;
        }

        var regular = Targets(attributes, RegularTargets);
        if (regular.Count == 0 && Targets(attributes, SubscriptionTargets).Count == 0)
        {
            return OneM2MError.BadRequest("at least one of rrat (regularResourcesAsTarget) and srat (subscriptionResourcesAsTarget) must be given");
        }

        if (attributes.ContainsKey(CriteriaSet) && CriteriaList(attributes) is null)
        {
            return OneM2MError.BadRequest("encs (eventNotificationCriteriaSet) must be an object with a list enc of event notification criteria");
        }

        if (regular.Count > 0)
        {
            var set = CriteriaList(attributes);
            if (set is null || set.Count == 0)
            {
                return OneM2MError.BadRequest("encs (eventNotificationCriteriaSet) must not be empty when rrat (regularResourcesAsTarget) is given");
            }

            if (set.Count != 1 && set.Count != regular.Count)
            {
                return OneM2MError.BadRequest($"encs/enc must hold 1 or {regular.Count} (one per rrat entry) criteria, not {set.Count}");
            }

            for (var i = 0; i < set.Count; i++)
            {
                if (set[i] is not Dictionary<string, object?> enc)
                {
                    return OneM2MError.BadRequest($"encs/enc[{i}] must be an object (a subscription's enc)");
                }

                var asSubscription = new Dictionary<string, object?>(StringComparer.Ordinal) { [AttributeNames.EventNotificationCriteria] = enc };
                if (SubscriptionPolicy.Rules.Check!(asSubscription, context) is { } invalid)
                {
                    return invalid with { Message = $"encs/enc[{i}]: {invalid.Message}" };
                }
            }
        }

        return null;
    }
}
