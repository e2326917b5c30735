using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Group;

/// <summary>Attribute rules of the group (TS-0001 9.6.13, TS-0004 7.4.13).</summary>
internal static class GroupPolicy
{
    /// <summary><c>mt</c> 0: members of any type.</summary>
    public const long Mixed = 0;

    /// <summary>Values of <c>csy</c> (<see cref="ConsistencyStrategy"/>) as stored.</summary>
    public const long AbandonMember = (long)ConsistencyStrategy.AbandonMember, AbandonGroup = (long)ConsistencyStrategy.AbandonGroup,
        SetMixed = (long)ConsistencyStrategy.SetMixed;

    public static readonly ResourcePolicy Rules = new(
        ResourceType.Group,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            ResourcePolicy.Creator,
            new("mt", "memberType", ValueKind.NonNegativeInteger, Presence.Optional, Presence.NotPresent),
            new("spty", "specializationType", ValueKind.Any, Presence.Optional, Presence.NotPresent),
            new("cnm", "currentNrOfMembers", ValueKind.NonNegativeInteger, Presence.NotPresent, Presence.NotPresent),
            new("mnm", "maxNrOfMembers", ValueKind.NonNegativeInteger, Presence.Mandatory, Presence.Optional),
            new("mid", "memberIDs", ValueKind.StringList, Presence.Mandatory, Presence.Optional),
            new("macp", "membersAccessControlPolicyIDs", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new("mtv", "memberTypeValidated", ValueKind.Boolean, Presence.NotPresent, Presence.NotPresent),
            new("csy", "consistencyStrategy", ValueKind.NonNegativeInteger, Presence.Optional, Presence.NotPresent),
            new("gn", "groupName", ValueKind.String, Presence.Optional, Presence.Optional),
            new("ssi", "semanticSupportIndicator", ValueKind.Boolean, Presence.NotPresent, Presence.NotPresent),
            new("nar", "notifyAggregation", ValueKind.Any, Presence.Optional, Presence.Optional)),
        check: Check,
        defaults: Defaults);

    /// <summary>A new group is mixed and abandons inconsistent members unless told otherwise (TS-0004 7.4.13).</summary>
    private static void Defaults(Dictionary<string, object?> attributes, string originator)
    {
        attributes.TryAdd("mt", Mixed);
        attributes.TryAdd("csy", AbandonMember);
        attributes["ssi"] = false;
    }

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.TryGetValue("mnm", out var mnm) && mnm is 0L)
        {
            return OneM2MError.BadRequest("mnm (maxNrOfMembers) must be a positive integer");
        }

        if (attributes.TryGetValue("mt", out var mt) && mt is long type && type != Mixed && !Enum.IsDefined((ResourceType)type))
        {
            return OneM2MError.BadRequest($"mt (memberType) {type} is not a resource type");
        }

        if (attributes.TryGetValue("csy", out var csy) && csy is not (null or AbandonMember or AbandonGroup or SetMixed))
        {
            return OneM2MError.BadRequest("csy (consistencyStrategy) must be 1 (ABANDON_MEMBER), 2 (ABANDON_GROUP) or 3 (SET_MIXED)");
        }

        if (attributes.TryGetValue("spty", out var spty) && spty is not (null or long or string))
        {
            return OneM2MError.BadRequest("spty (specializationType) must be an integer or a string");
        }

        if (attributes.TryGetValue("nar", out var nar) && nar is not (null or Dictionary<string, object?>))
        {
            return OneM2MError.BadRequest("nar (notifyAggregation) must be a batchNotify object");
        }

        if (attributes.TryGetValue("mid", out var mid) && mid is List<object?> members)
        {
            foreach (var member in members)
            {
                if (member is not string { Length: > 0 })
                {
                    return OneM2MError.BadRequest("mid (memberIDs) must hold non-empty resource IDs");
                }
            }
        }

        return null;
    }
}
