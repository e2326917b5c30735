using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Runs a discovery request (<c>fu=1</c>): walks the subtree below the target, asking each resource grain for a
/// filtered view, and pages the result with <c>ofst</c>/<c>lim</c>. A stateless worker, so discoveries run in
/// parallel on every silo and none waits behind a resource grain's writes.
/// </summary>
[Alias("VirtualIoT.IDiscoveryGrain")]
public interface IDiscoveryGrain : IGrainWithIntegerKey
{
    /// <summary>Discovers below the resource <paramref name="targetId"/>.</summary>
    [Alias("Discover")]
    ValueTask<ResourceResponse> Discover(string targetId, ResourceRequest request, CancellationToken cancellationToken = default);
}
