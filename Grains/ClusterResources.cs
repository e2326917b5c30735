namespace VirtualIoT.Grains;

/// <summary>How a grain reaches another resource's grain through the cluster-internal contract.</summary>
internal static class ClusterResources
{
    /// <summary>
    /// The grain that answers for <paramref name="ri"/>, as grains see it (<see cref="IClusterResourceGrain"/>), or
    /// null when the ID is not one this CSE assigns.
    /// </summary>
    /// <remarks>Made from the grain's ID (one reference), not from the type's own interface and then cast (two).</remarks>
    public static IClusterResourceGrain? GetClusterResource(this IGrainFactory grains, string ri, string cseBaseId) =>
        ResourceTypeRegistry.GrainIdFor(grains, ri, cseBaseId) is { } id ? grains.GetGrainById<IClusterResourceGrain>(id) : null;
}
