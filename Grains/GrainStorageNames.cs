namespace VirtualIoT.Grains;

/// <summary>Names of the grain storage providers the grains use; the silo registers a provider under each.</summary>
public static class GrainStorageNames
{
    /// <summary>Resource state, child index shards and content instance segments.</summary>
    public const string Resources = UnstoredRecord.ResourceStorageName;
}
