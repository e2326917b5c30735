using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Domain.Access;

namespace VirtualIoT.Grains.Resources.PolicyDeletionRules;

/// <summary>
/// Attribute rules of the <c>&lt;policyDeletionRules&gt;</c> (ty 27, R4; presence as ACME's attribute policies give
/// it): <c>dr</c> (deletionRules, <c>m2m:deletionContexts</c>: <c>tod</c> time-of-day schedule entries and
/// <c>lr</c> location regions) fixed at creation, <c>drr</c> (deletionRuleRelation between its entries, 1 AND,
/// 2 OR; OR when absent, as ACME evaluates it). Location regions need a device location this CSE does not have:
/// 5001, as ACME answers when it meets one.
/// </summary>
internal static class PolicyDeletionRulesPolicy
{
    /// <summary><c>dr</c>.</summary>
    public const string DeletionRules = "dr";

    /// <summary><c>drr</c>.</summary>
    public const string DeletionRuleRelation = "drr";

    /// <summary><c>tod</c> in <c>dr</c>: schedule entries (seven crontab-like fields, as <c>actw</c>).</summary>
    public const string TimeOfDay = "tod";

    /// <summary><c>lr</c> in <c>dr</c>: location regions.</summary>
    public const string LocationRegions = "lr";

    public static readonly ResourcePolicy Rules = new(
        ResourceType.PolicyDeletionRules,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new(DeletionRules, "deletionRules", ValueKind.Map, Presence.Optional, Presence.NotPresent),
            new(DeletionRuleRelation, "deletionRuleRelation", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional,
                Values: new HashSet<long> { 1, 2 })),
        check: Check);

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.GetValueOrDefault(DeletionRules) is not Dictionary<string, object?> rules)
        {
            return null;
        }

        foreach (var (member, value) in rules)
        {
            switch (member)
            {
                case TimeOfDay:
                    if (value is not List<object?> entries)
                    {
                        return OneM2MError.BadRequest("dr/tod (timeOfDay) must be a list of schedule entries");
                    }

                    foreach (var entry in entries)
                    {
                        if (entry is not string text || TimeWindow.Parse(text, out _) is null)
                        {
                            return OneM2MError.BadRequest($"dr/tod entry '{entry}' is not a schedule entry (second minute hour day month weekday year)");
                        }
                    }

                    break;
                case LocationRegions:
                    if (value is List<object?> { Count: > 0 })
                    {
                        return new OneM2MError(ResponseStatusCode.NotImplemented,
                            "dr/lr (locationRegions) is not supported: this CSE knows no device location");
                    }

                    break;
                default:
                    return OneM2MError.BadRequest($"'{member}' is not a member of dr (deletionRules): tod, lr");
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the rules of a <c>&lt;policyDeletionRules&gt;</c> hold at <paramref name="utc"/>: true without
    /// <c>tod</c> entries; otherwise its entries combined by <c>drr</c> (OR unless AND), each true when the time lies in it.
    /// </summary>
    public static bool Holds(Dictionary<string, object?> attributes, DateTime utc)
    {
        if (attributes.GetValueOrDefault(DeletionRules) is not Dictionary<string, object?> rules
            || rules.GetValueOrDefault(TimeOfDay) is not List<object?> { Count: > 0 } entries)
        {
            return true;
        }

        var all = attributes.GetValueOrDefault(DeletionRuleRelation) is 1L;
        foreach (var entry in entries)
        {
            var inWindow = entry is string text && TimeWindow.Parse(text, out _) is { } window && window.Contains(utc);
            if (inWindow != all)
            {
                return inWindow;
            }
        }

        return all;
    }
}
