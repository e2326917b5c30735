using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.NotificationTargetPolicy;

/// <summary>
/// Attribute rules of the <c>&lt;notificationTargetPolicy&gt;</c> (ty 26, R4; presence as ACME's attribute policies
/// give it): <c>acn</c> (action, 1 accept, 2 reject, 3 seek authorization, 4 inform) mandatory and fixed,
/// <c>plbl</c> (policyLabel, a token; <c>Default</c> makes it its creator's default policy) mandatory,
/// <c>rrs</c> (ruleRelationship between its two <c>&lt;policyDeletionRules&gt;</c>, 1 AND, 2 OR) AND unless set, as ACME.
/// </summary>
internal static class NotificationTargetPolicyRules
{
    /// <summary><c>acn</c>.</summary>
    public const string Action = "acn";

    /// <summary><c>plbl</c>.</summary>
    public const string PolicyLabel = "plbl";

    /// <summary><c>rrs</c>.</summary>
    public const string RuleRelationship = "rrs";

    /// <summary>The label of a creator's default policy; the CSE's own (<see cref="SystemDefaultName"/>) is the system default.</summary>
    public const string DefaultLabel = "Default";

    /// <summary>The resource name of the system default policy, which the CSE creates under the CSEBase (as ACME names it).</summary>
    public const string SystemDefaultName = "defaultNTP";

    /// <summary><c>m2m:logicalOperator</c>: 1 AND, 2 OR.</summary>
    public const long And = 1, Or = 2;

    public static readonly ResourcePolicy Rules = new(
        ResourceType.NotificationTargetPolicy,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            ResourcePolicy.Creator,
            new(Action, "action", ValueKind.NonNegativeInteger, Presence.Mandatory, Presence.NotPresent, Values: new HashSet<long> { 1, 2, 3, 4 }),
            new(PolicyLabel, "policyLabel", ValueKind.String, Presence.Mandatory, Presence.Optional),
            new(RuleRelationship, "ruleRelationship", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional, Values: new HashSet<long> { And, Or })),
        check: Check,
        defaults: static (attributes, _) => attributes.TryAdd(RuleRelationship, And));

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.TryGetValue(PolicyLabel, out var label) && label is string text
            && (text.Length == 0 || text.Any(char.IsWhiteSpace)))
        {
            return OneM2MError.BadRequest("plbl (policyLabel) must be a token: not empty, without white space");
        }

        return null;
    }
}
