namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;node&gt;</c> (ty 14, key = node <c>ri</c>): a device's management view, parent of its
/// <c>&lt;mgmtObj&gt;</c> resources. Its <c>hael</c> (hostedAELinks) lists the AEs whose <c>nl</c> names it.
/// </summary>
[Alias("VirtualIoT.INodeGrain")]
public interface INodeGrain : IClusterResourceGrain
{
    /// <summary>
    /// Cluster-internal: the AE <paramref name="aeId"/> now names (<paramref name="hosted"/> true) or no longer names
    /// this node in its <c>nl</c>; the node adds it to or removes it from <c>hael</c> before answering. False when
    /// there is no live node with this ID (an AE's <c>nl</c> naming it is then refused).
    /// </summary>
    [Alias("HostAe")]
    ValueTask<bool> HostAe(string aeId, bool hosted);
}

/// <summary>
/// Grain of a <c>&lt;mgmtObj&gt;</c> (ty 13, key = <c>ri</c>) of any specialization: its <c>mgd</c> selects the
/// attribute rules and the root key (<c>m2m:fwr</c>, <c>m2m:bat</c> …).
/// </summary>
[Alias("VirtualIoT.IMgmtObjGrain")]
public interface IMgmtObjGrain : IClusterResourceGrain
{
}
