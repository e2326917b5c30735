using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Container;

/// <summary>Attribute rules of the container (TS-0001 9.6.6, docs/protocol.md §2.4).</summary>
internal static class ContainerPolicy
{
    /// <summary><c>li</c> (locationID): the <c>&lt;locationPolicy&gt;</c> a container holds locations for, set by the CSE.</summary>
    public const string LocationId = "li";

    /// <summary>
    /// <c>mni</c>, <c>mbs</c>, <c>mia</c> (any value from 0) and the counters <c>cni</c>, <c>cbs</c>: the attributes of a
    /// holder of requested instances (a container, a timeSeries).
    /// </summary>
    public static readonly AttributeRule[] InstanceLimits =
    [
        new("mni", "maxNrOfInstances", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional),
        new("mbs", "maxByteSize", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional),
        new("mia", "maxInstanceAge", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional),
        new("cni", "currentNrOfInstances", ValueKind.NonNegativeInteger, Presence.NotPresent, Presence.NotPresent),
        new("cbs", "currentByteSize", ValueKind.NonNegativeInteger, Presence.NotPresent, Presence.NotPresent),
    ];

    public static readonly ResourcePolicy Rules = new(
        ResourceType.Container,
        ResourcePolicy.Universal(
        [
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            ResourcePolicy.Creator,
            ResourcePolicy.StateTag,
            ResourcePolicy.Location,
            .. InstanceLimits,
            new(LocationId, "locationID", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new("or", "ontologyRef", ValueKind.String, Presence.Optional, Presence.Optional),
            new("disr", "disableRetrieval", ValueKind.Boolean, Presence.Optional, Presence.Optional),
        ]),
        defaults: Defaults);

    /// <summary>A new container starts at state tag 0, with no instances.</summary>
    private static void Defaults(Dictionary<string, object?> attributes, string originator)
    {
        attributes["st"] = 0L;
        attributes["cni"] = 0L;
        attributes["cbs"] = 0L;
    }
}
