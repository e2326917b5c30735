namespace VirtualIoT.Grains.Resources.Announced;

/// <summary>See <see cref="IAnnouncedLinkGrain"/>: one stored resource ID.</summary>
internal sealed class AnnouncedLinkGrain(
    [PersistentState("announcedLink", GrainStorageNames.Resources)] IPersistentState<AnnouncedLinkState> store) : Grain, IAnnouncedLinkGrain
{
    public ValueTask<string?> Copy() => ValueTask.FromResult(store.State.ResourceId);

    public async Task Set(string resourceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(resourceId);
        if (store.State.ResourceId != resourceId)
        {
            store.State.ResourceId = resourceId;
            await store.WriteStateAsync();
        }
    }

    public async Task Clear(string resourceId)
    {
        if (store.State.ResourceId == resourceId)
        {
            await store.ClearStateAsync();
        }
    }
}

/// <summary>Persisted state of <see cref="AnnouncedLinkGrain"/>.</summary>
[GenerateSerializer, Alias("VirtualIoT.AnnouncedLinkState")]
public sealed class AnnouncedLinkState
{
    /// <summary>The copy's resource ID, or null.</summary>
    [Id(0)] public string? ResourceId { get; set; }
}
