using System.Collections.Frozen;
using VirtualIoT.Grains.Domain;
using static VirtualIoT.Grains.Domain.Presence;

namespace VirtualIoT.Grains.Resources.FlexContainer;

/// <summary>
/// The attributes every flexContainer has, whatever its specialization (TS-0001 9.6.35). Apart from
/// <see cref="FlexContainerPolicy"/>, which is built from the specializations: their loader reads these names first.
/// </summary>
internal static class FlexContainerAttributes
{
    /// <summary>The flexContainer's own attributes besides the universal ones.</summary>
    public static readonly AttributeRule[] Common =
    [
        ResourcePolicy.AccessControlPolicyIds,
        ResourcePolicy.Custodian,
        ResourcePolicy.DynamicAuthorizationConsultationIds,
        ResourcePolicy.Creator,
        ResourcePolicy.StateTag,
        ResourcePolicy.Location,
        new(FlexContainerPolicy.ContainerDefinition, "containerDefinition", ValueKind.String, Mandatory, NotPresent),
        new(AttributeNames.ContentSize, "contentSize", ValueKind.NonNegativeInteger, NotPresent, NotPresent),
        new(FlexContainerPolicy.OntologyRef, "ontologyRef", ValueKind.String, Optional, Optional),
        new(FlexContainerPolicy.NodeLink, "nodeLink", ValueKind.String, Optional, Optional),
        new(AttributeNames.MaxNrOfInstances, "maxNrOfInstances", ValueKind.PositiveInteger, Optional, Optional),
        new(AttributeNames.MaxByteSize, "maxByteSize", ValueKind.PositiveInteger, Optional, Optional),
        new(AttributeNames.MaxInstanceAge, "maxInstanceAge", ValueKind.PositiveInteger, Optional, Optional),
        new(AttributeNames.CurrentNrOfInstances, "currentNrOfInstances", ValueKind.NonNegativeInteger, NotPresent, NotPresent),
        new(AttributeNames.CurrentByteSize, "currentByteSize", ValueKind.NonNegativeInteger, NotPresent, NotPresent),
    ];

    private static readonly FrozenSet<string> s_commonNames =
        ResourcePolicy.Universal(Common).Select(a => a.ShortName).Append(AttributeNames.Originator).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Whether every flexContainer has an attribute of this name (a custom attribute may not take it).</summary>
    public static bool IsCommon(string name) => s_commonNames.Contains(name);
}
