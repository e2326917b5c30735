using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Index;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// What every resource grain does the same way: the request operations (retrieve, create of a child, update,
/// delete) and the cluster-internal calls, over collaborators with one job each: the <see cref="LinkStore"/>
/// (children and subscriptions), the <see cref="Outbox"/> (events and their reminder), the
/// <see cref="ResultContentBuilder"/>; and partial files for access, children, deletion and expiry, idempotency.
/// A type differs through the lifecycle hooks (ResourceGrain.Hooks.cs). Expected failures are returned as
/// responses; exceptions mean broken infrastructure.
/// </summary>
internal abstract partial class ResourceGrain : Grain, IClusterResourceGrain, IRemindable, Outbox.IOwner
{
    private readonly IPersistentState<ResourceState> _store;

    // Created when first needed: every active resource grain holds these fields, and most resources have no
    // subscription, no event and no child (BENCHMARKS.md, "Memory per grain").
    private string? _resourceId;
    private LinkStore? _linkStore;
    private Outbox? _outbox;
    private string? _originator;
    private CseClock? _clock;

    protected ResourceGrain(IPersistentState<ResourceState> store, IOptions<CseOptions> options, ILogger logger)
    {
        _store = store;
        Options = options.Value;
        Logger = logger;
    }

    protected CseOptions Options { get; }

    protected ILogger Logger { get; }

    protected abstract ResourcePolicy Policy { get; }

    protected ResourceState State => _store.State;

    /// <summary>The state only this type has (<see cref="ResourceState.Specific"/>), created empty on first use.</summary>
    protected T Specific<T>()
        where T : TypeState, new() => State.Specific switch
        {
            T specific => specific,
            null => (T)(State.Specific = new T()),
            var other => throw new InvalidOperationException($"resource {ResourceId} holds {other.GetType().Name}, not {typeof(T).Name}"),
        };

    /// <summary>Children and subscriptions (stored apart from <see cref="State"/>).</summary>
    protected ResourceLinks Links => LinkStore.Links;

    /// <summary>The resource's events waiting for its subscriptions (created when first used: most resources have none).</summary>
    protected Outbox Events => _outbox ??= new Outbox(this, ResourceId) { Originator = _originator };

    /// <summary>The outbox when there is one or a subscription it could serve; null (no outbox or link store created) when no event can be raised.</summary>
    protected Outbox? EventsIfAny => _outbox ?? (HasSubscriptions ? Events : null);

    /// <summary>Whether the resource has a subscription, without creating the link store: a resource none was read or added for has none.</summary>
    private bool HasSubscriptions => _linkStore is { } store && store.Links.HasSubscriptions;

    IGrainFactory Outbox.IOwner.Grains => GrainFactory;

    ResourceState Outbox.IOwner.StoredState => _store.State;

    ResourceLinks Outbox.IOwner.CurrentLinks => LinkStore.Links;

    string Outbox.IOwner.Now() => Now();

    Dictionary<string, object?> Outbox.IOwner.RepresentedAttributes() => CurrentAttributes();

    private LinkStore LinkStore => _linkStore ??= new LinkStore(ServiceProvider, ResourceId, Options);

    protected bool Exists => _store.RecordExists;

    /// <summary>The resource's ID (its grain's key), one string for the activation's life: its attributes, links and outbox share it.</summary>
    protected string ResourceId => _resourceId ??= this.GetPrimaryKeyString();

    /// <summary>The CSE's clock (<see cref="CseClock"/>): the time every oneM2M timestamp and expiry check uses.</summary>
    protected DateTime UtcNow => (_clock ??= ServiceProvider.GetService<CseClock>() ?? CseClock.System).UtcNow;

    protected string Now() => OneM2MTime.Format(UtcNow);

    protected string MaxExpiration() => OneM2MTime.Format(UtcNow + Options.MaxExpiration);

    protected string? Expiration => State.Attributes.TryGetValue(AttributeNames.ExpirationTime, out var et) ? et as string : null;

    protected bool IsExpired(string now) => Expiration is { } et && string.CompareOrdinal(et, now) <= 0;

    protected bool IsLive(string now) => Exists && !IsExpired(now);

    /// <summary>The live resource's points of access (<c>poa</c> of an AE or a remoteCSE); none when it has none or is gone.</summary>
    protected IReadOnlyList<string> LivePointsOfAccess() =>
        IsLive(Now()) && State.Attributes.TryGetValue("poa", out var poa) && poa is List<object?> addresses
            ? addresses.OfType<string>().ToList()
            : [];

