using System.Xml;
using VirtualIoT.Grains.Domain;
using static VirtualIoT.Grains.Domain.Presence;

namespace VirtualIoT.Grains.Resources.LocationPolicy;

/// <summary>
/// Attribute rules of the <c>&lt;locationPolicy&gt;</c> (ty 10), as far as ACME implements them: <c>los</c>
/// (locationSource, mandatory, fixed at creation) 1 device-based only: 2 network-based and 3 sharing-based need a
/// location server this CSE does not have (5001, as ACME answers). The attributes that only mean something to a
/// location server (<c>lot</c>, <c>lor</c>, <c>aid</c>, <c>rlkl</c>, <c>luec</c>) are refused with a device-based
/// source (4000, as ACME). <c>lou</c> (locationUpdatePeriod, durations), <c>lit</c> (locationInformationType, 1
/// position fix, 2 geofence event) and <c>lon</c> (the container's name) are kept; <c>loi</c> (the container) and
/// <c>lost</c> (locationStatus, empty for a device-based source, as ACME) are the CSE's. Geofencing (<c>gta</c>,
/// <c>gec</c>) is not supported (5001).
/// </summary>
internal static class LocationPolicyRules
{
    /// <summary><c>los</c>.</summary>
    public const string Source = "los";

    /// <summary><c>lou</c>.</summary>
    public const string UpdatePeriod = "lou";

    /// <summary><c>lon</c>.</summary>
    public const string ContainerName = "lon";

    /// <summary><c>loi</c>.</summary>
    public const string ContainerId = "loi";

    /// <summary><c>lost</c>.</summary>
    public const string Status = "lost";

    /// <summary><c>los</c> 1: the device reports its own location (into the container).</summary>
    public const long DeviceBased = 1;

    // A location server's attributes: meaningful with a network-based source only.
    private static readonly string[] s_networkOnly = ["lot", "lor", "aid", "rlkl", "luec"];

    private static readonly string[] s_geofencing = ["gta", "gec"];

    public static readonly ResourcePolicy Rules = new(
        ResourceType.LocationPolicy,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new(Source, "locationSource", ValueKind.NonNegativeInteger, Mandatory, NotPresent, Values: new HashSet<long> { 1, 2, 3 }),
            new(UpdatePeriod, "locationUpdatePeriod", ValueKind.StringList, Optional, Optional),
            new("lot", "locationTargetID", ValueKind.String, Optional, Optional),
            new("lor", "locationServer", ValueKind.String, Optional, Optional),
            new("aid", "authID", ValueKind.String, Optional, NotPresent),
            new("rlkl", "retrieveLastKnownLocation", ValueKind.Boolean, Optional, Optional),
            new("luec", "locationUpdateEventCriteria", ValueKind.Any, Optional, Optional),
            new("lit", "locationInformationType", ValueKind.NonNegativeInteger, Optional, Optional, Values: new HashSet<long> { 1, 2 }),
            new(ContainerId, "locationContainerID", ValueKind.String, NotPresent, NotPresent),
            new(ContainerName, "locationContainerName", ValueKind.String, Optional, NotPresent),
            new(Status, "locationStatus", ValueKind.String, NotPresent, NotPresent),
            new("gta", "geographicalTargetArea", ValueKind.Any, Optional, Optional),
            new("gec", "geofenceEventCriteria", ValueKind.Any, Optional, Optional)),
        check: Check,
        defaults: static (attributes, _) => attributes[Status] = "");

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.GetValueOrDefault(Source) is long source && source != DeviceBased)
        {
            return new OneM2MError(ResponseStatusCode.NotImplemented,
                $"los (locationSource) {source} is not supported: only 1 (device-based); this CSE has no location server");
        }

        foreach (var name in s_geofencing)
        {
            if (attributes.GetValueOrDefault(name) is not null)
            {
                return new OneM2MError(ResponseStatusCode.NotImplemented, $"{name} (geofencing) is not supported");
            }
        }

        foreach (var name in s_networkOnly)
        {
            if (attributes.GetValueOrDefault(name) is not null)
            {
                return OneM2MError.BadRequest($"attribute {name} is only allowed with los (locationSource) 2, network-based");
            }
        }

        if (attributes.GetValueOrDefault(UpdatePeriod) is List<object?> periods)
        {
            foreach (var period in periods)
            {
                try
                {
                    XmlConvert.ToTimeSpan((string)period!);
                }
                catch (FormatException)
                {
                    return OneM2MError.BadRequest($"lou (locationUpdatePeriod) '{period}' is not a duration (ISO 8601, PT10S)");
                }
            }
        }

        return null;
    }
}
