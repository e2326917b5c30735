using Microsoft.Extensions.Logging;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Announced;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Announcement (TS-0001 10.2.18): a resource whose <c>at</c> names other CSEs hands each stored state (and its
/// deletion) to its announcer (<see cref="IAnnouncementGrain"/>), which stores it and does the remote requests after
/// this turn.
/// </summary>
internal abstract partial class ResourceGrain
{
    /// <summary>
    /// Hands the stored state of the resource <paramref name="resourceId"/> (this one, or an instance it holds) to its
    /// announcer when it is announced now (<paramref name="attributes"/>) or was (<paramref name="before"/>); null
    /// attributes mean deleted.
    /// </summary>
    /// <remarks>
    /// An update by a CSE holding a bi-directionally synchronised copy (<paramref name="syncedFrom"/>, the names it
    /// changed in <paramref name="synced"/>) is not sent back to that copy, which has it already.
    /// </remarks>
    protected async Task AnnounceAsync(string resourceId, ResourceType type, Dictionary<string, object?>? attributes,
        Dictionary<string, object?>? before = null, string? syncedFrom = null, IEnumerable<string>? synced = null)
    {
        if (!AnnouncementContent.Announces(attributes) && !AnnouncementContent.Announces(before) || AnnouncedTypes.AnnouncedOf(type) is null)
        {
            return;
        }

        var rootKey = Policies.RootKeyOf(type, attributes ?? before!);
        var parentId = resourceId == ResourceId ? State.ParentId : ResourceId;
        try
        {
            await GrainFactory.GetGrain<IAnnouncementGrain>(resourceId).Changed(new AnnouncementSnapshot(type, rootKey, parentId, attributes)
            {
                SyncedFrom = syncedFrom,
                Synced = synced is null ? null : [.. synced],
            });
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The change stands (it is stored); its announcement waits for the resource's next change.
            LogAnnouncementNotHandedOver(Logger, exception, resourceId);
        }
    }

    public async ValueTask AnnouncedAs(string resourceId, string cseId, string remoteId)
    {
        if (!Exists)
        {
            return;
        }

        if (resourceId != ResourceId)
        {
            await InstanceAnnouncedAs(resourceId, cseId, remoteId);
        }
        else if (AnnouncementContent.WithCopy(State.Attributes, cseId, remoteId) is { } at)
        {
            await ReplaceAttributesAsync(new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal) { ["at"] = at });
        }
    }

    /// <summary>
    /// Whether <paramref name="originator"/> is a CSE holding an announced copy of this resource with bi-directional
    /// synchronisation (<c>ast</c> 2, TS-0001 10.2.18) that updates attributes the copy carries: the CSE propagates an
    /// update of its copy to the original (as ACME lets a CSE <c>at</c> names update the original).
    /// </summary>
    private bool SyncsFromCopy(string originator, Dictionary<string, object?>? content) =>
        content is { Count: > 0 } && AnnouncementContent.MaySyncBack(State.Attributes, originator, content.Keys, Options.CseId);

    /// <summary>
    /// After an update of this resource is stored: an announced resource with bi-directional synchronisation hands the
    /// change to be sent to its original (<see cref="Announced.AnnouncedResourceGrain"/>); other types do nothing.
    /// </summary>
    protected virtual Task SyncOriginalAsync(Dictionary<string, object?> accepted, string originator) => Task.CompletedTask;

    /// <summary>An instance this resource holds has an announced copy (see <see cref="AnnouncedAs"/>); only instance holders hold any.</summary>
    protected virtual Task InstanceAnnouncedAs(string instanceId, string cseId, string remoteId) => Task.CompletedTask;

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "The new state of announced resource {ResourceId} could not be handed to its announcer")]
    private static partial void LogAnnouncementNotHandedOver(ILogger logger, Exception exception, string resourceId);
}
