using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// What every resource grain does the same way: liveness and expiry, the default access rule, create of a child
/// held by another grain, update, delete with its subtree, result content, discovery view and name resolution.
/// A type overrides the hooks where it differs (the CSEBase keeps its children in index shards, a container keeps
/// its instances itself). Expected failures are returned as responses; exceptions mean broken infrastructure.
/// </summary>
internal abstract partial class ResourceGrain : Grain, IResourceGrain, IRemindable
{
    /// <summary>
    /// Reminder a resource holds while it has subscriptions: it brings the resource back after a silo failure so
    /// that events stored in its outbox reach their subscriptions even if no request touches the resource again.
    /// </summary>
    private const string OutboxReminder = "outbox";

    private HashSet<string>? _outboxAtLastReminder;

    private readonly IPersistentState<ResourceState> _store;
    private StoredPages<ResourceLinks>? _linkPages;
    private ResourceLinks _links = new();

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

    /// <summary>Children and subscriptions (stored apart from <see cref="State"/>).</summary>
    protected ResourceLinks Links => _links;

    protected bool Exists => _store.RecordExists;

    protected string ResourceId => this.GetPrimaryKeyString();

    protected static string Now() => OneM2MTime.Format(DateTime.UtcNow);

    protected string MaxExpiration() => OneM2MTime.Format(DateTime.UtcNow + Options.MaxExpiration);

    protected string? Expiration => State.Attributes.TryGetValue("et", out var et) ? et as string : null;

    protected bool IsExpired(string now) => Expiration is { } et && string.CompareOrdinal(et, now) <= 0;

    protected bool IsLive(string now) => Exists && !IsExpired(now);

    /// <summary>False when the request reached this grain by a name that is not its resource's (a stale cached address).</summary>
    private bool IsAddressedByName(ResourceRequest request) =>
        request.ExpectedName is not { } name || (State.Attributes.TryGetValue("rn", out var rn) && name == rn as string);

    protected bool IsAdmin(string originator) => originator == Options.AdminOriginator;

    /// <summary>Stores the state; a type that keeps more than <see cref="ResourceState"/> stores that first.</summary>
    protected virtual Task WriteStateAsync() => _store.WriteStateAsync();

    /// <summary>Stores the page of the children and subscriptions that holds <paramref name="childId"/>.</summary>
    protected virtual async Task WriteLinksAsync(string childId)
    {
        var page = LinkPageOf(childId);
        var content = new ResourceLinks();
        foreach (var (name, child) in _links.Children)
        {
            if (LinkPageOf(child.ResourceId) == page)
            {
                content.Children[name] = child;
            }
        }

        foreach (var (id, filter) in _links.Subscriptions)
        {
            if (LinkPageOf(id) == page)
            {
                content.Subscriptions[id] = filter;
            }
        }

        content.Completed = ChildCreatesOnPage(page);

        var empty = content.Children.Count == 0 && content.Subscriptions.Count == 0;
        var pages = await LinkPages.WriteAsync(page, empty ? null : content, State.LinkPages);
        if (pages != State.LinkPages)
        {
            State.LinkPages = pages;
            await StoreStateAfterLinksAsync();
        }
    }

    /// <summary>Stores the state when the set of link pages changed (the CSEBase already holds its write lock here).</summary>
    protected virtual Task StoreStateAfterLinksAsync() => WriteStateAsync();

    private static int LinkPageOf(string childId) => (int)(Policies.Hash(childId) % StoredPages<ResourceLinks>.PageCount);

