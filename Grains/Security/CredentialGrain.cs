using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Security;

/// <summary>See <see cref="ICredentialGrain"/>. Stores only what the gateway hashed; no cryptography here.</summary>
[DevicePlacement]
internal sealed class CredentialGrain(
    [PersistentState("credential", GrainStorageNames.Resources)] IPersistentState<CredentialState> store) : Grain, ICredentialGrain
{
    public ValueTask<StoredCredential?> Get() =>
        new(store.State.Hash is { } hash ? new StoredCredential(hash, store.State.Version) : null);

    public async ValueTask<long> Set(string hash)
    {
        ArgumentException.ThrowIfNullOrEmpty(hash);
        store.State.Hash = hash;
        store.State.Version++;
        await store.WriteStateAsync();
        return store.State.Version;
    }

    public async ValueTask<bool> Remove()
    {
        if (store.State.Hash is null)
        {
            return false;
        }

        // The version is kept, so a credential set again later never repeats a version a cache may still hold.
        store.State.Hash = null;
        store.State.Version++;
        await store.WriteStateAsync();
        return true;
    }
}

/// <summary>Persisted state of <see cref="CredentialGrain"/>.</summary>
[GenerateSerializer, Alias("VirtualIoT.CredentialState")]
public sealed class CredentialState
{
    /// <summary>The password hash, or null when revoked or never set.</summary>
    [Id(0)] public string? Hash { get; set; }

    /// <summary>Incremented on every change.</summary>
    [Id(1)] public long Version { get; set; }
}
