namespace VirtualIoT.Grains;

/// <summary>How a grain reaches another resource's grain through the cluster-internal contract.</summary>
internal static class ClusterResources
{
    /// <summary>
    /// The grain that answers for <paramref name="ri"/>, as grains see it (<see cref="IClusterResourceGrain"/>), or
    /// null when the ID is not one this CSE assigns.
    /// </summary>
    public static IClusterResourceGrain? GetClusterResource(this IGrainFactory grains, string ri, string cseBaseId) =>
        grains.GetResourceGrain(ri, cseBaseId)?.AsReference<IClusterResourceGrain>();
}
