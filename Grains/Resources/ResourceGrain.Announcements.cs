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
    protected async Task AnnounceAsync(string resourceId, ResourceType type, Dictionary<string, object?>? attributes,
        Dictionary<string, object?>? before = null)
    {
        if (!AnnouncementContent.Announces(attributes) && !AnnouncementContent.Announces(before) || AnnouncedTypes.AnnouncedOf(type) is null)
        {
            return;
        }

        var rootKey = Policies.RootKeyOf(type, attributes ?? before!);
        var parentId = resourceId == ResourceId ? State.ParentId : ResourceId;
        try
        {
            await GrainFactory.GetGrain<IAnnouncementGrain>(resourceId).Changed(new AnnouncementSnapshot(type, rootKey, parentId, attributes));
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

    /// <summary>An instance this resource holds has an announced copy (see <see cref="AnnouncedAs"/>); only instance holders hold any.</summary>
    protected virtual Task InstanceAnnouncedAs(string instanceId, string cseId, string remoteId) => Task.CompletedTask;

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "The new state of announced resource {ResourceId} could not be handed to its announcer")]
    private static partial void LogAnnouncementNotHandedOver(ILogger logger, Exception exception, string resourceId);
}
