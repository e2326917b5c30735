using Microsoft.Extensions.Logging;
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
    /// <summary>
    /// The claim's outcome once the AE's record is stored: true when the name is the AE's. When it is not (a sibling
    /// holds the name) or the claim failed, the record just stored is cleared, so no AE stays stored without its name.
    /// </summary>
    private async Task<bool> ClaimedWithRecord(Task<bool> claim)
    {
        bool claimed;
        try
        {
            claimed = await claim;
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

    /// <summary>Whether a claim started beside a write that failed had claimed the name (false when it failed too).</summary>
    private static async Task<bool> ClaimSettled(Task<bool> claim)
    {
        try
        {
            return await claim;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The write's failure is the one reported; a claim that failed as well left nothing to release.
            return false;
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

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information,
        Message = "AE {ResourceId} was stored without its name '{Name}' (a silo died during its registration): its registration is completed now")]
    private static partial void LogRegistrationCompleted(ILogger logger, string resourceId, string name);
}
