using VirtualIoT.Grains.Resources.Ae;
using VirtualIoT.Grains.Resources.Container;
using VirtualIoT.Grains.Resources.ContentInstance;
using VirtualIoT.Grains.Resources.CseBase;

namespace VirtualIoT.Grains.Domain;

/// <summary>The policy table of each implemented resource type.</summary>
internal static class Policies
{
    public static ResourcePolicy? For(ResourceType type) => type switch
    {
        ResourceType.CSEBase => CseBasePolicy.Rules,
        ResourceType.AE => AePolicy.Rules,
        ResourceType.Container => ContainerPolicy.Rules,
        ResourceType.ContentInstance => ContentInstancePolicy.Rules,
        ResourceType.Subscription => Resources.Subscription.SubscriptionPolicy.Rules,
        ResourceType.AccessControlPolicy => Resources.AccessControlPolicy.AccessControlPolicyRules.Rules,
        ResourceType.Group => Resources.Group.GroupPolicy.Rules,
        _ => null,
    };

    /// <summary>Whether <paramref name="rcn"/> is valid for <paramref name="operation"/> (ONEM2M.md §3.2); 4000 otherwise.</summary>
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
