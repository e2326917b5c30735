using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Announced;

/// <summary>What an announcer stores: the state to announce and the copies made so far, by CSE-ID.</summary>
[GenerateSerializer, Alias("VirtualIoT.AnnouncementState")]
internal sealed class AnnouncementState
{
    /// <summary>The resource as last handed over (its attributes null once deleted).</summary>
    [Id(0)] public AnnouncementSnapshot? Desired { get; set; }

    /// <summary>The announced copies: by the CSE-ID holding one, its ID there and the attributes last sent to it.</summary>
    [Id(1)] public Dictionary<string, SentCopy> Copies { get; set; } = new(StringComparer.Ordinal);

    /// <summary>For an announced copy held here: its change not yet taken by the original (bi-directional synchronisation).</summary>
    [Id(2)] public OriginalUpdate? ToOriginal { get; set; }

    /// <summary>
    /// Creates sent whose answer never came (a timeout, an unreachable hop, a failed silo), by CSE-ID. The copy may
    /// stand there, or be on its way: it is looked for by its <c>lnk</c>, and the same create is sent again.
    /// </summary>
    [Id(3)] public Dictionary<string, CreateInDoubt>? InDoubt { get; set; }
}

/// <summary>A create of a copy sent without an answer: its request identifier and the attributes it carried.</summary>
[GenerateSerializer, Alias("VirtualIoT.CreateInDoubt")]
internal sealed record CreateInDoubt([property: Id(0)] string RequestId, [property: Id(1)] Dictionary<string, object?> Sent);

/// <summary>An announced copy on a remote CSE: its resource ID there and the attributes it was last given.</summary>
[GenerateSerializer, Alias("VirtualIoT.SentCopy")]
internal sealed record SentCopy([property: Id(0)] string RemoteId, [property: Id(1)] Dictionary<string, object?> Sent);

