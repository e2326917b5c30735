using System.Collections.Frozen;
using VirtualIoT.Grains.Resources.AccessControlPolicy;
using VirtualIoT.Grains.Resources.Action;
using VirtualIoT.Grains.Resources.Announced;
using VirtualIoT.Grains.Resources.Ae;
using VirtualIoT.Grains.Resources.AeContactList;
using VirtualIoT.Grains.Resources.Container;
using VirtualIoT.Grains.Resources.CrossResourceSubscription;
using VirtualIoT.Grains.Resources.ContentInstance;
using VirtualIoT.Grains.Resources.CseBase;
using VirtualIoT.Grains.Resources.DynamicAuthorizationConsultation;
using VirtualIoT.Grains.Resources.FlexContainer;
using VirtualIoT.Grains.Resources.Group;
using VirtualIoT.Grains.Resources.LocationPolicy;
using VirtualIoT.Grains.Resources.MgmtObj;
using VirtualIoT.Grains.Resources.Node;
using VirtualIoT.Grains.Resources.NotificationTargetMgmtPolicyRef;
using VirtualIoT.Grains.Resources.NotificationTargetPolicy;
using VirtualIoT.Grains.Resources.PolicyDeletionRules;
using VirtualIoT.Grains.Resources.PollingChannel;
using VirtualIoT.Grains.Resources.RemoteCse;
using VirtualIoT.Grains.Resources.Request;
using VirtualIoT.Grains.Resources.Schedule;
using VirtualIoT.Grains.Resources.SemanticDescriptor;
using VirtualIoT.Grains.Resources.Subscription;
using VirtualIoT.Grains.Resources.TimeSeries;
using VirtualIoT.Grains.Resources.TimeSyncBeacon;

namespace VirtualIoT.Grains.Domain;

/// <summary>
/// The grain side of the resource type registry: the policy of each type <see cref="ResourceTypeRegistry"/> registers,
/// one line per type (see docs/resource-types.md).
/// </summary>
internal static class Policies
{
    // Types whose root key and attributes depend on the specialization: one policy per specialization. Declared
    // first: s_byType's check reads it.
    private static readonly FrozenDictionary<ResourceType, SpecializedPolicies> s_specialized =
        new SpecializedPolicies[]
        {
            MgmtObjPolicy.Specializations,
            FlexContainerPolicy.Containers,
            FlexContainerPolicy.Instances,
            AnnouncedPolicies.MgmtObjs,
            AnnouncedPolicies.FlexContainers,
        }.ToFrozenDictionary(p => p.Type);

    private static readonly FrozenDictionary<ResourceType, ResourcePolicy> s_byType = ByType(
    [
        CseBasePolicy.Rules,
        AePolicy.Rules,
        ContainerPolicy.Rules,
        ContentInstancePolicy.Rules,
        SubscriptionPolicy.Rules,
        AccessControlPolicyRules.Rules,
        GroupPolicy.Rules,
        NodePolicy.Rules,
        RequestPolicy.Rules,
        PollingChannelPolicy.Rules,
        NotificationTargetPolicyRules.Rules,
        PolicyDeletionRulesPolicy.Rules,
        NotificationTargetMgmtPolicyRefPolicy.Rules,
        TimeSeriesPolicy.Rules,
        TimeSeriesInstancePolicy.Rules,
        SchedulePolicy.Rules,
        LocationPolicyRules.Rules,
        TimeSyncBeaconPolicy.Rules,
        CrossResourceSubscriptionPolicy.Rules,
        RemoteCsePolicy.Rules,
        DynamicAuthorizationConsultationPolicy.Rules,
        SemanticDescriptorPolicy.Rules,
        ActionPolicy.Rules,
        DependencyPolicy.Rules,
        AeContactListPolicy.List,
        AeContactListPolicy.PerCse,
        .. AnnouncedPolicies.Plain,
    ]);

    /// <summary>The short name of every attribute some policy defines (one string instance per name).</summary>
    public static FrozenSet<string> AttributeShortNames { get; } = s_byType.Values
        .Concat(s_specialized.Values.SelectMany(s => s.All))
        .SelectMany(p => p.Attributes.Keys)
        .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The policy of an implemented type, or null (also for a type with specializations: see <see cref="ForContent"/>).</summary>
    public static ResourcePolicy? For(ResourceType type) => s_byType.GetValueOrDefault(type);

    /// <summary>The policy of an implemented type; throws for any other (a programming error).</summary>
    public static ResourcePolicy Get(ResourceType type) =>
        s_byType.TryGetValue(type, out var policy) ? policy
        : throw new ArgumentOutOfRangeException(nameof(type), type, "resource type has no policy");

