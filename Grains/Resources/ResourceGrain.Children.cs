using Orleans.Runtime;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Children: the create of a child (type check, validation, a child held by its own grain and linked here),
/// name resolution, listing for result content, the discovery view, and a child's news (changed, gone).
/// </summary>
internal abstract partial class ResourceGrain
{
    public ValueTask<ChildReference?> ResolveChild(string name)
    {
        var now = Now();
        if (!IsLive(now))
        {
            return ValueTask.FromResult<ChildReference?>(null);
        }

        return FindChild(name, now);
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

    public async ValueTask ChildChanged(ChildReference child)
    {
        if (Exists && Links.Children.TryGetValue(child.Name, out var known) && known.ResourceId == child.ResourceId && known != child)
        {
            Links.Children[child.Name] = child;
            await WriteLinksAsync(child.ResourceId, child.Name);
        }
    }

    /// <summary>
    /// A child is gone: drops its link (and its subscription, if it was one) and raises the child-deleted event.
    /// Where names live in index shards (<see cref="IndexesChildren"/>) the child released its own name, and only
    /// the subscription and the event remain to be handled here.
    /// </summary>
    public async ValueTask ForgetChild(string childId, string childName, ResourceType childType, Dictionary<string, object?>? childAttributes)
    {
        if (!Exists)
        {
            return;
        }

        var linked = Links.Children.TryGetValue(childName, out var child) && child.ResourceId == childId;
        if (linked)
        {
            Links.Children.Remove(childName);
        }
        else if (!IndexesChildren || Links.Subscriptions.Count == 0)
        {
            return;
        }

        var wasSubscription = Links.Subscriptions.Remove(childId);
        var raised = EventsIfAny?.Raise(NotificationEventType.DeleteOfDirectChildResource, childType, childAttributes ?? new() { [AttributeNames.ResourceId] = childId, [AttributeNames.ResourceName] = childName, [AttributeNames.ResourceType] = (long)childType });
        if (linked || wasSubscription)
        {
            await WriteLinksAsync(childId, childName);
        }

        if (raised is not null)
        {
            await WriteStateAsync();
        }

        EventsIfAny?.Dispatch(raised);
        if (wasSubscription && Links.Subscriptions.Count == 0)
        {
            await Events.KeepReminder();
        }
    }

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

        if (Policy.Children.Contains(type) && ResourceTypeRegistry.Get(type).CreatedByCse)
        {
            return ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed,
                $"resource type {(int)type} ({ResourceTypeRegistry.ShortName(type)}) is created by the CSE only");
        }

