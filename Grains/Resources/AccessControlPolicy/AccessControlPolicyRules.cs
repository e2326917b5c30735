using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Domain.Access;

namespace VirtualIoT.Grains.Resources.AccessControlPolicy;

/// <summary>
/// Attribute rules of the accessControlPolicy (TS-0001 9.6.2, docs/protocol.md §2.7). It has no <c>acpi</c> (its own
/// access is governed by <c>pvs</c>) and no <c>cr</c>; its only child type is the subscription.
/// </summary>
internal static class AccessControlPolicyRules
{
    /// <summary>Validation does not depend on how the CSE writes its own IDs.</summary>
    private static readonly OriginatorForms s_anyCse = new("/", "//");

    public static readonly ResourcePolicy Rules = new(
        ResourceType.AccessControlPolicy,
        ResourcePolicy.Universal(
            new("pv", "privileges", ValueKind.Any, Presence.Mandatory, Presence.Optional),
            new("pvs", "selfPrivileges", ValueKind.Any, Presence.Mandatory, Presence.Optional),
            new("adri", "applicableDynamicAuthorizationRelationshipIDs", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new("apri", "authorizationPolicyIDs", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new("airi", "authorizationInformationIDs", ValueKind.StringList, Presence.Optional, Presence.Optional)),
        check: Check);

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        foreach (var name in (string[])["adri", "apri", "airi"])
        {
            if (attributes.TryGetValue(name, out var value) && value is not null)
            {
                return new OneM2MError(ResponseStatusCode.NotImplemented, $"distributed authorization ('{name}') is not supported");
            }
        }

        if (attributes.TryGetValue("pv", out var pv) && (pv is not null || context.Operation == Operation.Create))
        {
            AccessRules.Parse(pv, "pv", atLeastOneRule: false, s_anyCse, out var error);
            if (error is not null)
            {
                return error;
            }
        }

        if (attributes.TryGetValue("pvs", out var pvs))
        {
            // Never empty, on create or update: a policy nobody may change could never be fixed (docs/protocol.md §2.7).
            AccessRules.Parse(pvs, "pvs", atLeastOneRule: true, s_anyCse, out var error);
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }
}