    /// <summary>
    /// A policy of the type for what every specialization shares (the child types, the descriptor): the type's own,
    /// or any specialization's; null when the type is not implemented.
    /// </summary>
    public static ResourcePolicy? Representative(ResourceType type) =>
        For(type) ?? (s_specialized.TryGetValue(type, out var specializations) ? specializations.All.FirstOrDefault() : null);

    /// <summary>Whether the type is implemented (has a policy, or one per specialization).</summary>
    public static bool IsImplemented(ResourceType type) => s_byType.ContainsKey(type) || s_specialized.ContainsKey(type);

    /// <summary>
    /// The policy a create of <paramref name="type"/> sent under <paramref name="contentRoot"/> is validated by: a
    /// specialization's by its root key (<c>m2m:fwr</c>), else the type's; null when no specialization has that key.
    /// </summary>
    public static ResourcePolicy? ForContent(ResourceType type, string? contentRoot) =>
        s_specialized.TryGetValue(type, out var specializations) ? specializations.ForRootKey(contentRoot) : For(type);

    /// <summary>The policy of a stored resource: its specialization's for a specialized type (null when none fits).</summary>
    public static ResourcePolicy? Of(ResourceType type, Dictionary<string, object?> attributes) =>
        s_specialized.TryGetValue(type, out var specializations) ? specializations.Of(attributes) : For(type);

    /// <summary>The root key a stored resource is represented under (a mgmtObj's from its <c>mgd</c>: <c>m2m:bat</c>).</summary>
    public static string RootKeyOf(ResourceType type, Dictionary<string, object?> attributes) =>
        ResourceTypeRegistry.RootKey(type) ?? Of(type, attributes)?.RootKey ?? "m2m:" + ResourceTypeRegistry.ShortName(type);

    /// <summary>The root key(s) a create of <paramref name="type"/> may be sent under, for error messages.</summary>
    public static string RootKeysOf(ResourceType type) =>
        s_specialized.TryGetValue(type, out var specializations) ? specializations.RootKeys : ResourceTypeRegistry.RootKey(type) ?? "";

    /// <summary>Every registered type has exactly one policy, or policies per specialization; and every policy a registered type.</summary>
    private static FrozenDictionary<ResourceType, ResourcePolicy> ByType(ResourcePolicy[] policies)
    {
        var byType = policies.ToDictionary(p => p.Type);
        var missing = ResourceTypeRegistry.All
            .Where(d => d.SpecializedRoot ? !s_specialized.ContainsKey(d.Type) : !byType.ContainsKey(d.Type))
            .Select(d => d.Type).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"registered resource types without a policy: {string.Join(", ", missing)}");
        }

        return byType.ToFrozenDictionary();
    }

    /// <summary>Whether <paramref name="rcn"/> is valid for <paramref name="operation"/> (docs/protocol.md §3.2); 4000 otherwise.</summary>
    public static bool IsValidResultContent(Operation operation, ResultContent? rcn) => rcn is null || operation switch
    {
        Operation.Create => rcn is ResultContent.Nothing or ResultContent.Attributes or ResultContent.HierarchicalAddress
            or ResultContent.HierarchicalAddressAndAttributes or ResultContent.ModifiedAttributes,
        Operation.Retrieve => rcn is ResultContent.Attributes or ResultContent.AttributesAndChildResources
            or ResultContent.AttributesAndChildResourceReferences or ResultContent.ChildResourceReferences
            or ResultContent.ChildResources,
        Operation.Update => rcn is ResultContent.Nothing or ResultContent.Attributes or ResultContent.ModifiedAttributes,
        Operation.Delete => rcn is ResultContent.Nothing or ResultContent.Attributes or ResultContent.AttributesAndChildResources
            or ResultContent.AttributesAndChildResourceReferences or ResultContent.ChildResourceReferences
            or ResultContent.ChildResources,
        _ => false,
    };

    /// <summary>Stable hash of a child name to its index shard (string.GetHashCode differs per process): <see cref="ChildIndexShards.KeyOf"/>.</summary>
    public static string IndexShardKey(string parentId, string name, int shards) => ChildIndexShards.KeyOf(parentId, name, shards);

    /// <summary>FNV-1a of a string: the same in every process, unlike <see cref="string.GetHashCode()"/> (<see cref="ChildIndexShards.Hash"/>).</summary>
    public static uint Hash(string text) => ChildIndexShards.Hash(text);
}
