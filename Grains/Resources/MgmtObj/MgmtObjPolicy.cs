using System.Collections.Frozen;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.MgmtObj;

/// <summary>
/// Attribute rules of the mgmtObj (TS-0001 9.6.15, TS-0004 7.4.15): the common mgmtObj attributes plus those of the
/// specialization, one policy per entry of <see cref="MgmtObjSpecializations"/> under its own root key. A create is
/// validated by the policy of the root key it is sent under, and its <c>mgd</c> must be that specialization's.
/// </summary>
internal static class MgmtObjPolicy
{
    private static readonly FrozenDictionary<long, (MgmtObjSpecialization Specialization, ResourcePolicy Policy)> s_byDefinition =
        MgmtObjSpecializations.All.ToFrozenDictionary(s => s.Definition, s => (s, Build(s)));

    /// <summary>The policies of every specialization, for the registry's grain side (<see cref="Policies"/>).</summary>
    public static readonly SpecializedPolicies Specializations = new(ResourceType.MgmtObj,
        s_byDefinition.Values.Select(s => s.Policy), attributes => Find(attributes)?.Policy);

    /// <summary>The specialization and policy of a stored mgmtObj, from its <c>mgd</c>; null when it has none known.</summary>
    public static (MgmtObjSpecialization Specialization, ResourcePolicy Policy)? Find(Dictionary<string, object?> attributes) =>
        attributes.GetValueOrDefault(Mgd) is long mgd && s_byDefinition.TryGetValue(mgd, out var found) ? found : null;

    /// <summary><c>mgd</c>: mgmtDefinition, the specialization's number.</summary>
    public const string Mgd = "mgd";

    private static ResourcePolicy Build(MgmtObjSpecialization specialization) => new(
        ResourceType.MgmtObj,
        ResourcePolicy.Universal(
        [
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            ResourcePolicy.Creator,
            new(Mgd, "mgmtDefinition", ValueKind.NonNegativeInteger, Presence.Mandatory, Presence.NotPresent),
            new("obis", "objectIDs", ValueKind.StringList, Presence.Optional, Presence.NotPresent),
            new("obps", "objectPaths", ValueKind.StringList, Presence.Optional, Presence.NotPresent),
            new("dc", "description", ValueKind.String, Presence.Optional, Presence.Optional),
            new("mgs", "mgmtSchema", ValueKind.String, Presence.Optional, Presence.NotPresent),
            new("cmlk", "mgmtLink", ValueKind.Any, Presence.Optional, Presence.Optional),
            .. specialization.Attributes,
        ]),
        check: (attributes, context) => Check(specialization, attributes, context),
        rootKey: specialization.RootKey);

    private static OneM2MError? Check(MgmtObjSpecialization specialization, Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.GetValueOrDefault(Mgd) is long definition && definition != specialization.Definition)
        {
            return OneM2MError.BadRequest(
                $"mgd {definition} does not match {specialization.RootKey} ({specialization.LongName}, mgd {specialization.Definition})");
        }

        if (attributes.TryGetValue("cmlk", out var links) && links is not (null or List<object?>))
        {
            return OneM2MError.BadRequest("cmlk (mgmtLink) must be a list");
        }

        foreach (var (name, (min, max)) in specialization.Ranges)
        {
            if (attributes.GetValueOrDefault(name) is long value && (value < min || value > max))
            {
                return OneM2MError.BadRequest($"{name} must be between {min} and {max}, not {value}");
            }
        }

        // As ACME: one update may not ask for two opposite actions at once (reboot and factory reset).
        if (context.Operation == Operation.Update && specialization.Exclusive is var (first, second)
            && attributes.GetValueOrDefault(first) is true && attributes.GetValueOrDefault(second) is true)
        {
            return OneM2MError.BadRequest($"{first} and {second} cannot both be set to true in one update");
        }

        return null;
    }
}
