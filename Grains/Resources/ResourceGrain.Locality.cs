using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Locality: each binding request is counted as served on the silo it entered at or not (<see cref="LocalityMetrics"/>),
/// and a grain placed with <see cref="DevicePlacement"/> moves to the silo its requests keep arriving at
/// (<see cref="RequestLocality"/>; Orleans migrates the activation with its state once it is idle).
/// </summary>
internal abstract partial class ResourceGrain
{
    /// <summary>Whether a grain class is placed with <see cref="DevicePlacement"/>, read once per class rather than per activation.</summary>
    private static readonly ConcurrentDictionary<Type, bool> s_devicePlaced = new();

    private RequestLocality? _locality;

    private RequestLocality Locality => _locality ??= new RequestLocality(ServiceProvider.GetRequiredService<ILocalSiloDetails>().SiloAddress,
        s_devicePlaced.GetOrAdd(GetType(), static type => type.IsDefined(typeof(DevicePlacementAttribute), inherit: false)),
        ServiceProvider.GetService<LocalityMetrics>());

    /// <summary>
    /// Called by a cluster call that a device's request causes (a subscription accepting an event of the resource it
    /// watches): the grain follows that request's origin like a binding request's, but nothing is counted as served.
    /// </summary>
    protected void FollowRequestOrigin()
    {
        if (Locality.Observe(binding: null, served: false))
        {
            MigrateOnIdle();
        }
    }

    /// <summary>Called at the start of every binding request (retrieve, execute).</summary>
    private protected void ObserveRequestOrigin(ResourceRequest request)
    {
        if (Locality.Observe(request.Binding))
        {
            MigrateOnIdle();
        }
    }
}