        if (!Policy.Children.Contains(type) || !Policies.IsImplemented(type))
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
        var type = request.ResourceType!.Value;
        if (Policies.ForContent(type, request.ContentRoot) is not { } policy || request.ContentRoot != policy.RootKey)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest,
                $"content must be {Policies.RootKeysOf(type)} for ty={(int)type}, not {request.ContentRoot ?? "empty"}");
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

        if (policy.Type == ResourceType.Subscription
            && Subscription.SubscriptionPolicy.CheckForParent(accepted, Policy, LinkStore.Links.Subscriptions.Values) is { } unfit)
        {
            return ResourceResponse.Error(unfit);
        }

        return await AddChild(request, policy, accepted, now);
    }

    /// <summary>
    /// Initializes a new child held by its own grain. The new resource may read others with the originator's rights (a
    /// group validating its members, a subscription verifying its target), this parent among them: that call chain may
    /// come back into this turn (read-only calls) instead of deadlocking. A container's creation reads no other
    /// resource, and is made without: Orleans keeps a call chain's reentrancy tracker in the parent's activation for
    /// as long as it lives (about 250 B per device's AE; BENCHMARKS.md, "Memory per grain").
    /// </summary>
    private async ValueTask<ResourceResponse> InitializeChild(IClusterResourceGrain child, NewResource resource)
    {
        if (resource.Type == ResourceType.Container)
        {
            return await InitializeUnstored(child, resource);
        }

        using (RequestContext.AllowCallChainReentrancy())
        {
            return await InitializeUnstored(child, resource);
        }
    }

    /// <summary>Creates a child of a type held by its own grain (AE, container), keeping its name in <see cref="ResourceLinks.Children"/>.</summary>
    private async ValueTask<ResourceResponse> AddLinkedChild(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> accepted, string now)
    {
        var (repeated, unfinished) = await RepeatedChildCreate(request, policy, accepted);
        if (repeated is not null)
        {
            return repeated;
        }

        var name = unfinished?.Name
            ?? (accepted.TryGetValue(AttributeNames.ResourceName, out var rn) && rn is string given ? given : ResourceFactory.GenerateName(policy.ShortName));
        if (!ResourceIds.IsValidName(name))
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"'{name}' is not a valid resource name");
        }

        // An unfinished create (linked, its record never stored) holds its name and is carried out again under its ID.
        if (unfinished is null)
        {
            await RemoveGoneChild(name);
            if (IsNameTaken(name))
            {
                return ResourceResponse.Error(ResponseStatusCode.Conflict, $"a sibling named '{name}' exists");
            }

            if (Links.Children.Count >= Options.MaxChildren)
            {
                return ResourceResponse.Error(ResponseStatusCode.NotAcceptable, $"the parent already holds {Options.MaxChildren} children");
            }
        }

        var ri = unfinished?.ResourceId ?? ResourceIds.NewId(policy.Type);
        var error = ResourceFactory.Build(policy, accepted, ri, name, ResourceId, now, Expiration, MaxExpiration(),
            request.Originator, out var attributes);
        if (error is not null)
        {
            return ResourceResponse.Error(error);
        }

        var path = string.Concat(State.Path, "/", name);
        if (policy.Type is ResourceType.Subscription or ResourceType.Action && !Links.HasSubscriptions)
        {
            // Before anything is stored, so that a subscription never exists without the reminder behind its outbox.
            await Events.EnsureReminder();
        }

        var child = GrainFactory.GetClusterResource(ri, Options.CseBaseId)!;
        ResourceResponse created;

        // A container is linked while its record is written: one commit of a batching storage, not two in a row.
        var linking = LinksBesideRecord(policy.Type) ? LinkBesideRecord(request, policy.Type, ri, name, attributes) : null;

        try
        {
            created = await InitializeChild(child, new NewResource(policy.Type, attributes, path, ChildOwner(request.Originator), null,
                Originator: request.Originator));
        }
        catch when (linking is not null)
        {
            // Memory goes back as it was; a link stored meanwhile points to no record (as after a crash between).
            await Settled(linking);
            ForgetLink(ri, name);
            throw;
        }

        if (linking is not null && created.StatusCode != ResponseStatusCode.Created)
        {
            ForgetLink(ri, name);
            if (await Settled(linking))
            {
                await WriteLinksAsync(ri, name);
            }
        }

        if (created.StatusCode != ResponseStatusCode.Created)
        {
            return created;
        }

        // A type that completes its attributes when it stores them (a group's validated members) returns them.
        attributes = created.Content as Dictionary<string, object?> ?? attributes;

        Links.Children[name] = new ChildReference(ri, name, policy.Type, attributes.ExpirationTime());
        var raised = EventsIfAny?.Raise(NotificationEventType.CreateOfDirectChildResource, policy.Type, attributes);
        if (policy.Type == ResourceType.Subscription)
        {
            // After the event: a new subscription is not told of its own creation.
            Links.Subscriptions[ri] = Subscription.SubscriptionPolicy.Filter(ri, attributes, Options);
        }
        else if (policy.Type == ResourceType.Action && (attributes.GetValueOrDefault("sri") is not string subject || subject == ResourceId))
        {
            // An action's subject is its parent unless sri names another (ResourceGrain.Watchers.cs).
            Links.Subscriptions[ri] = ActionFilter(ri);
        }

        try
        {
            if (linking is not null)
            {
                await linking;
            }
            else
            {
                LinkStore.RecordCreate(request, ri, name);
                await WriteLinksAsync(ri, name);
            }

            if (raised is not null)
            {
                await WriteStateAsync();
            }
        }
        catch
        {
            LinkStore.ForgetCreate(ri);
            Links.Children.Remove(name);
            Links.Subscriptions.Remove(ri);
            await child.DeleteSubtree();
            throw;
        }

        _outbox?.Dispatch(raised);
        return CreatedResponse(request, policy, attributes, accepted, path);
    }

    /// <summary>Links a new child, with the record of its create, in a write started now (beside the child's own).</summary>
    private Task LinkBesideRecord(ResourceRequest request, ResourceType type, string ri, string name, Dictionary<string, object?> attributes)
    {
        Links.Children[name] = new ChildReference(ri, name, type, attributes.ExpirationTime());
        LinkStore.RecordCreate(request, ri, name);
        return WriteLinksAsync(ri, name);
    }

    /// <summary>Forgets, in memory, a child linked by <see cref="LinkBesideRecord"/> whose creation failed.</summary>
    private void ForgetLink(string ri, string name)
    {
        LinkStore.ForgetCreate(ri);
        Links.Children.Remove(name);
    }

    /// <summary>Whether a write completed; its failure is not the one reported.</summary>
    private static async Task<bool> Settled(Task write)
    {
        try
        {
            await write;
            return true;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>
    /// A child that is gone no longer holds its name: one that expired, or one deleted by a silo that died before
    /// this parent forgot it. Drop it (and delete what is left of its subtree) before the name is reused.
    /// </summary>
    private async ValueTask RemoveGoneChild(string name)
    {
        if (!Links.Children.TryGetValue(name, out var child) || GrainFactory.GetClusterResource(child.ResourceId, Options.CseBaseId) is not { } grain)
        {
            return;
        }

        // Only the child knows (the expiration time held here is a hint: the child may have been given a later one).
        if (await grain.IsLiveResource())
        {
            return;
        }

        Links.Children.Remove(name);
        Links.Subscriptions.Remove(child.ResourceId);
        await WriteLinksAsync(child.ResourceId, name);
        await grain.DeleteSubtree();
    }

    private async ValueTask<List<ChildEntry>> ListLinkedChildren(bool withAttributes, int max, string now, string originator)
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
        var grain = GrainFactory.GetClusterResource(child.ResourceId, Options.CseBaseId);
        if (grain is null)
        {
            return null;
        }

        if (!withAttributes)
        {
            // References only (rcn 5, 6): the same rule as for rcn 4 and 8, without loading the child (ACME does the same).
            return IsAdmin(originator) || await grain.Allows(originator, Operation.Retrieve) ? new ChildEntry(child, path, null) : null;
        }

        return await grain.AttributesFor(originator) is { } attributes ? new ChildEntry(child, path, attributes) : null;
    }
}