    private StoredPages<ResourceLinks> LinkPages => _linkPages ??=
        new(ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources), "links", "vi-links", ResourceId);

    /// <summary>Reads the pages of children and subscriptions this resource has stored.</summary>
    private async Task LoadLinks()
    {
        _links = new ResourceLinks();
        if (!Exists || State.LinkPages == 0)
        {
            return;
        }

        foreach (var (_, stored) in await LinkPages.LoadAsync(State.LinkPages))
        {
            foreach (var (name, child) in stored.Children)
            {
                _links.Children[name] = child;
            }

            foreach (var (id, filter) in stored.Subscriptions)
            {
                _links.Subscriptions[id] = filter;
            }

            LoadChildCreates(stored.Completed);
        }
    }

    // ---- IResourceGrain -------------------------------------------------------------------------------------

    public async ValueTask<ResourceResponse> Retrieve(ResourceRequest request, CancellationToken cancellationToken = default)
    {
        var now = Now();
        if (!IsLive(now) || !IsAddressedByName(request))
        {
            return ResourceResponse.Missing();
        }

        if (!Policies.IsValidResultContent(Operation.Retrieve, request.ResultContent))
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, "result content not valid for retrieve");
        }

        if (!await MayAccess(request.Originator, request))
        {
            return await Deny(request.Originator);
        }

        if (request.SubTarget is not null)
        {
            return RetrieveSubTarget(request, now);
        }

        var content = await BuildContent(request.ResultContent ?? ResultContent.Attributes, request, now);
        return new ResourceResponse(ResponseStatusCode.Ok, content);
    }

    public async ValueTask<ResourceResponse> Execute(ResourceRequest request, CancellationToken cancellationToken = default)
    {
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

        if (!await MayAccess(request.Originator, request))
        {
            return await Deny(request.Originator);
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

    public ValueTask<ChildReference?> ResolveChild(string name)
    {
        var now = Now();
        if (!IsLive(now))
        {
            return ValueTask.FromResult<ChildReference?>(null);
        }

        return ResolveChildCore(name, now);
    }

    public async ValueTask<DiscoveryView> Describe(FilterCriteria filter, string originator, string? continuation)
    {
        var now = Now();
        if (!IsLive(now))
        {
            return new DiscoveryView(false, "", false, [], [], null);
        }

        // Left out of the results unless discoverable, but walked on: a descendant may grant more (its own acpi).
        var discoverable = await MayDiscover(originator);
        var matches = discoverable && FilterEvaluator.Matches(filter, State.Type, CurrentAttributes());
        var view = await DescribeChildren(filter, matches, continuation, now);
        return discoverable ? view : view with { MatchingInstances = [] };
    }

    public virtual async ValueTask<ResourceResponse> Initialize(NewResource resource)
    {
        var now = Now();
        if (Exists && IsExpired(now))
        {
            await ExpireAsync();
        }

        if (Exists)
        {
            return resource.Type == ResourceType.AE
                ? ResourceResponse.Error(ResponseStatusCode.OriginatorHasAlreadyRegistered, "the AE-ID is already registered")
                : ResourceResponse.Error(ResponseStatusCode.Conflict, "the resource ID is already in use");
        }

        var name = (string)resource.Attributes["rn"]!;
        if (resource.ParentIndexShard is { } shard)
        {
            var child = new ChildReference(ResourceId, name, resource.Type, resource.Attributes["et"] as string);
            if (!await GrainFactory.GetGrain<IChildIndexGrain>(shard).Claim(child, resource.Create))
            {
                return ResourceResponse.Error(ResponseStatusCode.Conflict, $"a sibling named '{name}' exists");
            }
        }

        _store.State = new ResourceState
        {
            Type = resource.Type,
            Attributes = resource.Attributes,
            Path = resource.Path,
            Owner = resource.Owner,
            IndexShard = resource.ParentIndexShard,
            ParentId = (string)resource.Attributes["pi"]!,
        };
        try
        {
            await WriteStateAsync();
        }
        catch
        {
            _store.State = new ResourceState();
            if (resource.ParentIndexShard is { } claimed)
            {
                await GrainFactory.GetGrain<IChildIndexGrain>(claimed).Release(name, ResourceId);
            }

            throw;
        }

        OnInitialized();
        return new ResourceResponse(ResponseStatusCode.Created);
    }

    public async ValueTask DeleteSubtree()
    {
        if (Exists)
        {
            await DeleteSubtreeCore();
        }
    }

    public virtual async ValueTask ForgetChild(string childId, string childName, ResourceType childType, Dictionary<string, object?>? childAttributes)
    {
        if (Exists && Links.Children.TryGetValue(childName, out var child) && child.ResourceId == childId)
        {
            Links.Children.Remove(childName);
            var wasSubscription = Links.Subscriptions.Remove(childId);
            var raised = RaiseEvent(4, childType, childAttributes ?? new() { ["ri"] = childId, ["rn"] = childName, ["ty"] = (long)childType });
            await WriteLinksAsync(childId);
            if (raised is not null)
            {
                await WriteStateAsync();
            }

            Dispatch(raised);
            if (wasSubscription && Links.Subscriptions.Count == 0)
            {
                await KeepOutboxReminder();
            }
        }
    }

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
        // Dropped from memory only: the next write stores the shorter outbox. Should the silo die first, the
        // event is dispatched again and receivers see a duplicate with the same notification ID.
        State.Outbox.RemoveAll(e => e.EventId == eventId);
        return ValueTask.CompletedTask;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await LoadLinks();

        // Events stored but not known to have reached every subscription (the silo died): hand them over again.
        RedispatchOutbox(State.Outbox);
    }

    public virtual Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == OutboxReminder && Exists)
        {
            // Only events that were already waiting at the previous tick: younger ones are still on their way.
            var waiting = new HashSet<string>(State.Outbox.Select(e => e.EventId), StringComparer.Ordinal);
            if (_outboxAtLastReminder is { } previous)
            {
                RedispatchOutbox(State.Outbox.Where(e => previous.Contains(e.EventId)).ToList());
            }

            _outboxAtLastReminder = waiting;
        }

        return Task.CompletedTask;
    }

    private void RedispatchOutbox(IReadOnlyList<ResourceEvent> events)
    {
        foreach (var pending in events)
        {
            Dispatch(new RaisedEvent(pending, MatchingSubscriptions(pending.EventType, (int)pending.ResourceType, pending.ModifiedAttributes)));
        }
    }

    /// <summary>Holds the outbox reminder while the resource has subscriptions, and drops it with the last one.</summary>
    private async Task KeepOutboxReminder()
    {
        if (Links.Subscriptions.Count > 0)
        {
            await this.RegisterOrUpdateReminder(OutboxReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
        else if (await this.GetReminder(OutboxReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    // ---- events ---------------------------------------------------------------------------------------------

    /// <summary>An event stored in the outbox and the subscriptions it goes to.</summary>
    protected sealed record RaisedEvent(ResourceEvent Event, List<string> Subscriptions);

    /// <summary>
    /// Records an event for the subscriptions it concerns, in the outbox, to be stored by the write that follows;
    /// null when no subscription wants it. Call <see cref="Dispatch"/> after that write.
    /// </summary>
    protected RaisedEvent? RaiseEvent(int eventType, ResourceType type, Dictionary<string, object?> attributes,
        Dictionary<string, object?>? modified = null)
    {
        if (Links.Subscriptions.Count == 0)
        {
            return null;
        }

        var subscriptions = MatchingSubscriptions(eventType, (int)type, modified);
        if (subscriptions.Count == 0)
        {
            return null;
        }

        State.EventSequence++;
        var raised = new ResourceEvent(
            string.Concat(ResourceId, "-", State.EventSequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            eventType, type, attributes, modified);
        State.Outbox.Add(raised);
        return new RaisedEvent(raised, subscriptions);
    }

    /// <summary>Hands a stored event to the fan-out worker: one message, no waiting on subscriptions or receivers.</summary>
    protected void Dispatch(RaisedEvent? raised)
    {
        if (raised is not null && raised.Subscriptions.Count > 0)
        {
            _ = GrainFactory.GetGrain<IFanOutGrain>(ResourceId).Dispatch(ResourceId, raised.Event, raised.Subscriptions);
        }
    }

    private List<string> MatchingSubscriptions(int eventType, int childType, Dictionary<string, object?>? modified)
    {
        var matching = new List<string>();
        foreach (var filter in Links.Subscriptions.Values)
        {
            if (!filter.EventTypes.Contains(eventType))
            {
                continue;
            }

            if (eventType is 3 or 4 && filter.ChildTypes.Count > 0 && !filter.ChildTypes.Contains(childType))
            {
                continue;
            }

            if (eventType == 1 && filter.Attributes.Count > 0 && modified is not null && !filter.Attributes.Any(modified.ContainsKey))
            {
                continue;
            }

            matching.Add(filter.SubscriptionId);
        }

        return matching;
    }

    public async ValueTask ChildChanged(ChildReference child)
    {
        if (Exists && Links.Children.TryGetValue(child.Name, out var known) && known.ResourceId == child.ResourceId && known != child)
        {
            Links.Children[child.Name] = child;
            await WriteLinksAsync(child.ResourceId);
        }
    }

    // ---- hooks ----------------------------------------------------------------------------------------------

    /// <summary>The resource's attributes as sent on the wire.</summary>
    protected virtual Dictionary<string, object?> CurrentAttributes() => State.Attributes;

    protected virtual ResourceResponse RetrieveSubTarget(ResourceRequest request, string now) =>
        ResourceResponse.Missing();

    protected virtual ValueTask<ResourceResponse> DeleteSubTarget(ResourceRequest request, string now) =>
        ValueTask.FromResult(ResourceResponse.Missing());

    protected virtual void OnInitialized()
    {
    }

    /// <summary>Creates a child of a type held by its own grain (AE, container), keeping its name in <see cref="ResourceLinks.Children"/>.</summary>
    protected virtual async ValueTask<ResourceResponse> CreateChildCore(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> accepted, string now)
    {
        if (await RepeatedChildCreate(request, policy, accepted) is { } repeated)
        {
            return repeated;
        }

        var name = accepted.TryGetValue("rn", out var rn) && rn is string given ? given : ResourceFactory.GenerateName(policy.Type);
        if (!ResourceIds.IsValidName(name))
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"'{name}' is not a valid resource name");
        }

        await RemoveGoneChild(name);
        if (IsNameTaken(name))
        {
            return ResourceResponse.Error(ResponseStatusCode.Conflict, $"a sibling named '{name}' exists");
        }

        if (Links.Children.Count >= Options.MaxChildren)
        {
            return ResourceResponse.Error(ResponseStatusCode.NotAcceptable, $"the parent already holds {Options.MaxChildren} children");
        }

        var ri = ResourceIds.NewId(policy.Type);
        var error = ResourceFactory.Build(policy.Type, accepted, ri, name, ResourceId, now, Expiration, MaxExpiration(),
            request.Originator, out var attributes);
        if (error is not null)
        {
            return ResourceResponse.Error(error);
        }

        var path = string.Concat(State.Path, "/", name);
        if (policy.Type == ResourceType.Subscription && Links.Subscriptions.Count == 0)
        {
            // Before anything is stored, so that a subscription never exists without the reminder behind its outbox.
            await this.RegisterOrUpdateReminder(OutboxReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }

        var child = GrainFactory.GetResourceGrain(ri, Options.CseBaseId)!;
        var created = await child.Initialize(new NewResource(policy.Type, attributes, path, ChildOwner(request.Originator), null));
        if (created.StatusCode != ResponseStatusCode.Created)
        {
            return created;
        }

        Links.Children[name] = new ChildReference(ri, name, policy.Type, attributes["et"] as string);
        var raised = RaiseEvent(3, policy.Type, attributes);
        if (policy.Type == ResourceType.Subscription)
        {
            // After the event: a new subscription is not told of its own creation.
            Links.Subscriptions[ri] = Resources.Subscription.SubscriptionPolicy.Filter(ri, attributes);
        }

        RecordChildCreate(request, ri, name);
        try
        {
            await WriteLinksAsync(ri);
            if (raised is not null)
            {
                await WriteStateAsync();
            }
        }
        catch
        {
            ForgetChildCreate(ri);
            Links.Children.Remove(name);
            Links.Subscriptions.Remove(ri);
            await child.DeleteSubtree();
            throw;
        }

        Dispatch(raised);
        return CreatedResponse(request, policy, attributes, accepted, path);
    }

    /// <summary>
    /// A child that is gone no longer holds its name: one that expired, or one deleted by a silo that died before
    /// this parent forgot it. Drop it (and delete what is left of its subtree) before the name is reused.
    /// </summary>
    private async ValueTask RemoveGoneChild(string name)
    {
        if (!Links.Children.TryGetValue(name, out var child) || GrainFactory.GetResourceGrain(child.ResourceId, Options.CseBaseId) is not { } grain)
        {
            return;
        }

        // Only the child knows (the expiration time held here is a hint: the child may have been given a later one).
        var check = await grain.Retrieve(new ResourceRequest
        {
            Operation = Operation.Retrieve,
            Originator = Options.AdminOriginator,
            RequestIdentifier = "expiry-check",
        });
        if (!check.TargetMissing)
        {
            return;
        }

        Links.Children.Remove(name);
        Links.Subscriptions.Remove(child.ResourceId);
        await WriteLinksAsync(child.ResourceId);
        await grain.DeleteSubtree();
    }

    /// <summary>Whether a child (of any type) already has this name.</summary>
    protected virtual bool IsNameTaken(string name) => Links.Children.ContainsKey(name);

    /// <summary>Who owns a child created by <paramref name="originator"/> under this resource.</summary>
    protected virtual string ChildOwner(string originator) => State.Owner;

    /// <summary>
    /// Children for result content 4, 5, 6 and 8 (attributes loaded only when asked for), only those
    /// <paramref name="originator"/> may retrieve: a child it may not retrieve is left out, by name too.
    /// </summary>
    protected virtual async ValueTask<List<ChildEntry>> ListChildren(bool withAttributes, int max, string now, string originator)
    {
        var entries = new List<ChildEntry>();
        foreach (var child in Links.Children.Values)
        {
            if (entries.Count >= max)
            {
                break;
            }

            if (child.ExpirationTime is { } et && string.CompareOrdinal(et, now) <= 0)
            {
                continue;
            }

            if (await LoadChildEntry(child, withAttributes, originator) is { } entry)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>A child as <paramref name="originator"/> may see it, or null when it may not retrieve the child.</summary>
    protected async ValueTask<ChildEntry?> LoadChildEntry(ChildReference child, bool withAttributes, string originator)
    {
        var path = string.Concat(State.Path, "/", child.Name);
        var grain = GrainFactory.GetResourceGrain(child.ResourceId, Options.CseBaseId);
        if (grain is null)
        {
            return null;
        }

        if (!withAttributes)
        {
            // References only (rcn 5, 6): the same rule as for rcn 4 and 8, without loading the child (ACME does the same).
            return IsAdmin(originator) || await grain.Allows(originator, Operation.Retrieve) ? new ChildEntry(child, path, null) : null;
        }

        var response = await grain.Retrieve(new ResourceRequest
        {
            Operation = Operation.Retrieve,
            Originator = originator,
            RequestIdentifier = "internal",
        });
        var attributes = response.Content is Dictionary<string, object?> root && root.Count == 1
            ? root.Values.First() as Dictionary<string, object?>
            : null;
        return attributes is null ? null : new ChildEntry(child, path, attributes);
    }

    protected virtual ValueTask<DiscoveryView> DescribeChildren(FilterCriteria filter, bool matches, string? continuation, string now)
    {
        // Expired children are not filtered here: each answers for itself when visited.
        return ValueTask.FromResult(new DiscoveryView(true, State.Path, matches, [.. Links.Children.Values], [], null));
    }

    /// <summary>The child with this name; an expired one is still returned and answers "missing" itself.</summary>
    protected virtual ValueTask<ChildReference?> ResolveChildCore(string name, string now) =>
        ValueTask.FromResult(Links.Children.TryGetValue(name, out var child) ? child : null);

    /// <summary>Checks merged attributes before an update is stored; a response rejects the update.</summary>
    protected virtual ValueTask<ResourceResponse?> ValidateUpdate(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator) =>
        ValueTask.FromResult<ResourceResponse?>(null);

    /// <summary>Runs after an update is stored.</summary>
    protected virtual void OnUpdated(Dictionary<string, object?> accepted)
    {
    }

    /// <summary>Runs after an update's attributes are merged and before they are stored (a container evicts here).</summary>
    protected virtual void OnUpdating(Dictionary<string, object?> updated)
    {
    }

    /// <summary>Removes data the grain keeps besides its state (a container's instance segments).</summary>
    protected virtual Task DeleteOwnedData() => Task.CompletedTask;

    // ---- operations -----------------------------------------------------------------------------------------

    private static bool IsJudgedBeforeAccess(ResourceRequest request) =>
        request.SubTarget is not null || request.ResourceType is null or ResourceType.AE or ResourceType.Subscription or ResourceType.CSEBase;

    /// <summary>4108 (or 5001, or 4005 for a CSEBase) when the target cannot hold a child of the requested type; null when it can.</summary>
    private ResourceResponse? CheckChildType(ResourceRequest request)
    {
        if (request.SubTarget is not null)
        {
            return request.ResourceType == ResourceType.Subscription
                ? ResourceResponse.Error(ResponseStatusCode.TargetNotSubscribable, "the target cannot be subscribed to")
                : ResourceResponse.Error(ResponseStatusCode.InvalidChildResourceType, "the target cannot have children");
        }

        if (request.ResourceType is not { } type)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, "resource type (ty) is missing");
        }

        if (type == ResourceType.CSEBase)
        {
            return ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed, "a CSEBase cannot be created");
        }

        if (!Policy.Children.Contains(type) || Policies.For(type) is null)
        {
            return Policy.UnimplementedChildren.Contains(type)
                ? ResourceResponse.Error(ResponseStatusCode.NotImplemented, $"resource type {(int)type} is not supported yet")
                : type == ResourceType.Subscription
                ? ResourceResponse.Error(ResponseStatusCode.TargetNotSubscribable, $"{Policy.RootKey} cannot be subscribed to")
                : ResourceResponse.Error(ResponseStatusCode.InvalidChildResourceType,
                    $"resource type {(int)type} cannot be a child of {Policy.RootKey}");
        }

        return null;
    }

    private async ValueTask<ResourceResponse> CreateChild(ResourceRequest request, string now)
    {
        var policy = Policies.For(request.ResourceType!.Value)!;
        if (request.ContentRoot != policy.RootKey)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest,
                $"content must be {policy.RootKey} for ty={(int)policy.Type}, not {request.ContentRoot ?? "empty"}");
        }

        var error = AttributeValidator.Validate(policy, request.Content, new ValidationContext(Operation.Create, request.ReleaseVersion),
            out var accepted);
        if (error is not null)
        {
            return ResourceResponse.Error(error);
        }

        if (await CheckPolicyLinks(accepted, Operation.Create, policy.Type) is { } badLinks)
        {
            return badLinks;
        }

        return await CreateChildCore(request, policy, accepted, now);
    }

    private async ValueTask<ResourceResponse> Update(ResourceRequest request, string now)
    {
        if (Policy.Type == ResourceType.CSEBase)
        {
            return ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed, "the CSEBase cannot be updated");
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
            if (name == "et" && value is null)
            {
                updated["et"] = MaxExpiration();
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

        if (accepted.ContainsKey("et") && accepted["et"] is not null)
        {
            error = ResourceFactory.Expiration(accepted, now, null, MaxExpiration(), out var et);
            if (error is not null)
            {
                return ResourceResponse.Error(error);
            }

            updated["et"] = et;
        }

        updated["lt"] = now;
        if (updated.TryGetValue("st", out var st) && st is long tag)
        {
            updated["st"] = tag + 1;
        }

        OnUpdating(updated);
        if (await ValidateUpdate(updated, accepted, request.Originator) is { } rejected)
        {
            return rejected;
        }

        var previous = State.Attributes;
        State.Attributes = updated;
        var raised = RaiseEvent(1, Policy.Type, CurrentAttributes(), ModifiedByUpdate(updated, accepted));
        try
        {
            await WriteStateAsync();
        }
        catch
        {
            State.Attributes = previous;
            throw;
        }

        Dispatch(raised);
        OnUpdated(accepted);
        if (accepted.ContainsKey("et"))
        {
            await PublishExpiration(updated);
        }

        var current = CurrentAttributes();
        object? content = request.ResultContent switch
        {
            ResultContent.Nothing => null,
            ResultContent.ModifiedAttributes => Representation.Resource(Policy.RootKey, ModifiedByUpdate(current, accepted)),
            _ => Representation.Resource(Policy.RootKey, current),
        };
        return new ResourceResponse(ResponseStatusCode.Updated, content);
    }

    private async ValueTask<ResourceResponse> Delete(ResourceRequest request, string now)
    {
        if (Policy.Type == ResourceType.CSEBase)
        {
            return ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed, "the CSEBase cannot be deleted");
        }

        var rcn = request.ResultContent ?? ResultContent.Nothing;
        var content = rcn == ResultContent.Nothing ? null : await BuildContent(rcn, request, now);
        await RemoveSelf();
        return new ResourceResponse(ResponseStatusCode.Deleted, content);
    }

    /// <summary>Tells the parent (or the index shard holding this resource's name) the resource's new expiration time.</summary>
    private async Task PublishExpiration(Dictionary<string, object?> attributes)
    {
        var reference = new ChildReference(ResourceId, (string)attributes["rn"]!, State.Type, attributes["et"] as string);
        if (State.IndexShard is { } shard)
        {
            await GrainFactory.GetGrain<IChildIndexGrain>(shard).Claim(reference);
        }
        else if (GrainFactory.GetResourceGrain(State.ParentId, Options.CseBaseId) is { } parent)
        {
            await parent.ChildChanged(reference);
        }
    }

    /// <summary>Deletes this resource and its subtree and tells the parent (or its index shard).</summary>
    protected async Task ExpireAsync()
    {
        LogExpired(Logger, ResourceId);
        await RemoveSelf();
    }

    /// <summary>Registers the reminder behind the outbox; call before the first subscription is stored.</summary>
    protected Task EnsureOutboxReminder() =>
        this.RegisterOrUpdateReminder(OutboxReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    /// <summary>Drops the outbox reminder once the last subscription is gone.</summary>
    protected Task ReleaseOutboxReminderIfUnused() => Links.Subscriptions.Count == 0 ? KeepOutboxReminder() : Task.CompletedTask;

    /// <summary>Deletes this resource as a delete request would (events, subtree, parent), without a response.</summary>
    protected Task DeleteSelfAsync() => RemoveSelf();

    private async Task RemoveSelf()
    {
        var name = State.Attributes.TryGetValue("rn", out var rn) ? rn as string ?? "" : "";
        var parentId = State.ParentId;
        var shard = State.IndexShard;
        var type = State.Type;
        var attributes = CurrentAttributes();

        // Delete_of_Resource goes to this resource's own subscriptions, stored by each before they are deleted
        // with the subtree (which then sends their deletion notifications).
        var deleted = MatchingSubscriptions(2, (int)type, null);
        if (deleted.Count > 0)
        {
            State.EventSequence++;
            var raised = new ResourceEvent(string.Concat(ResourceId, "-", State.EventSequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                2, type, attributes, null);
            var accepts = new List<Task>(deleted.Count);
            foreach (var subscription in deleted)
            {
                accepts.Add(GrainFactory.GetGrain<ISubscriptionGrain>(subscription).Accept(raised).AsTask());
            }

            await Task.WhenAll(accepts);
        }

        await DeleteSubtreeCore();
        if (shard is not null)
        {
            await GrainFactory.GetGrain<IChildIndexGrain>(shard).Release(name, ResourceId);
        }

        if (GrainFactory.GetResourceGrain(parentId, Options.CseBaseId) is { } parent)
        {
            // One-way: the parent drops the child (or, for the CSEBase, only its subscription) and raises net 4.
            await parent.ForgetChild(ResourceId, name, type, attributes);
        }
    }

    private async Task DeleteSubtreeCore()
    {
        if (Links.Children.Count > 0)
        {
            var deletions = new List<Task>(Links.Children.Count);
            foreach (var child in Links.Children.Values)
            {
                if (GrainFactory.GetResourceGrain(child.ResourceId, Options.CseBaseId) is { } grain)
                {
                    deletions.Add(grain.DeleteSubtree().AsTask());
                }
            }

            await Task.WhenAll(deletions);
        }

        await DeleteOwnedData();
        var hadSubscriptions = Links.Subscriptions.Count > 0;
        await LinkPages.ClearAsync();
        _links = new ResourceLinks();
        await _store.ClearStateAsync();
        _store.State = new ResourceState();
        if (hadSubscriptions)
        {
            await KeepOutboxReminder();
        }

        DeactivateOnIdle();
    }

    private Dictionary<string, object?> ModifiedByUpdate(Dictionary<string, object?> current, Dictionary<string, object?> accepted)
    {
        var modified = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var name in accepted.Keys)
        {
            modified[name] = current.TryGetValue(name, out var value) ? value : null;
        }

        modified["lt"] = current["lt"];
        if (current.TryGetValue("st", out var st))
        {
            modified["st"] = st;
        }

        return modified;
    }

    /// <summary>Content for a retrieve or delete with result content <paramref name="rcn"/>.</summary>
    private async ValueTask<object?> BuildContent(ResultContent rcn, ResourceRequest request, string now)
    {
        var rootKey = Policy.RootKey;
        if (rcn == ResultContent.Attributes)
        {
            return Representation.Resource(rootKey, CurrentAttributes(), request.AttributeList);
        }

        var max = request.Filter?.Limit ?? Options.MaxDiscoveryResults;
        var withAttributes = rcn is ResultContent.AttributesAndChildResources or ResultContent.ChildResources;
        var children = await ListChildren(withAttributes, max, now, request.Originator);
        var unstructured = request.IdentifierForm == IdentifierForm.Unstructured;
        switch (rcn)
        {
            case ResultContent.AttributesAndChildResources:
            case ResultContent.ChildResources:
                var body = rcn == ResultContent.ChildResources
                    ? new Dictionary<string, object?>(StringComparer.Ordinal)
                    : new Dictionary<string, object?>(CurrentAttributes(), StringComparer.Ordinal);
                foreach (var child in children)
                {
                    if (child.Attributes is not null)
                    {
                        Representation.AddChild(body, ResourceTypeRegistry.RootKey(child.Reference.Type)!, child.Attributes);
                    }
                }

                return new Dictionary<string, object?>(1, StringComparer.Ordinal) { [rootKey] = body };
            case ResultContent.AttributesAndChildResourceReferences:
                var withReferences = new Dictionary<string, object?>(CurrentAttributes(), StringComparer.Ordinal)
                {
                    ["ch"] = References(children, unstructured),
                };
                return new Dictionary<string, object?>(1, StringComparer.Ordinal) { [rootKey] = withReferences };
            default:
                return Representation.ReferenceList(References(children, unstructured));
        }
    }

    private static List<object?> References(List<ChildEntry> children, bool unstructured)
    {
        var references = new List<object?>(children.Count);
        foreach (var child in children)
        {
            references.Add(Representation.ChildReference(child.Reference.Name, child.Reference.Type,
                unstructured ? child.Reference.ResourceId : child.Path));
        }

        return references;
    }

    /// <summary>The response to a successful create, shaped by the request's result content.</summary>
    protected static ResourceResponse CreatedResponse(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> attributes, Dictionary<string, object?> accepted, string path)
    {
        var address = request.IdentifierForm == IdentifierForm.Unstructured ? (string)attributes["ri"]! : path;
        object? content = request.ResultContent switch
        {
            ResultContent.Nothing => null,
            ResultContent.HierarchicalAddress => Representation.Uri(address),
            ResultContent.HierarchicalAddressAndAttributes => Representation.ResourceAndUri(policy.RootKey, attributes, address),
            ResultContent.ModifiedAttributes => Representation.Resource(policy.RootKey, Representation.Modified(attributes, accepted)),
            _ => Representation.Resource(policy.RootKey, attributes),
        };
        return new ResourceResponse(ResponseStatusCode.Created, content, Location: address);
    }

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
}

/// <summary>A child listed for result content: its reference, structured address and, when loaded, attributes.</summary>
internal sealed record ChildEntry(ChildReference Reference, string Path, Dictionary<string, object?>? Attributes);
