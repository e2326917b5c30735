using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Group;

/// <summary>Stored state of one shard of the group membership index.</summary>
[GenerateSerializer, Alias("VirtualIoT.GroupMembershipState")]
public sealed class GroupMembershipState
{
    /// <summary>Group IDs by member resource ID.</summary>
    [Id(0)] public Dictionary<string, List<string>> Groups { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One shard of the index from a member resource to its groups (<see cref="IGroupMembershipGrain"/>). It only
/// records and answers, and calls no other grain, so a group and a deleted member may call it from within their turns.
/// </summary>
internal sealed class GroupMembershipGrain(
    [PersistentState("group-members", GrainStorageNames.Resources)] IPersistentState<GroupMembershipState> store) : Grain, IGroupMembershipGrain
{
    public async ValueTask Join(string groupId, IReadOnlyList<string> members)
    {
        var changed = false;
        foreach (var member in members)
        {
            if (!store.State.Groups.TryGetValue(member, out var groups))
            {
                store.State.Groups[member] = groups = [];
            }

            if (!groups.Contains(groupId))
            {
                groups.Add(groupId);
                changed = true;
            }
        }

        if (changed)
        {
            await store.WriteStateAsync();
        }
    }

    public async ValueTask Leave(string groupId, IReadOnlyList<string> members)
    {
        var changed = false;
        foreach (var member in members)
        {
            if (store.State.Groups.TryGetValue(member, out var groups) && groups.Remove(groupId))
            {
                changed = true;
                if (groups.Count == 0)
                {
                    store.State.Groups.Remove(member);
                }
            }
        }

        if (changed)
        {
            await store.WriteStateAsync();
        }
    }

    public async ValueTask<IReadOnlyList<string>> Deleted(string resourceId)
    {
        if (!store.State.Groups.Remove(resourceId, out var groups))
        {
            return [];
        }

        await store.WriteStateAsync();
        return groups;
    }
}

/// <summary>Where the group membership index keeps a member: one of <see cref="Shards"/> shards by a stable hash of its ID.</summary>
internal static class GroupMemberships
{
    /// <summary>Shards of the index; fixed, since a member's shard must not move.</summary>
    public const int Shards = 64;

    /// <summary>The shard holding <paramref name="memberId"/> (a sub-group's <c>…/fopt</c> is indexed by the group's ID).</summary>
    public static IGroupMembershipGrain ShardOf(IGrainFactory grains, string memberId) =>
        grains.GetGrainByKey<IGroupMembershipGrain>(ShardKey(memberId));

    /// <summary>The resource a <c>mid</c> entry names: the entry without a trailing <c>/fopt</c>.</summary>
    public static string ResourceOf(string memberId) =>
        memberId.EndsWith(FanOutSuffix, StringComparison.Ordinal) ? memberId[..^FanOutSuffix.Length] : memberId;

    /// <summary>Records (or, with <paramref name="join"/> false, removes) <paramref name="groupId"/>'s membership of <paramref name="members"/>, one call per shard.</summary>
    public static Task UpdateAsync(IGrainFactory grains, string groupId, IEnumerable<string> members, bool join)
    {
        var byShard = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            var key = ShardKey(member);
            if (!byShard.TryGetValue(key, out var list))
            {
                byShard[key] = list = [];
            }

            list.Add(ResourceOf(member));
        }

        var calls = byShard.Select(entry => join
            ? grains.GetGrainByKey<IGroupMembershipGrain>(entry.Key).Join(groupId, entry.Value).AsTask()
            : grains.GetGrainByKey<IGroupMembershipGrain>(entry.Key).Leave(groupId, entry.Value).AsTask()).ToList();
        if (join)
        {
            // Content instances are no grains of their own: their container tells when one is deleted.
            calls.AddRange(InstancesByContainer(members).Select(entry => grains.GetGrain<IContainerGrain>(entry.Key).InstancesGrouped(entry.Value).AsTask()));
        }

        return Task.WhenAll(calls);
    }

    private static Dictionary<string, List<string>> InstancesByContainer(IEnumerable<string> members)
    {
        var byContainer = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            if (ResourceIds.TrySplitInstanceId(member, out var containerId, out _))
            {
                if (!byContainer.TryGetValue(containerId, out var list))
                {
                    byContainer[containerId] = list = [];
                }

                list.Add(member);
            }
        }

        return byContainer;
    }

    private const string FanOutSuffix = "/fopt";

    private static string ShardKey(string memberId) =>
        (Policies.Hash(ResourceOf(memberId)) % Shards).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
