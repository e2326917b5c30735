namespace VirtualIoT;

/// <summary>
/// Cluster-internal: the targets that received requests carrying one Group Request Identifier (<c>gid</c>, TS-0001
/// 8.1.2), keyed by that identifier. A gid is attached to a group request so that a target reached twice (through
/// groups that share members, or a loop of groups) handles it once: the second arrival answers 4104
/// GROUP_REQUEST_IDENTIFIER_EXISTS. Targets are remembered for <see cref="CseOptions.GroupRequestRetention"/>, in
/// memory only: a silo that fails forgets them.
/// </summary>
[Alias("VirtualIoT.IGroupRequestGrain")]
public interface IGroupRequestGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records that every target in <paramref name="targets"/> (a resource ID, with the path below it when there is one)
    /// receives this gid; returns the positions of those that had received it before (and are to answer 4104).
    /// </summary>
    [Alias("Admit")]
    ValueTask<IReadOnlyList<int>> Admit(IReadOnlyList<string> targets);
}
