using System.Globalization;

namespace VirtualIoT;

/// <summary>
/// Where a parent that keeps its children's names in <see cref="IChildIndexGrain"/> shards (the CSEBase) keeps a name:
/// the shard's key, from a hash of the name that is the same in every process. Silos and bindings compute it alike,
/// so a binding can ask the shard for a name without passing through the parent.
/// </summary>
public static class ChildIndexShards
{
    /// <summary>The key of the shard of <paramref name="parentId"/>'s index (of <paramref name="shards"/>) that holds <paramref name="name"/>.</summary>
    public static string KeyOf(string parentId, string name, int shards) => KeyAt(parentId, (int)(Hash(name) % (uint)shards));

    /// <summary>The key of shard number <paramref name="shard"/> of <paramref name="parentId"/>'s index.</summary>
    public static string KeyAt(string parentId, int shard) =>
        string.Concat(parentId, "/", shard.ToString(CultureInfo.InvariantCulture));

    /// <summary>FNV-1a of a string: the same in every process, unlike <see cref="string.GetHashCode()"/>.</summary>
    public static uint Hash(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
