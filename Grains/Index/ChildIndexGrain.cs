using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Resources;

namespace VirtualIoT.Grains.Index;

/// <summary>Stored names of one child index shard.</summary>
[GenerateSerializer, Alias("VirtualIoT.ChildIndexState")]
public sealed class ChildIndexState
{
    /// <summary>Children by name.</summary>
    [Id(0)] public Dictionary<string, ChildReference> Children { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Completed creates of children named in this shard, oldest first, bounded as a parent's are (<see cref="Resources.RequestLedger"/>).</summary>
    [Id(1)] public List<CompletedCreate> Creates { get; set; } = [];
}

/// <summary>One shard of a parent's child name index; see <see cref="IChildIndexGrain"/>.</summary>
internal sealed class ChildIndexGrain(
    [PersistentState("index", GrainStorageNames.Resources)] IPersistentState<ChildIndexState> store,
    IOptions<CseOptions> options) : Grain, IChildIndexGrain
{
    public async ValueTask<bool> Claim(ChildReference child, CompletedCreate? create = null)
    {
        var children = store.State.Children;
        if (children.TryGetValue(child.Name, out var existing))
        {
            if (existing == child && create is null)
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
        var creates = store.State.Creates;
        if (create is not null)
        {
            creates.RemoveAll(e => e.ResourceId == create.ResourceId);
            creates.Add(create);
            RequestLedger.Trim(creates, options.Value);
        }

        try
        {
            await store.WriteStateAsync();
        }
        catch
        {
            if (create is not null && creates.Count > 0 && creates[^1] == create)
            {
                creates.RemoveAt(creates.Count - 1);
            }

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
            // The record goes with the name: a device that deregistered and registers again (its rqi counter
            // restarted) must get a new AE, not the answer about the one it deleted.
            store.State.Children.Remove(name);
            store.State.Creates.RemoveAll(e => e.ResourceId == ri);
            await store.WriteStateAsync();
        }
    }

    public ValueTask<CompletedCreate?> FindCreate(string originator, string requestId, ulong fingerprint) =>
        ValueTask.FromResult(RequestLedger.Find(store.State.Creates, originator, requestId, fingerprint, options.Value));

    public ValueTask<ChildReference?> Lookup(string name) =>
        ValueTask.FromResult(store.State.Children.TryGetValue(name, out var child) ? child : null);

    public ValueTask<IReadOnlyList<ChildReference>> List() =>
        ValueTask.FromResult<IReadOnlyList<ChildReference>>([.. store.State.Children.Values]);
}
