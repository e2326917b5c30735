using VirtualIoT.Grains.Domain;
using static VirtualIoT.Grains.Domain.Presence;

namespace VirtualIoT.Grains.Resources.TimeSyncBeacon;

/// <summary>
/// Attribute rules of the <c>&lt;timeSyncBeacon&gt;</c> (TS-0001 9.6.x, TS-0004 7.4.x; presence and the rules between
/// the attributes as ACME applies them): <c>bcnc</c> (beaconCriteria, 1 periodic, 2 loss of synchronization) and
/// <c>bcnu</c> (beaconNotificationURIs, not empty) mandatory; <c>bcni</c> (beaconInterval, an ISO 8601 duration) only
/// with criteria 1, <c>PT1H</c> unless given; <c>bcnt</c> (beaconThreshold, a duration) and <c>bcnr</c>
/// (beaconRequester, set at creation only, then mandatory) only with criteria 2, <c>bcnt</c> <c>PT1M</c> unless given.
/// </summary>
internal static class TimeSyncBeaconPolicy
{
    /// <summary><c>bcnc</c>: beaconCriteria.</summary>
    public const string Criteria = "bcnc";

    /// <summary><c>bcni</c>: beaconInterval, between two periodic beacons.</summary>
    public const string Interval = "bcni";

    /// <summary><c>bcnt</c>: beaconThreshold, the clock difference that counts as a loss of synchronization.</summary>
    public const string Threshold = "bcnt";

    /// <summary><c>bcnr</c>: beaconRequester, whose loss of synchronization a criteria-2 beacon watches.</summary>
    public const string Requester = "bcnr";

    /// <summary><c>bcnu</c>: beaconNotificationURIs, where beacons go (URLs or AE-IDs, as a subscription's <c>nu</c>).</summary>
    public const string NotificationUris = "bcnu";

    /// <summary><c>m2m:beaconCriteria</c> 1: a beacon every <c>bcni</c>.</summary>
    public const long Periodic = 1;

    /// <summary><c>m2m:beaconCriteria</c> 2: a beacon when the requester's clock is off by more than <c>bcnt</c>.</summary>
    public const long LossOfSynchronization = 2;

    /// <summary>The interval of a periodic beacon created without <c>bcni</c> (ACME's default).</summary>
    public const string DefaultInterval = "PT1H";

    /// <summary>The threshold of a loss-of-synchronization beacon created without <c>bcnt</c> (ACME's default, 60 s).</summary>
    public const string DefaultThreshold = "PT1M";

    /// <summary>The shortest beacon interval accepted (our choice: the standard sets none; shorter floods the targets).</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    public static readonly ResourcePolicy Rules = new(
        ResourceType.TimeSyncBeacon,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new(Criteria, "beaconCriteria", ValueKind.NonNegativeInteger, Mandatory, Optional, Values: new HashSet<long> { Periodic, LossOfSynchronization }),
            new(Interval, "beaconInterval", ValueKind.String, Optional, Optional),
            new(Threshold, "beaconThreshold", ValueKind.String, Optional, Optional),
            new(Requester, "beaconRequester", ValueKind.String, Optional, NotPresent),
            new(NotificationUris, "beaconNotificationURIs", ValueKind.NonEmptyStringList, Mandatory, Optional)),
        check: Check,
        defaults: static (attributes, _) => ApplyDefaults(attributes));

    /// <summary>The interval of a periodic beacon; null for any other (or a stored value that does not parse).</summary>
    public static TimeSpan? PeriodOf(Dictionary<string, object?> attributes) =>
        attributes.Long(Criteria) == Periodic && OneM2MTime.TryParseDuration(attributes.GetValueOrDefault(Interval) as string, out var interval)
            ? interval
            : null;

    /// <summary>The interval or threshold the criteria needs, when not given.</summary>
    public static void ApplyDefaults(Dictionary<string, object?> attributes)
    {
        if (attributes.Long(Criteria) == Periodic)
        {
            attributes.TryAdd(Interval, DefaultInterval);
        }
        else if (attributes.Long(Criteria) == LossOfSynchronization)
        {
            attributes.TryAdd(Threshold, DefaultThreshold);
        }
    }

    /// <summary>
    /// The attributes of a beacon as a whole (a create's, or an update's merged with the resource): 4000 when one
    /// belongs to the other criteria or a criteria-2 beacon names no requester.
    /// </summary>
    public static OneM2MError? CheckCriteria(Dictionary<string, object?> attributes)
    {
        var criteria = attributes.Long(Criteria);
        if (criteria == Periodic)
        {
            if (attributes.ContainsKey(Threshold))
            {
                return OneM2MError.BadRequest("bcnt (beaconThreshold) is only allowed with bcnc 2 (loss of synchronization)");
            }

            if (attributes.ContainsKey(Requester))
            {
                return OneM2MError.BadRequest("bcnr (beaconRequester) is only allowed with bcnc 2 (loss of synchronization)");
            }
        }
        else if (criteria == LossOfSynchronization)
        {
            if (attributes.ContainsKey(Interval))
            {
                return OneM2MError.BadRequest("bcni (beaconInterval) is only allowed with bcnc 1 (periodic)");
            }

            if (attributes.GetValueOrDefault(Requester) is not string requester || requester.Length == 0)
            {
                return OneM2MError.BadRequest("bcnc 2 (loss of synchronization) needs bcnr (beaconRequester), which can only be set at creation");
            }
        }

        return null;
    }

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.GetValueOrDefault(Interval) is string interval
            && (!OneM2MTime.TryParseDuration(interval, out var period) || period < MinInterval))
        {
            return OneM2MError.BadRequest($"bcni (beaconInterval) '{interval}' must be an ISO 8601 duration of at least {MinInterval.TotalSeconds:0} s (PT1S)");
        }

        if (attributes.GetValueOrDefault(Threshold) is string threshold
            && (!OneM2MTime.TryParseDuration(threshold, out var limit) || limit < TimeSync.SmallestDrift))
        {
            return OneM2MError.BadRequest($"bcnt (beaconThreshold) '{threshold}' must be an ISO 8601 duration of at least {TimeSync.SmallestDrift.TotalSeconds:0} s (PT10S)");
        }

        // On update the grain checks the merged resource (the request alone does not say the final criteria).
        return context.Operation == Operation.Create || context.Merged ? CheckCriteria(attributes) : null;
    }
}
