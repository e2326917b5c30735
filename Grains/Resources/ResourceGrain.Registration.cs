using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// AE registration's two writes at once: the claim of the AE's name in its CSEBase's index shard and the AE's own
/// record are started together (<see cref="Initialize"/>), so that a storage that batches writes (PostgreSQL) commits
/// them in one batch and a registration waits for one commit instead of two in a row. Either write may be the one
/// stored when a silo dies between them: a name claimed without its AE is completed by the repeated registration
/// as before; an AE stored without its name is completed here, by the next registration of its AE-ID.
/// </summary>
internal abstract partial class ResourceGrain
{
    private bool? _marksUnstored;

    /// <summary>
    /// Whether the parent of the resource just created listens to its children's creation, as the index shard that
    /// claimed its name answered (<see cref="NewNameClaim.ParentListens"/>); true when no shard answered.
    /// </summary>
    private protected bool ParentListens { get; private set; } = true;

    /// <summary>
    /// The claim's outcome once the AE's record is stored: true when the name is the AE's. A name the AE held without
    /// its record (the silo died after the claim of an earlier registration) is claimed again with this create's
    /// record. When the name is not the AE's (a sibling holds it) or the claim failed, the record just stored is
    /// cleared, so no AE stays stored without its name.
    /// </summary>
    private async Task<bool> ClaimedWithRecord(IChildIndexGrain shard, ChildReference child, CompletedCreate? create, Task<NewNameClaim> claim)
    {
        bool claimed;
        try
        {
            var outcome = await claim;
            ParentListens = outcome.ParentListens;
            claimed = outcome.Outcome switch
            {
                NameClaim.Claimed => true,
                NameClaim.Held => await shard.Claim(child, create),
                _ => false,
            };
        }
        catch
        {
            await ForgetUnnamedRecord();
            throw;
        }

        if (!claimed)
        {
            await ForgetUnnamedRecord();
        }

        return claimed;
    }

    /// <summary>
    /// After the record's write failed: gives up the name a claim took for it (an AE's, started beside the write, is
    /// undone exactly; any other child's was claimed before the write). A claim that failed as well left nothing.
    /// </summary>
    private async Task UndoClaim(IChildIndexGrain shard, ChildReference child, CompletedCreate? create, Task<NewNameClaim>? claim)
    {
        if (claim is null)
        {
            await shard.Release(child.Name, ResourceId);
            return;
        }

        NameClaim outcome;
        try
        {
            outcome = (await claim).Outcome;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The write's failure is the one reported; a claim that failed as well left nothing to release.
            return;
        }

        if (outcome == NameClaim.Claimed)
        {
            await shard.Unclaim(child, create);
        }
    }

    /// <summary>
    /// The AE's (or other new resource's) record is stored after all, where this activation assumed none
    /// (<see cref="UnstoredRecord"/>): reads it, loads what an activation loads, and carries the create out against it
    /// (the AE-ID is registered, or its registration is completed). A type's own activation work did not run on the
    /// record read here, so the activation is given up once this call returns and the next request reads afresh.
    /// </summary>
    private async ValueTask<ResourceResponse> ReloadAndInitialize(NewResource resource)
    {
        await _store.ReadStateAsync();
        await LoadStoredAsync();
        DeactivateOnIdle();
        LogStoredAfterAll(Logger, ResourceId);
        return await InitializeAsync(resource, reread: true);
    }

    /// <summary>
    /// Sends a new child its <see cref="Initialize"/>, marked (<see cref="UnstoredRecord"/>) so that an activation the
    /// call causes does not read a record the child cannot have yet, or, for an AE-ID, most likely has not; unmarked
    /// when the storage reads such records anyway.
    /// </summary>
    protected ValueTask<ResourceResponse> InitializeUnstored(IClusterResourceGrain child, NewResource resource)
    {
        _marksUnstored ??= ServiceProvider.GetKeyedService<IGrainStorage>(GrainStorageNames.Resources) is IUnstoredRecordStorage { SkipsUnstoredReads: true };
        if (!_marksUnstored.Value)
        {
            return child.Initialize(resource);
        }

        UnstoredRecord.Mark(child.GetGrainId());
        try
        {
            return child.Initialize(resource);
        }
        finally
        {
            UnstoredRecord.Unmark();
        }
    }

    private async Task ForgetUnnamedRecord()
    {
        await _store.ClearStateAsync();
        _store.State = new ResourceState();
    }

    /// <summary>
    /// A registration of an AE-ID whose AE is stored but whose name its index shard does not hold (the silo died
    /// between the two writes of the first registration): claims the name now, with this request's record, and
    /// answers as the first registration would have, with the AE as stored. Null when the AE holds its name (or
    /// another resource took it meanwhile): then the AE-ID is registered, and the caller says so.
    /// </summary>
    private async ValueTask<ResourceResponse?> CompleteRegistration(NewResource resource)
    {
        if (State.IndexShard is not { } key || key != resource.ParentIndexShard || IsExpired(Now()))
        {
            return null;
        }

        var shard = GrainFactory.GetGrainByKey<IChildIndexGrain>(key);
        var name = State.Attributes.ResourceName();
        if (await shard.Lookup(name) is not null)
        {
            return null;
        }

        var child = new ChildReference(ResourceId, name, State.Type, State.Attributes.ExpirationTime());
        if (!await shard.Claim(child, resource.Create))
        {
            return null;
        }

        LogRegistrationCompleted(Logger, ResourceId, name);
        return new ResourceResponse(ResponseStatusCode.Created, new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal));
    }

    [LoggerMessage(EventId = 2007, Level = LogLevel.Debug,
        Message = "Resource {ResourceId} was created where a record of it is stored: the create goes on from the stored record")]
    private static partial void LogStoredAfterAll(ILogger logger, string resourceId);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information,
        Message = "AE {ResourceId} was stored without its name '{Name}' (a silo died during its registration): its registration is completed now")]
    private static partial void LogRegistrationCompleted(ILogger logger, string resourceId, string name);
}