/// <summary>
/// See <see cref="IAnnouncementGrain"/>. Reentrant: a new state is stored while remote requests of the previous one are
/// on their way, and one sync pass at a time brings every copy to the newest state (as ACME announces: the copy goes
/// under the parent's copy on that CSE, else under this CSE's <c>&lt;remoteCSE&gt;</c> there; an instance whose parent
/// is not announced there is not announced). A pass that leaves work (a CSE not reachable or not registered yet, a
/// parent's copy still to be made) is tried again after a growing delay; a reminder, registered before a change is
/// acknowledged and dropped once every copy is in step, brings the announcer back after a silo failure. A copy gone
/// from its CSE (4004 on update) is made again. A create is recorded before it is sent, so that one whose answer did
/// not come back leaves no second copy: the copy it may have made is looked for
/// by its <c>lnk</c> (as ACME finds its CSEBaseAnnc) and adopted, or removed when no longer wanted; when none is
/// found the same create goes again under the same request identifier, which a CSE that remembers completed creates
/// (this one does) answers with the copy the first one made, even while that one is still being carried out.
/// </summary>
[Reentrant]
internal sealed partial class AnnouncementGrain(
    [PersistentState("announcement", GrainStorageNames.Resources)] IPersistentState<AnnouncementState> store,
    IRemoteCseSender sender,
    IOptions<CseOptions> options,
    ILogger<AnnouncementGrain> logger) : Grain, IAnnouncementGrain, IRemindable
{
    private const string ReminderName = "announce";

    // The reminder stands while work is left, so that an announcer a silo failure stopped resumes this long after it.
    private static readonly TimeSpan s_resumeAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_reminderPeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_lastRetry = TimeSpan.FromSeconds(30);

    private readonly CseOptions _options = options.Value;
    private Task _pass = Task.CompletedTask;

    // The clear of a state left with nothing to do: a change waits for it (counted while it waits), so that the clear
    // does not drop it and the activation is not let go under it.
    private Task _clearing = Task.CompletedTask;
    private int _waitingForClear;
    private bool _again;
    private TimeSpan _retry = s_firstRetry;
    private IGrainTimer? _retryTimer;

    // The reminder this activation registered and has not unregistered (null: none, or one an earlier activation left).
    private IGrainReminder? _reminder;

    private string ResourceId => this.GetPrimaryKeyString();

    public async ValueTask Changed(AnnouncementSnapshot snapshot)
    {
        await AfterClear();
        store.State.Desired = snapshot;
        if (snapshot is { SyncedFrom: { } from, Synced: { } names, Attributes: { } attributes } && AnnouncementContent.SyncsBothWays(attributes)
            && store.State.Copies.TryGetValue(from, out var copy))
        {
            // The update came from the copy on that CSE (bi-directional synchronisation): the copy has it already.
            store.State.Copies[from] = copy with { Sent = AnnouncementContent.WithSynced(copy.Sent, AnnouncementContent.Announced(attributes, _options.CseId), names) };
        }

        await store.WriteStateAsync();
        await KeepReminder();
        _retry = s_firstRetry;
        Kick();
    }

    public async ValueTask CopyChanged(OriginalUpdate update)
    {
        await AfterClear();
        var pending = store.State.ToOriginal;
        store.State.ToOriginal = pending is not null && pending.Link == update.Link
            ? update with { Changes = new Dictionary<string, object?>(pending.Changes.Concat(update.Changes).GroupBy(c => c.Key).Select(g => g.Last()), StringComparer.Ordinal) }
            : update;
        await store.WriteStateAsync();
        await KeepReminder();
        _retry = s_firstRetry;
        Kick();
    }

    public ValueTask<AnnouncedCopy> CopyOn(string cseId)
    {
        var wanted = store.State.Desired is { Attributes: { } attributes } && AnnouncementContent.Targets(attributes, _options.CseId).Contains(cseId);
        return ValueTask.FromResult(new AnnouncedCopy(wanted, store.State.Copies.TryGetValue(cseId, out var copy) ? copy.RemoteId : null));
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Kick();
        return Task.CompletedTask;
    }

    /// <summary>One pass over every CSE: true when every copy matches the newest state.</summary>
    private async Task<bool> SyncAsync()
    {
        var complete = await UpdateOriginal();
        if (store.State.Desired is not { } desired)
        {
            return complete;
        }

        var targets = AnnouncementContent.Targets(desired.Attributes, _options.CseId);
        var announcedType = AnnouncedTypes.AnnouncedOf(desired.Type);
        foreach (var cseId in store.State.InDoubt?.Keys.Where(c => !targets.Contains(c)).ToList() ?? [])
        {
            complete &= announcedType is { } type && await RemoveInDoubt(cseId, desired, type);
        }

        foreach (var (cseId, copy) in store.State.Copies.Where(c => !targets.Contains(c.Key)).ToList())
        {
            var deleted = await SendAsync(cseId, Operation.Delete, string.Concat(cseId, "/", copy.RemoteId), null, null, null);
            if (deleted.StatusCode is ResponseStatusCode.Deleted or ResponseStatusCode.NotFound)
            {
                store.State.Copies.Remove(cseId);
                await store.WriteStateAsync();
                Log.Deannounced(logger, ResourceId, cseId);
            }
            else
            {
                complete = false;
            }
        }

        if (desired.Attributes is not { } attributes || announcedType is null)
        {
            return complete;
        }

        var wanted = AnnouncementContent.Announced(attributes, _options.CseId);
        var rootKey = AnnouncedPolicies.AnnouncedRootKey(desired.Type, desired.RootKey);
        foreach (var cseId in targets)
        {
            complete &= store.State.Copies.TryGetValue(cseId, out var copy)
                ? await UpdateCopy(cseId, copy, wanted, rootKey)
                : await CreateCopy(cseId, desired, announcedType.Value, wanted, rootKey);
        }

        return complete;
    }

    private async Task<bool> CreateCopy(string cseId, AnnouncementSnapshot desired, ResourceType announcedType, Dictionary<string, object?> wanted, string rootKey)
    {
        var (parent, wait) = await ParentOn(cseId, desired);
        if (parent is null)
        {
            if (!wait)
            {
                Log.NoParent(logger, ResourceId, cseId);
            }

            return !wait;
        }

        if (store.State.InDoubt?.GetValueOrDefault(cseId) is { } doubt)
        {
            var found = await FindCopies(cseId, parent, level: 1, announcedType);
            if (found is null)
            {
                return false;
            }

            if (found.Count > 0)
            {
                return await AdoptCopy(cseId, desired, found, doubt.Sent, wanted, rootKey);
            }
        }
        else
        {
            doubt = new CreateInDoubt(NewRequestId(), wanted);
            (store.State.InDoubt ??= new(StringComparer.Ordinal))[cseId] = doubt;
            await store.WriteStateAsync();
        }

        var content = new Dictionary<string, object?>(doubt.Sent, StringComparer.Ordinal)
        {
            [AnnouncedPolicies.Link] = Link,
        };
        var created = await SendAsync(cseId, Operation.Create, parent, announcedType, content, rootKey, doubt.RequestId);
        if (created.StatusCode != ResponseStatusCode.Created
            || (created.Content as Dictionary<string, object?>)?.GetValueOrDefault(rootKey) is not Dictionary<string, object?> made
            || made.GetValueOrDefault(AttributeNames.ResourceId) is not string remoteId)
        {
            Log.NotAnnounced(logger, ResourceId, cseId, (int)created.StatusCode, created.Message);
            if (!MayHaveBeenCarriedOut(created.StatusCode))
            {
                store.State.InDoubt!.Remove(cseId);
                await store.WriteStateAsync();
            }

            return false;
        }

        Log.Announced(logger, ResourceId, cseId, remoteId);
        // A create sent again carries what the first one did: brought to the newest state now.
        return await KeepCopy(cseId, desired, new SentCopy(remoteId, doubt.Sent), wanted, rootKey);
    }

    /// <summary>
    /// Records <paramref name="copy"/> as the copy on <paramref name="cseId"/> (its create no longer in doubt), names it
    /// in the original's <c>at</c> and brings it to <paramref name="wanted"/>; true when it is in step.
    /// </summary>
    private async Task<bool> KeepCopy(string cseId, AnnouncementSnapshot desired, SentCopy copy, Dictionary<string, object?> wanted, string rootKey)
    {
        store.State.InDoubt?.Remove(cseId);
        store.State.Copies[cseId] = copy;
        await store.WriteStateAsync();
        await ListCopy(desired, cseId, copy.RemoteId);
        return await UpdateCopy(cseId, copy, wanted, rootKey);
    }

    /// <summary>This resource's ID as its copies' <c>lnk</c> names it.</summary>
    private string Link => string.Concat(_options.CseId, "/", ResourceId);

    /// <summary>
    /// True for an answer after which the request may still have been carried out there: a timeout or a receiver or
    /// network error, as opposed to an originator error (4xxx) that refused it.
    /// </summary>
    private static bool MayHaveBeenCarriedOut(ResponseStatusCode status) =>
        status.IsReceiverError() || status == ResponseStatusCode.RequestTimeout;

    /// <summary>
    /// The copies on <paramref name="cseId"/> a create in doubt made, found by their <c>lnk</c> (the first is kept and
    /// brought to <paramref name="wanted"/>, any other deleted); true when the copy is in step.
    /// </summary>
    private async Task<bool> AdoptCopy(string cseId, AnnouncementSnapshot desired, List<string> found, Dictionary<string, object?> sentBefore,
        Dictionary<string, object?> wanted, string rootKey)
    {
        var remoteId = found[0];
        foreach (var extra in found.Skip(1))
        {
            await SendAsync(cseId, Operation.Delete, string.Concat(cseId, "/", extra), null, null, null);
        }

        Log.Adopted(logger, ResourceId, cseId, remoteId);
        return await KeepCopy(cseId, desired, new SentCopy(remoteId, sentBefore), wanted, rootKey);
    }

    /// <summary>
    /// Removes the copy a create in doubt may have made on <paramref name="cseId"/>, which is no longer wanted there (the
    /// original was deleted or no longer names that CSE in <c>at</c>); true when none is left.
    /// </summary>
    private async Task<bool> RemoveInDoubt(string cseId, AnnouncementSnapshot desired, ResourceType announcedType)
    {
        // Every copy of this CSE stands somewhere under its <remoteCSE> there: looked for under the parent's copy, or there.
        var (parent, _) = desired.ParentId == _options.CseBaseId ? (null, false) : await ParentOn(cseId, desired);
        var found = parent is null
            ? await FindCopies(cseId, string.Concat(cseId, "/-/", _options.CseId[1..]), level: null, announcedType)
            : await FindCopies(cseId, parent, level: 1, announcedType);
        if (found is null)
        {
            return false;
        }

        foreach (var remoteId in found)
        {
            var deleted = await SendAsync(cseId, Operation.Delete, string.Concat(cseId, "/", remoteId), null, null, null);
            if (deleted.StatusCode is not (ResponseStatusCode.Deleted or ResponseStatusCode.NotFound))
            {
                return false;
            }
        }

        store.State.InDoubt!.Remove(cseId);
        await store.WriteStateAsync();
        return true;
    }

    /// <summary>
    /// The resource IDs (on <paramref name="cseId"/>) of the announced resources under <paramref name="parent"/> whose
    /// <c>lnk</c> names this resource: a discovery by type and <c>lnk</c>; null when the CSE did not answer it.
    /// </summary>
    private async Task<List<string>?> FindCopies(string cseId, string parent, int? level, ResourceType announcedType)
    {
        var answer = await sender.SendAsync(cseId, parent, new ResourceRequest
        {
            Operation = Operation.Retrieve,
            Originator = _options.CseId,
            RequestIdentifier = NewRequestId(),
            IdentifierForm = IdentifierForm.Unstructured,
            Filter = new FilterCriteria
            {
                Usage = FilterUsage.Discovery,
                ResourceTypes = [(int)announcedType],
                Attributes = [new(AnnouncedPolicies.Link, Link)],
                Level = level,
            },
            ReleaseVersion = "3",
        }, CancellationToken.None);
        if (answer.StatusCode == ResponseStatusCode.NotFound)
        {
            return [];
        }

        if (answer.StatusCode != ResponseStatusCode.Ok
            || (answer.Content as Dictionary<string, object?>)?.GetValueOrDefault("m2m:uril") is not List<object?> addresses)
        {
            Log.CopyNotLookedFor(logger, ResourceId, cseId, (int)answer.StatusCode, answer.Message);
            return null;
        }

        var found = new List<string>(addresses.Count);
        var prefix = cseId + "/";
        foreach (var address in addresses.OfType<string>())
        {
            // Unstructured IDs, CSE-relative, or SP-relative on that CSE.
            if (address.StartsWith(prefix, StringComparison.Ordinal))
            {
                found.Add(address[prefix.Length..]);
            }
            else if (!address.StartsWith('/'))
            {
                found.Add(address);
            }
        }

        return found;
    }

    /// <summary>The original's <c>at</c> names the copy made on <paramref name="cseId"/> (best effort: the copy stands anyway).</summary>
    private async Task ListCopy(AnnouncementSnapshot desired, string cseId, string remoteId)
    {
        var descriptor = ResourceTypeRegistry.Get(desired.Type);
        var (type, id) = descriptor.Holder is { } holder ? (holder, desired.ParentId) : (desired.Type, ResourceId);
        if (ResourceTypeRegistry.Get(type).Grain is not { } grain)
        {
            return;
        }

        try
        {
            await grain(GrainFactory, id).AsReference<IClusterResourceGrain>().AnnouncedAs(ResourceId, cseId, remoteId);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Log.CopyNotListed(logger, exception, ResourceId, cseId);
        }
    }

    private async Task<bool> UpdateCopy(string cseId, SentCopy copy, Dictionary<string, object?> wanted, string rootKey)
    {
        var changes = AnnouncementContent.Changes(copy.Sent, wanted);
        if (changes.Count == 0)
        {
            return true;
        }

        var updated = await SendAsync(cseId, Operation.Update, string.Concat(cseId, "/", copy.RemoteId), null, changes, rootKey);
        if (updated.StatusCode == ResponseStatusCode.NotFound)
        {
            // The copy is gone there (deleted, or the CSE lost it): made again in the next round.
            store.State.Copies.Remove(cseId);
            await store.WriteStateAsync();
            _again = true;
            return true;
        }

        if (updated.StatusCode != ResponseStatusCode.Updated)
        {
            Log.NotUpdated(logger, ResourceId, cseId, (int)updated.StatusCode, updated.Message);
            return false;
        }

        store.State.Copies[cseId] = copy with { Sent = wanted };
        await store.WriteStateAsync();
        return true;
    }

    /// <summary>
    /// Sends the copy's pending change to its original (<c>lnk</c>), from this CSE: done when the original's CSE took
    /// it or refused it (an originator error, logged: the original was deleted, or the change is not one the copy may
    /// make there), to be tried again when it could not be reached or failed.
    /// </summary>
    private async Task<bool> UpdateOriginal()
    {
        if (store.State.ToOriginal is not { } update)
        {
            return true;
        }

        var answer = AnnouncedPolicies.CheckLink(update.Link, out var cseId) is null
            ? await SendAsync(cseId, Operation.Update, AnnouncedPolicies.SpRelative(update.Link), null, update.Changes, update.RootKey)
            : ResourceResponse.Error(ResponseStatusCode.BadRequest, $"lnk '{update.Link}' names no resource of another CSE");
        if (answer.StatusCode.IsReceiverError() || answer.StatusCode == ResponseStatusCode.RequestTimeout)
        {
            Log.OriginalNotUpdated(logger, ResourceId, update.Link, (int)answer.StatusCode, answer.Message);
            return false;
        }

        if (answer.StatusCode.IsError())
        {
            Log.OriginalRefused(logger, ResourceId, update.Link, (int)answer.StatusCode, answer.Message);
        }

        // A change that came in meanwhile was merged into a new pending update: that one is sent in the next round.
        if (ReferenceEquals(store.State.ToOriginal, update))
        {
            store.State.ToOriginal = null;
            await store.WriteStateAsync();
        }
        else
        {
            _again = true;
        }

        return true;
    }

    /// <summary>
    /// Where the copy goes on <paramref name="cseId"/>: the parent's copy there; this CSE's <c>&lt;remoteCSE&gt;</c> there
    /// when the parent is the CSEBase or not announced there (an instance then has none); none yet (wait) while the
    /// parent's copy is still to be made.
    /// </summary>
    private async Task<(string? Parent, bool Wait)> ParentOn(string cseId, AnnouncementSnapshot desired)
    {
        var underRemoteCse = string.Concat(cseId, "/-/", _options.CseId[1..]);
        if (desired.ParentId == _options.CseBaseId)
        {
            return (underRemoteCse, false);
        }

        var parent = await GrainFactory.GetGrain<IAnnouncementGrain>(desired.ParentId).CopyOn(cseId);
        if (parent.RemoteId is { } remoteId)
        {
            return (string.Concat(cseId, "/", remoteId), false);
        }

        if (parent.Wanted)
        {
            return (null, true);
        }

        return desired.Type is ResourceType.ContentInstance or ResourceType.TimeSeriesInstance ? (null, false) : (underRemoteCse, false);
    }

    private static string NewRequestId() => "annc-" + ResourceIds.RandomString(12);

    private Task<ResourceResponse> SendAsync(string cseId, Operation operation, string target, ResourceType? type,
        Dictionary<string, object?>? content, string? rootKey, string? requestId = null) =>
        sender.SendAsync(cseId, target, new ResourceRequest
        {
            Operation = operation,
            Originator = _options.CseId,
            RequestIdentifier = requestId ?? NewRequestId(),
            ResourceType = type,
            ContentRoot = content is null ? null : rootKey,
            Content = content,
            ReleaseVersion = "3",
        }, CancellationToken.None);

    private static partial class Log
    {
        [LoggerMessage(EventId = 3720, Level = LogLevel.Information, Message = "Announced {ResourceId} to {CseId} as {RemoteId}")]
        public static partial void Announced(ILogger logger, string resourceId, string cseId, string remoteId);

        [LoggerMessage(EventId = 3721, Level = LogLevel.Information, Message = "Announcing {ResourceId} to {CseId} answered {Rsc} ({Reason}); trying again")]
        public static partial void NotAnnounced(ILogger logger, string resourceId, string cseId, int rsc, string? reason);

        [LoggerMessage(EventId = 3722, Level = LogLevel.Information, Message = "Updating the announced copy of {ResourceId} on {CseId} answered {Rsc} ({Reason}); trying again")]
        public static partial void NotUpdated(ILogger logger, string resourceId, string cseId, int rsc, string? reason);

        [LoggerMessage(EventId = 3723, Level = LogLevel.Information, Message = "De-announced {ResourceId} from {CseId}")]
        public static partial void Deannounced(ILogger logger, string resourceId, string cseId);

        [LoggerMessage(EventId = 3724, Level = LogLevel.Warning, Message = "{ResourceId} is an instance whose container is not announced to {CseId}: not announced")]
        public static partial void NoParent(ILogger logger, string resourceId, string cseId);

        [LoggerMessage(EventId = 3726, Level = LogLevel.Warning, Message = "The at of {ResourceId} could not be made to name its copy on {CseId}")]
        public static partial void CopyNotListed(ILogger logger, Exception exception, string resourceId, string cseId);

        [LoggerMessage(EventId = 3727, Level = LogLevel.Information, Message = "Updating the original {Link} of the announced {ResourceId} answered {Rsc} ({Reason}); trying again")]
        public static partial void OriginalNotUpdated(ILogger logger, string resourceId, string link, int rsc, string? reason);

        [LoggerMessage(EventId = 3728, Level = LogLevel.Warning, Message = "The original {Link} of the announced {ResourceId} refused its change: {Rsc} ({Reason}); not sent again")]
        public static partial void OriginalRefused(ILogger logger, string resourceId, string link, int rsc, string? reason);

        [LoggerMessage(EventId = 3737, Level = LogLevel.Information, Message = "Found the copy of {ResourceId} on {CseId} that a create without an answer made, {RemoteId}: adopted")]
        public static partial void Adopted(ILogger logger, string resourceId, string cseId, string remoteId);

        [LoggerMessage(EventId = 3738, Level = LogLevel.Information, Message = "Looking on {CseId} for the copy of {ResourceId} that a create without an answer may have made answered {Rsc} ({Reason}); trying again")]
        public static partial void CopyNotLookedFor(ILogger logger, string resourceId, string cseId, int rsc, string? reason);

        [LoggerMessage(EventId = 3739, Level = LogLevel.Warning, Message = "The reminder that resumes the announcement of {ResourceId} after a silo failure could not be registered")]
        public static partial void ReminderNotKept(ILogger logger, Exception exception, string resourceId);

        [LoggerMessage(EventId = 3740, Level = LogLevel.Information, Message = "The announcement reminder of {ResourceId} could not be removed; it runs a pass with nothing to do")]
        public static partial void ReminderNotDropped(ILogger logger, Exception exception, string resourceId);

        [LoggerMessage(EventId = 3725, Level = LogLevel.Warning, Message = "An announcement pass of {ResourceId} failed; trying again")]
        public static partial void PassFailed(ILogger logger, Exception exception, string resourceId);
    }
}
