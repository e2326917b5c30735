using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Announced;

/// <summary>
/// An announced resource of any announced type (<see cref="AnnouncedTypes"/>), keyed by its <c>ri</c>: what another
/// CSE announced here (TS-0001 10.2.18), under its <c>&lt;remoteCSE&gt;</c> or an announced parent, and keeps in step
/// with the original by update and delete. Only the announcing CSE (the owner of the <c>&lt;remoteCSE&gt;</c>, hence of
/// everything under it) and CAdmin may change it unless its <c>acpi</c> names policies of this CSE that grant more;
/// <c>acpi</c> entries naming the announcing CSE's policies are kept as sent and grant nothing here. Its <c>lnk</c>
/// must name a resource of the announcing CSE. An announced instance (contentInstanceAnnc, timeSeriesInstanceAnnc) is
/// immutable, as its original is.
/// </summary>
internal sealed partial class AnnouncedResourceGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<AnnouncedResourceGrain> logger) : ResourceGrain(store, options, logger), IAnnouncedResourceGrain
{
    // Before the resource exists (a request to a missing one answers 4004 before reading it) any policy will do.
    protected override ResourcePolicy Policy => Policies.Of(State.Type, State.Attributes) ?? AnnouncedPolicies.Plain[0];

    protected override ValueTask<ResourceResponse?> WillBeCreated(NewResource resource)
    {
        // The announcing CSE names its own resource (TS-0001 10.2.18.1: the original's Hosting CSE announces it).
        if (resource.Originator is { Length: > 0 } originator && originator[0] == '/' && !IsAdmin(originator)
            && resource.Attributes.GetValueOrDefault(AnnouncedPolicies.Link) is string link
            && AnnouncedPolicies.CheckLink(link, out var linkedCse) is null
            && linkedCse != (originator.IndexOf('/', 1) is var end and > 0 ? originator[..end] : originator))
        {
            return ValueTask.FromResult<ResourceResponse?>(ResourceResponse.Error(ResponseStatusCode.BadRequest,
                $"lnk '{link}' names a resource of {linkedCse}, not of the announcing CSE {originator}"));
        }

        return ValueTask.FromResult<ResourceResponse?>(null);
    }

    /// <summary>
    /// Bi-directional synchronisation (<c>ast</c> 2, TS-0001 10.2.18, as ACME): a change of this copy by anyone but the
    /// announcing CSE (whose updates come from the original) goes to the original, sent by this copy's announcer
    /// grain after this turn. The access control attributes and <c>ast</c> are the copy's own and stay here.
    /// </summary>
    protected override async Task SyncOriginalAsync(Dictionary<string, object?> accepted, string originator)
    {
        if (!AnnouncementContent.SyncsBothWays(State.Attributes) || State.Attributes.GetValueOrDefault(AnnouncedPolicies.Link) is not string link
            || AnnouncedPolicies.CheckLink(link, out var announcer) is not null || originator == announcer)
        {
            return;
        }

        var changes = accepted.Where(change => AnnouncementContent.SyncedBack(change.Key)).ToDictionary(StringComparer.Ordinal);
        if (changes.Count == 0)
        {
            return;
        }

        try
        {
            await GrainFactory.GetGrain<IAnnouncementGrain>(ResourceId)
                .CopyChanged(new OriginalUpdate(link, AnnouncedPolicies.OriginalRootKey(State.Type, Policy.RootKey), changes));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The change stands here (it is stored); the original misses it.
            Log.OriginalNotTold(Logger, exception, ResourceId, link);
        }
    }

    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator) =>
        ValueTask.FromResult(State.Type is ResourceType.ContentInstanceAnnc or ResourceType.TimeSeriesInstanceAnnc
            ? ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed, $"{Policy.RootKey} is an announced instance: it cannot be updated")
            : null);

    private static partial class Log
    {
        [LoggerMessage(EventId = 3729, Level = LogLevel.Warning, Message = "The change of announced {ResourceId} could not be handed over for its original {Link}")]
        public static partial void OriginalNotTold(ILogger logger, Exception exception, string resourceId, string link);
    }
}
