using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Announced;

/// <summary>
/// An announced resource of any announced type (<see cref="AnnouncedTypes"/>), keyed by its <c>ri</c>: what another
/// CSE announced here (TS-0001 10.2.18), under its <c>&lt;remoteCSE&gt;</c> or an announced parent, and keeps in step
/// with the original by update and delete. The announcing CSE (the owner of the <c>&lt;remoteCSE&gt;</c>, hence of
/// everything under it) and CAdmin may always change it; anyone else as its <c>acpi</c> grants: policies of this CSE,
/// announced policies here (accessControlPolicyAnnc, whose <c>pv</c>/<c>pvs</c> count as a policy's), and entries
/// naming the announcing CSE's policies (<c>/id-mn/acp…</c>, kept as sent), which grant what their announced copies
/// here grant. Its <c>lnk</c>
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
    /// The announcing CSE (the owner) keeps its copy in step whatever the copy's <c>acpi</c> grants others (its
    /// policies, announced here, are for the AEs that use the copy); everyone else is judged by the <c>acpi</c>.
    /// </summary>
    protected override ValueTask<bool> MayAccess(string originator, ResourceRequest request) =>
        originator == State.Owner && originator.StartsWith('/') ? ValueTask.FromResult(true) : base.MayAccess(originator, request);

    /// <summary>An announced policy is findable by its original's ID, as the announced resources' <c>acpi</c> name it.</summary>
    protected override async ValueTask Created(NewResource resource)
    {
        if (PolicyLink() is { } link)
        {
            try
            {
                await GrainFactory.GetGrain<IAnnouncedLinkGrain>(link).Set(ResourceId);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The copy stands; an acpi naming its original grants nothing until the CSE announces it again.
                Log.LinkNotRecorded(Logger, exception, ResourceId, link);
            }

            AccessPolicies.Invalidate(link);
        }
    }

    public ValueTask<AccessPolicySnapshot> GetPolicy() =>
        ValueTask.FromResult(State.Type == ResourceType.AccessControlPolicyAnnc && IsLive(Now())
            ? new AccessPolicySnapshot(true,
                State.Attributes.GetValueOrDefault("pv") as Dictionary<string, object?>,
                State.Attributes.GetValueOrDefault("pvs") as Dictionary<string, object?>,
                Expiration)
            : new AccessPolicySnapshot(false, null, null, null));

    protected override void Updated(Dictionary<string, object?> accepted)
    {
        base.Updated(accepted);
        if (PolicyLink() is { } link)
        {
            AccessPolicies.Invalidate(ResourceId);
            AccessPolicies.Invalidate(link);
        }
    }

    protected override async Task WillBeDeleted()
    {
        await base.WillBeDeleted();
        if (PolicyLink() is { } link)
        {
            AccessPolicies.Invalidate(ResourceId);
            AccessPolicies.Invalidate(link);
            await GrainFactory.GetGrain<IAnnouncedLinkGrain>(link).Clear(ResourceId);
        }
    }

    /// <summary>For an accessControlPolicyAnnc, its original's SP-relative ID (<c>/id-mn/acp…</c>); else null.</summary>
    private string? PolicyLink() =>
        State.Type == ResourceType.AccessControlPolicyAnnc && State.Attributes.GetValueOrDefault(AnnouncedPolicies.Link) is string link
            ? AnnouncedPolicies.SpRelative(link)
            : null;

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

        [LoggerMessage(EventId = 3734, Level = LogLevel.Warning, Message = "The announced policy {ResourceId} could not be recorded as the copy of {Link}")]
        public static partial void LinkNotRecorded(ILogger logger, Exception exception, string resourceId, string link);
    }
}
