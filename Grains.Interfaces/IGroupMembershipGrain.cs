namespace VirtualIoT;

/// <summary>
/// Cluster-internal: one shard of the index from a resource ID to the groups whose <c>mid</c> names it (keyed by the
/// shard's number), so that a deleted resource leaves those groups (TS-0001 10.2.7: a group's members are kept
/// consistent, as the reference CSE does on every deletion). A group joins when its members are validated and leaves
/// when they change or the group is deleted; a deleted resource asks its shard which groups to tell.
/// </summary>
[Alias("VirtualIoT.IGroupMembershipGrain")]
public interface IGroupMembershipGrain : IGrainWithStringKey
{
    /// <summary>Records that <paramref name="groupId"/> has the resources <paramref name="members"/> (those of this shard) as members.</summary>
    [Alias("Join")]
    ValueTask Join(string groupId, IReadOnlyList<string> members);

    /// <summary>Records that <paramref name="groupId"/> no longer has <paramref name="members"/> as members.</summary>
    [Alias("Leave")]
    ValueTask Leave(string groupId, IReadOnlyList<string> members);

    /// <summary>Forgets the deleted resource <paramref name="resourceId"/>; returns the groups that had it as a member.</summary>
    [Alias("Deleted")]
    ValueTask<IReadOnlyList<string>> Deleted(string resourceId);
}