    /// <summary>False when the request reached this grain by a name that is not its resource's (a stale cached address).</summary>
    protected bool IsAddressedByName(ResourceRequest request) =>
        request.ExpectedName is not { } name || (State.Attributes.TryGetValue(AttributeNames.ResourceName, out var rn) && name == rn as string);

    protected bool IsAdmin(string originator) => originator == Options.AdminOriginator;

    // ---- persistence ----------------------------------------------------------------------------------------

    /// <summary>Stores the state (serialised: a reentrant type's writes of one record must not overlap).</summary>
    protected Task WriteStateAsync() => StoreLockedAsync(apart: false);

    /// <summary>Stores only what the type keeps apart from the state (<see cref="StoreApartAsync"/>), under the same lock.</summary>
    protected Task WriteApartAsync() => StoreLockedAsync(apart: true);

    private async Task StoreLockedAsync(bool apart)
    {
        await EnterWriteAsync();
        try
        {
            await (apart ? StoreApartAsync() : StoreAsync());
        }
        finally
        {
            ExitWrite();
        }
    }

    /// <summary>
    /// Replaces the attributes outside a request (a link another resource keeps here changed) and stores them; if
    /// storing fails, memory is put back as stored.
    /// </summary>
    protected async Task ReplaceAttributesAsync(Dictionary<string, object?> attributes)
    {
        var previous = State.Attributes;
        State.Attributes = attributes;
        try
        {
            await WriteStateAsync();
        }
        catch
        {
            State.Attributes = previous;
            throw;
        }
    }

    /// <summary>
    /// Stores the page of the children and subscriptions that holds <paramref name="childId"/> (a child named
    /// <paramref name="childName"/>, when known), and the state when the set of pages changed.
    /// </summary>
    protected async Task WriteLinksAsync(string childId, string? childName = null)
    {
        await EnterWriteAsync();
        try
        {
            var pages = await LinkStore.WriteAsync(childId, State.LinkPages, childName);
            if (pages != State.LinkPages)
            {
                State.LinkPages = pages;
                await StoreAsync();
            }
        }
        finally
        {
            ExitWrite();
        }
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken) => LoadStoredAsync();

    /// <summary>What an activation does with the record it read: on activation, and when a record turns out to be stored after all.</summary>
    private async Task LoadStoredAsync()
    {
        if (Exists && State.HasLegacyFields)
        {
            // Stored before the per-type records: move the type's fields into its record; the next write stores it.
            State.Specific ??= MoveLegacyFields(State);
            State.ClearLegacyFields();
        }

        if (Exists)
        {
            // Read from storage with a string per attribute name and a box per number: held while active, so shared.
            CompactState(State);
        }

        // A resource without stored links (a device's container) gets its link store when it first needs one.
        if (_linkStore is not null || (Exists && State.LinkPages != 0))
        {
            await LinkStore.LoadAsync(Exists, State.LinkPages);
        }

        // Events stored but not known to have reached every subscription (the silo died): hand them over again.
        if (State.Outbox is { Count: > 0 })
        {
            Events.RedispatchAll();
        }

        // A located resource confirms its index entry (one-way, unchanged entries cost no write): this heals an entry
        // lost with a silo and enters resources located before the index existed.
        if (Exists && GeoIndexEntryChanged(null, State.Attributes, out var entry) && entry is not null)
        {
            // Not awaited: the activation does not wait on the index.
            _ = GeoIndex.For(GrainFactory, ResourceId).Locate(ResourceId, entry);
        }
    }

    /// <summary>
    /// The state's attributes without the copies their sources leave (<see cref="CompactAttributes"/>), and its owner
    /// and parent as the attributes' strings (an AE owns itself; a container's owner is its parent AE): one string per
    /// value for as long as the grain is active.
    /// </summary>
    private void CompactState(ResourceState state)
    {
        var id = ResourceId;
        var attributes = state.Attributes = CompactAttributes.Of(state.Attributes, id);
        state.ParentId = CompactAttributes.SameString(state.ParentId, attributes, id);
        state.Owner = CompactAttributes.SameString(state.Owner, attributes, id);
    }

