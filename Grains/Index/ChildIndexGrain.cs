using Microsoft.Extensions.Options;

namespace VirtualIoT.Grains.Index;

/// <summary>Stored names of one child index shard.</summary>
[GenerateSerializer, Alias("VirtualIoT.ChildIndexState")]
public sealed class ChildIndexState
{
    /// <summary>Children by name.</summary>
    [Id(0)] public Dictionary<string, ChildReference> Children { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One shard of a parent's child name index; see <see cref="IChildIndexGrain"/>.</summary>
internal sealed class ChildIndexGrain(
    [PersistentState("index", GrainStorageNames.Resources)] IPersistentState<ChildIndexState> store,
    IOptions<CseOptions> options) : Grain, IChildIndexGrain
{
    public async ValueTask<bool> Claim(ChildReference child)
    {
        var children = store.State.Children;
        if (children.TryGetValue(child.Name, out var existing))
        {
            if (existing == child)
            {
                return true;
            }

            // The same resource with a new expiration time, or a sibling that expired: a resource's own updates
            // keep its time here exact, so an expired entry no longer holds its name.
            var expired = existing.ExpirationTime is { } et && string.CompareOrdinal(et, OneM2MTime.Format(DateTime.UtcNow)) <= 0;
            if (existing.ResourceId != child.ResourceId && !expired)
            {
                return false;
            }

            if (existing.ResourceId != child.ResourceId && GrainFactory.GetResourceGrain(existing.ResourceId, options.Value.CseBaseId) is { } stale)
            {
                // Not awaited: the expired resource may at this moment be asking this shard to release its name.
                _ = stale.DeleteSubtree();
            }
        }

        children[child.Name] = child;
        try
        {
            await store.WriteStateAsync();
        }
        catch
        {
            if (existing is null)
            {
                children.Remove(child.Name);
            }
            else
            {
                children[child.Name] = existing;
            }

            throw;
        }

        return true;
    }

    public async ValueTask Release(string name, string ri)
    {
        if (store.State.Children.TryGetValue(name, out var existing) && existing.ResourceId == ri)
        {
            store.State.Children.Remove(name);
            await store.WriteStateAsync();
        }
    }

    public ValueTask<ChildReference?> Lookup(string name) =>
        ValueTask.FromResult(store.State.Children.TryGetValue(name, out var child) ? child : null);

    public ValueTask<IReadOnlyList<ChildReference>> List() =>
        ValueTask.FromResult<IReadOnlyList<ChildReference>>([.. store.State.Children.Values]);
}
