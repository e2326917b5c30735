using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Grain of an announced resource (<see cref="AnnouncedTypes"/>: AEAnnc, containerAnnc …; key = its <c>ri</c>): the
/// stand-in of a resource another CSE announced here, with <c>lnk</c> naming the original.
/// </summary>
[Alias("VirtualIoT.IAnnouncedResourceGrain")]
public interface IAnnouncedResourceGrain : IClusterResourceGrain
{
    /// <summary>
    /// Cluster-internal: for an accessControlPolicyAnnc its rules as they are now (<c>pv</c>, <c>pvs</c>: announced
    /// policies are policies here, TS-0001 9.6.26); for any other announced type, or a copy that is gone, none.
    /// </summary>
    [Alias("GetPolicy"), ReadOnly]
    ValueTask<AccessPolicySnapshot> GetPolicy();
}