    public virtual Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == Outbox.ReminderName && Exists)
        {
            Events.OnReminder();
        }

        return Task.CompletedTask;
    }

    // ---- IResourceGrain, IClusterResourceGrain -------------------------------------------------------------------------------------

    public async ValueTask<ResourceResponse> Retrieve(ResourceRequest request, CancellationToken cancellationToken = default)
    {
        ObserveRequestOrigin(request);
        var now = Now();
        if (!IsLive(now) || !IsAddressedByName(request))
        {
            return ResourceResponse.Missing();
        }

        if (!Policies.IsValidResultContent(Operation.Retrieve, request.ResultContent))
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, "result content not valid for retrieve");
        }

        if (!await MayAccess(request.Originator, request) && !await IsDynamicallyGranted(request))
        {
            return WithConsultation(await Deny(request.Originator), request);
        }

        if (request.SubTarget is not null)
        {
            return await RetrieveSubTarget(request, now);
        }

        if (Policy.CheckAttributeList(request.AttributeList) is { } unknownAttribute)
        {
            return ResourceResponse.Error(unknownAttribute);
        }

        var content = await BuildContent(request.ResultContent ?? ResultContent.Attributes, request, now);
        EventsIfAny?.MonitorRetrieve(Policy.Type, CurrentAttributes(), request.Originator);
        return new ResourceResponse(ResponseStatusCode.Ok, content);
    }

    public async ValueTask<ResourceResponse> Execute(ResourceRequest request, CancellationToken cancellationToken = default)
    {
        ObserveRequestOrigin(request);
        _originator = request.Originator;
        _outbox?.Originator = request.Originator;
        var now = Now();
        if (!Exists || !IsAddressedByName(request))
        {
            return ResourceResponse.Missing();
        }

        if (IsExpired(now))
        {
            await ExpireAsync();
            return ResourceResponse.Missing();
        }

        if (!Policies.IsValidResultContent(request.Operation, request.ResultContent))
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest,
                $"result content {(int?)request.ResultContent} is not valid for this operation");
        }

        // An AE registering anywhere but the CSEBase is 4108 and a subscription to what cannot be subscribed to 5203,
        // whoever asks (TS-0004 7.4.5.2.1, 7.4.8.2.1); any other child type is judged after access, so a forbidden
        // create is 4103 whatever its type (as ACME does).
        var invalid = request.Operation == Operation.Create ? CheckChildType(request) : null;
        if (invalid is not null && IsJudgedBeforeAccess(request))
        {
            return invalid;
        }

        if (!await MayAccess(request.Originator, request) && !await IsDynamicallyGranted(request))
        {
            return WithConsultation(await Deny(request.Originator), request);
        }

        if (invalid is not null)
        {
            return invalid;
        }

        try
        {
            return request.Operation switch
            {
                Operation.Create => await CreateChild(request, now),
                Operation.Update when request.SubTarget is null => await Update(request, now),
                Operation.Update => ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed, "this resource cannot be updated"),
                Operation.Delete when request.SubTarget is null => await Delete(request, now),
                Operation.Delete => await DeleteSubTarget(request, now),
                _ => ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed, "the target does not accept this operation"),
            };
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Memory may now differ from storage: drop the activation so the next request reloads what was stored.
            LogWriteFailed(Logger, exception, ResourceId);
            DeactivateOnIdle();
            throw;
        }
    }

    public ValueTask<ResourceResponse> Initialize(NewResource resource)
    {
        // The mark that let this activation skip its read (UnstoredRecord) goes no further: a re-read must read.
        UnstoredRecord.Unmark();
        return InitializeAsync(resource, reread: false);
    }

    private protected async ValueTask<ResourceResponse> InitializeAsync(NewResource resource, bool reread)
    {
        ParentListens = true;
        if (await WillBeCreated(resource) is { } refused)
        {
            return refused;
        }

        var now = Now();
        if (Exists && IsExpired(now))
        {
            await ExpireAsync();
        }

        if (Exists)
        {
            if (resource.Type == ResourceType.AE && await CompleteRegistration(resource) is { } completed)
            {
                return completed;
            }

            return resource.Type == ResourceType.AE
                ? ResourceResponse.Error(ResponseStatusCode.OriginatorHasAlreadyRegistered, "the AE-ID is already registered")
                : ResourceResponse.Error(ResponseStatusCode.Conflict, "the resource ID is already in use");
        }

        var name = resource.Attributes.ResourceName();
        var shard = resource.ParentIndexShard is { } key ? GrainFactory.GetGrainByKey<IChildIndexGrain>(key) : null;
        var child = new ChildReference(ResourceId, name, resource.Type, resource.Attributes.ExpirationTime());

        // An AE's name is claimed while its record is written, so that the two writes share a commit of a batching
        // storage (PostgreSQL): one wait for a registration, not two. Its record may then be stored without the name
        // (the silo died between): a later registration of the AE-ID completes it (CompleteRegistration). The AE may
        // also be stored already where this activation did not read (UnstoredRecord): its claim then leaves a name
        // it holds alone, and is undone if it took one. Any other child claims its name first, so that a child is
        // never stored without it.
        Task<NewNameClaim>? claim = null;
        if (shard is not null && resource.Type == ResourceType.AE)
        {
            claim = shard.ClaimNew(child, resource.Create).AsTask();
        }
        else if (shard is not null && !await shard.Claim(child, resource.Create))
        {
            return ResourceResponse.Error(ResponseStatusCode.Conflict, $"a sibling named '{name}' exists");
        }

        _store.State = new ResourceState
        {
            Type = resource.Type,
            Attributes = resource.Attributes,
            Path = resource.Path,
            Owner = resource.Owner,
            IndexShard = resource.ParentIndexShard,
            ParentId = resource.Attributes.ParentId(),
        };
        CompactState(_store.State);
        try
        {
            await WriteStateAsync();
        }
        catch (Exception exception)
        {
            _store.State = new ResourceState();
            if (shard is not null)
            {
                await UndoClaim(shard, child, resource.Create, claim);
            }

            if (exception is InconsistentStateException && !reread)
            {
                // A record is stored after all (this activation assumed none): go on from what is stored.
                return await ReloadAndInitialize(resource);
            }

            throw;
        }

        if (shard is not null && claim is not null && !await ClaimedWithRecord(shard, child, resource.Create, claim))
        {
            return ResourceResponse.Error(ResponseStatusCode.Conflict, $"a sibling named '{name}' exists");
        }

        await Created(resource);
        TellAeContacts(null, resource.Attributes);
        await TellGeoIndex(null, resource.Attributes);
        await AnnounceAsync(ResourceId, resource.Type, resource.Attributes);

        // What was stored, as WillBeCreated may have completed it (a group's validated members): the parent answers with it.
        return new ResourceResponse(ResponseStatusCode.Created, resource.Attributes);
    }

    public ValueTask<bool> IsLiveResource() => ValueTask.FromResult(IsLive(Now()));

    public async ValueTask SubscriptionChanged(SubscriptionFilter filter)
    {
        if (Exists && Links.Subscriptions.ContainsKey(filter.SubscriptionId) && Links.Subscriptions[filter.SubscriptionId] != filter)
        {
            Links.Subscriptions[filter.SubscriptionId] = filter;
            await WriteLinksAsync(filter.SubscriptionId);
        }
    }

    public ValueTask EventDispatched(string eventId)
    {
        // Should the silo die before the next write, the event is dispatched again and receivers see a duplicate
        // with the same notification ID.
        Events.Dispatched(eventId);
        return ValueTask.CompletedTask;
    }

    // ---- operations -----------------------------------------------------------------------------------------

    private async ValueTask<ResourceResponse> Update(ResourceRequest request, string now)
    {
        if (UpdateRefused() is { } refused)
        {
            return ResourceResponse.Error(refused);
        }

        if (request.ContentRoot != Policy.RootKey)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest,
                $"content must be {Policy.RootKey}, not {request.ContentRoot ?? "empty"}");
        }

        var error = AttributeValidator.Validate(Policy, request.Content, new ValidationContext(Operation.Update, request.ReleaseVersion),
            out var accepted);
        if (error is not null)
        {
            return ResourceResponse.Error(error);
        }

        if (await CheckPolicyLinks(accepted, Operation.Update, Policy.Type) is { } badLinks)
        {
            return badLinks;
        }

        var updated = new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal);
        foreach (var (name, value) in accepted)
        {
            if (name == AttributeNames.ExpirationTime && value is null)
            {
                updated[AttributeNames.ExpirationTime] = MaxExpiration();
            }
            else if (value is null)
            {
                updated.Remove(name);
            }
            else
            {
                updated[name] = value;
            }
        }

        if (accepted.ContainsKey(AttributeNames.ExpirationTime) && accepted[AttributeNames.ExpirationTime] is not null)
        {
            error = ResourceFactory.Expiration(accepted, now, null, MaxExpiration(), out var et);
            if (error is not null)
            {
                return ResourceResponse.Error(error);
            }

            updated[AttributeNames.ExpirationTime] = et;
        }

        if (AwaitingApproval(request, accepted) is { } awaiting)
        {
            return awaiting;
        }

        updated[AttributeNames.LastModifiedTime] = now;
        if (updated.TryGetValue(AttributeNames.StateTag, out var st) && st is long tag)
        {
            updated[AttributeNames.StateTag] = tag + 1;
        }

        if (await WillBeUpdated(updated, accepted, request.Originator) is { } rejected)
        {
            return rejected;
        }

        var previous = State.Attributes;
        State.Attributes = updated;
        var raised = EventsIfAny?.Raise(NotificationEventType.UpdateOfResource, Policy.Type, CurrentAttributes(), ResultContentBuilder.ModifiedByUpdate(updated, accepted));
        try
        {
            await WriteStateAsync();
        }
        catch
        {
            State.Attributes = previous;
            throw;
        }

        EventsIfAny?.Dispatch(raised);
        Updated(accepted);
        TellAeContacts(previous, updated);
        await TellGeoIndex(previous, updated);
        await AnnounceAsync(ResourceId, Policy.Type, updated, previous, request.Originator, accepted.Keys);
        await SyncOriginalAsync(accepted, request.Originator);
        if (accepted.ContainsKey(AttributeNames.ExpirationTime))
        {
            await PublishExpiration(updated);
        }

        var content = ResultContentBuilder.Updated(request.ResultContent, Policy.RootKey, CurrentAttributes(), accepted);
        return new ResourceResponse(ResponseStatusCode.Updated, content);
    }

    private async ValueTask<ResourceResponse> Delete(ResourceRequest request, string now)
    {
        if (Policy.Type == ResourceType.CSEBase)
        {
            return ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed, "the CSEBase cannot be deleted");
        }

        if (DeletionRefused() is { } refused)
        {
            return ResourceResponse.Error(refused);
        }

        var rcn = request.ResultContent ?? ResultContent.Nothing;
        var content = rcn == ResultContent.Nothing ? null : await BuildContent(rcn, request, now);
        await RemoveSelf();
        return new ResourceResponse(ResponseStatusCode.Deleted, content);
    }

    /// <summary>Content for a retrieve or delete with result content <paramref name="rcn"/>.</summary>
    private async ValueTask<object?> BuildContent(ResultContent rcn, ResourceRequest request, string now)
    {
        var children = ResultContentBuilder.ListsChildren(rcn)
            ? await ListChildren(ResultContentBuilder.WithChildAttributes(rcn), request.Filter?.Limit ?? Options.MaxDiscoveryResults, now, request.Originator)
            : null;
        return ResultContentBuilder.Build(rcn, Policy.RootKey, CurrentAttributes(), request, children);
    }

    /// <summary>The response to a successful create, shaped by the request's result content.</summary>
    protected static ResourceResponse CreatedResponse(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> attributes, Dictionary<string, object?> accepted, string path) =>
        ResultContentBuilder.Created(request, policy, attributes, accepted, path);

    /// <summary>The answer to a request the access check refused (only the refusal path asks whether the originator is registered).</summary>
    private async ValueTask<ResourceResponse> Deny(string originator)
    {
        if (Options.UnregisteredOriginatorNotAuthenticated && ResourceIds.Classify(originator, Options.CseBaseId) == ResourceType.AE
            && originator != ResourceId && !await GrainFactory.GetGrain<IAeGrain>(originator).IsRegistered())
        {
            return ResourceResponse.Error(ResponseStatusCode.OriginatorNotAuthenticated, $"originator '{originator}' is not registered");
        }

        return ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege,
            string.IsNullOrEmpty(originator) ? "no originator given" : $"originator '{originator}' has no privilege");
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Storing resource {ResourceId} failed; the activation is dropped")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string resourceId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Resource {ResourceId} expired and was deleted")]
    private static partial void LogExpired(ILogger logger, string resourceId);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Deleted resource {ResourceId} could not be taken out of its groups' member lists")]
    private static partial void LogGroupsNotTold(ILogger logger, Exception exception, string resourceId);
}
