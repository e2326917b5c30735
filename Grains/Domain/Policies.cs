using System.Collections.Frozen;
using VirtualIoT.Grains.Resources.AccessControlPolicy;
using VirtualIoT.Grains.Resources.Ae;
using VirtualIoT.Grains.Resources.Container;
using VirtualIoT.Grains.Resources.ContentInstance;
using VirtualIoT.Grains.Resources.CseBase;
using VirtualIoT.Grains.Resources.Group;
using VirtualIoT.Grains.Resources.Node;
using VirtualIoT.Grains.Resources.Subscription;

namespace VirtualIoT.Grains.Domain;

/// <summary>
/// The grain side of the resource type registry: the policy of each type <see cref="ResourceTypeRegistry"/> registers,
/// one line per type (see docs/resource-types.md).
/// </summary>
internal static class Policies
{
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
    ]);

    /// <summary>The policy of an implemented type, or null.</summary>
    public static ResourcePolicy? For(ResourceType type) => s_byType.GetValueOrDefault(type);

    /// <summary>The policy of an implemented type; throws for any other (a programming error).</summary>
    public static ResourcePolicy Get(ResourceType type) =>
        s_byType.TryGetValue(type, out var policy) ? policy
        : throw new ArgumentOutOfRangeException(nameof(type), type, "resource type has no policy");

    /// <summary>Every registered type has exactly one policy, and every policy a registered type.</summary>
    private static FrozenDictionary<ResourceType, ResourcePolicy> ByType(ResourcePolicy[] policies)
    {
        var byType = policies.ToDictionary(p => p.Type);
        var missing = ResourceTypeRegistry.All.Where(d => !byType.ContainsKey(d.Type)).Select(d => d.Type).ToList();
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

    /// <summary>Stable hash of a child name to its index shard (string.GetHashCode differs per process).</summary>
    public static string IndexShardKey(string parentId, string name, int shards) =>
        string.Concat(parentId, "/", (Hash(name) % (uint)shards).ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>FNV-1a of a string: the same in every process, unlike <see cref="string.GetHashCode()"/>.</summary>
    public static uint Hash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
