using System.Collections.Frozen;
using VirtualIoT.Grains.Domain;
using static VirtualIoT.Grains.Domain.Presence;

namespace VirtualIoT.Grains.Resources.FlexContainer;

/// <summary>
/// Attribute rules of the flexContainer (TS-0001 9.6.35, TS-0004 7.4.37) and the flexContainerInstance (TS-0001
/// 9.6.61): the attributes every flexContainer has plus the custom attributes of its specialization, one policy per
/// entry of <see cref="FlexContainerSpecializations"/> under its own root key (<c>cod:binSh</c>). A create is
/// validated by the policy of the root key it is sent under, and its <c>cnd</c> must be that specialization's; a
/// stored flexContainer finds its specialization by its <c>cnd</c>. An instance is shown under its flexContainer's
/// root key and has the same custom attributes, all set by the CSE.
/// </summary>
internal static class FlexContainerPolicy
{
    /// <summary><c>cnd</c>: containerDefinition, which names the specialization.</summary>
    public const string ContainerDefinition = "cnd";

    /// <summary><c>nl</c>: nodeLink.</summary>
    public const string NodeLink = "nl";

    /// <summary><c>or</c>: ontologyRef.</summary>
    public const string OntologyRef = "or";

    private static readonly FrozenDictionary<string, Specialized> s_byDefinition =
        FlexContainerSpecializations.All.ToFrozenDictionary(s => s.ContainerDefinition, Build, StringComparer.Ordinal);

    /// <summary>The flexContainer policies of every specialization, for the registry's grain side.</summary>
    public static readonly SpecializedPolicies Containers = new(ResourceType.FlexContainer,
        s_byDefinition.Values.Select(s => s.Container), attributes => Find(attributes)?.Container);

    /// <summary>
    /// The flexContainerInstance policies (for <c>atrl</c> and the root key; a client's create is 4005, the registry
    /// marks the type created by the CSE only). An instance
    /// names no specialization itself: its flexContainer gives its root key to responses and notifications.
    /// </summary>
    public static readonly SpecializedPolicies Instances = new(ResourceType.FlexContainerInstance,
        s_byDefinition.Values.Select(s => s.Instance), _ => null);

    /// <summary>A flexContainer's specialization, its two policies and its custom attribute names.</summary>
    internal sealed record Specialized(FlexContainerSpecialization Specialization, ResourcePolicy Container, ResourcePolicy Instance,
        FrozenSet<string> Custom);

    /// <summary>The specialization of a stored flexContainer, from its <c>cnd</c>; null when none is known.</summary>
    public static Specialized? Find(Dictionary<string, object?> attributes) =>
        attributes.GetValueOrDefault(ContainerDefinition) is string cnd && s_byDefinition.TryGetValue(cnd, out var found) ? found : null;

    /// <summary><c>cs</c> of a flexContainer: the size of its custom attributes' values (as ACME counts it).</summary>
    public static long ContentSize(Dictionary<string, object?> attributes, FrozenSet<string> custom)
    {
        long size = 0;
        foreach (var (name, value) in attributes)
        {
            if (custom.Contains(name))
            {
                size += ResourceFactory.ContentSize(value);
            }
        }

        return size;
    }

    /// <summary>Whether the flexContainer keeps instances: it has <c>mni</c>, <c>mbs</c> or <c>mia</c> (TS-0004 7.4.37.2.3).</summary>
    public static bool KeepsInstances(Dictionary<string, object?> attributes) =>
        attributes.ContainsKey(AttributeNames.MaxNrOfInstances) || attributes.ContainsKey(AttributeNames.MaxByteSize)
        || attributes.ContainsKey(AttributeNames.MaxInstanceAge);

    private static Specialized Build(FlexContainerSpecialization specialization)
    {
        var custom = specialization.Attributes.Select(a => a.ShortName).ToFrozenSet(StringComparer.Ordinal);
        var container = new ResourcePolicy(
            ResourceType.FlexContainer,
            ResourcePolicy.Universal([.. FlexContainerAttributes.Common, .. specialization.Attributes]),
            check: (attributes, context) => Check(specialization, custom, attributes, context),
            defaults: (attributes, _) => Defaults(custom, attributes),
            rootKey: specialization.RootKey);

        // The instance copies its flexContainer's custom attributes and labels; nothing of it is sent by a client.
        var instance = new ResourcePolicy(
            ResourceType.FlexContainerInstance,
            ResourcePolicy.Universal(
            [
                ResourcePolicy.StateTag,
                new(AttributeNames.ContentSize, "contentSize", ValueKind.NonNegativeInteger, NotPresent, NotPresent),
                new(AttributeNames.Originator, "originator", ValueKind.String, NotPresent, NotPresent),
                .. specialization.Attributes.Select(a => a with { OnCreate = NotPresent, OnUpdate = NotPresent }),
            ]),
            rootKey: specialization.RootKey);
        return new Specialized(specialization, container, instance, custom);
    }

    private static OneM2MError? Check(FlexContainerSpecialization specialization, FrozenSet<string> custom,
        Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.GetValueOrDefault(ContainerDefinition) is string cnd && cnd != specialization.ContainerDefinition)
        {
            return OneM2MError.BadRequest(
                $"cnd '{cnd}' does not match {specialization.RootKey} ({specialization.LongName}, cnd {specialization.ContainerDefinition})");
        }

        // On update the grain checks the merged resource (the request alone does not say the final mbs and size).
        if (context.Operation == Operation.Create && attributes.GetValueOrDefault(AttributeNames.MaxByteSize) is long mbs
            && ContentSize(attributes, custom) is var size && size > mbs)
        {
            return OneM2MError.BadRequest($"mbs {mbs} is less than the size of the custom attributes ({size} bytes)");
        }

        return null;
    }

    /// <summary>A new flexContainer starts at state tag 0; one that keeps instances has its first (ACME).</summary>
    private static void Defaults(FrozenSet<string> custom, Dictionary<string, object?> attributes)
    {
        var size = ContentSize(attributes, custom);
        attributes[AttributeNames.StateTag] = 0L;
        attributes[AttributeNames.ContentSize] = size;
        if (KeepsInstances(attributes))
        {
            attributes[AttributeNames.CurrentNrOfInstances] = 1L;
            attributes[AttributeNames.CurrentByteSize] = size;
        }
    }
}
