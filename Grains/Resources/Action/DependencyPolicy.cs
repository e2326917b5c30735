using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Action;

/// <summary>
/// Attribute rules of the <c>&lt;dependency&gt;</c> (ty 66, under an action; as ACME's): <c>sfc</c>
/// (sufficient), <c>evc</c> (its criteria, as an action's) and <c>rri</c> (the resource they are evaluated on),
/// all mandatory.
/// </summary>
internal static class DependencyPolicy
{
    public static readonly ResourcePolicy Rules = new(
        ResourceType.Dependency,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new("cr", "creator", ValueKind.NullOnly, Presence.Optional, Presence.NotPresent),
            new("sfc", "sufficient", ValueKind.Boolean, Presence.Mandatory, Presence.Optional),
            new("evc", "evalCriteria", ValueKind.Map, Presence.Mandatory, Presence.Optional),
            new("rri", "referencedResourceID", ValueKind.String, Presence.Mandatory, Presence.Optional)),
        check: static (attributes, _) => EvalCriteria.Check(attributes.GetValueOrDefault("evc"), "evc"));
}
