using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Expiry and deletion: a resource past its expiration time is deleted on access; a delete removes the subtree,
/// tells the subscriptions and the parent (or the index shard holding the name); a changed expiration time is
/// published to where the parent keeps it.
/// </summary>
internal abstract partial class ResourceGrain
{
    public async ValueTask DeleteSubtree()
    {
        if (Exists)
        {
            await DeleteSubtreeCore();
        }
    }

    /// <summary>Deletes this resource and its subtree and tells the parent (or its index shard).</summary>
    protected async Task ExpireAsync()
    {
        LogExpired(Logger, ResourceId);
        await RemoveSelf();
    }

    /// <summary>Deletes this resource as a delete request would (events, subtree, parent), without a response.</summary>
    protected Task DeleteSelfAsync() => RemoveSelf();

    /// <summary>Tells the parent (or the index shard holding this resource's name) the resource's new expiration time.</summary>
    private async Task PublishExpiration(Dictionary<string, object?> attributes)
    {
        var reference = new ChildReference(ResourceId, attributes.ResourceName(), State.Type, attributes.ExpirationTime());
        if (State.IndexShard is { } shard)
        {
            await GrainFactory.GetGrainByKey<IChildIndexGrain>(shard).Claim(reference);
        }
        else if (GrainFactory.GetClusterResource(State.ParentId, Options.CseBaseId) is { } parent)
        {
            await parent.ChildChanged(reference);
        }
    }

    private async Task RemoveSelf()
    {
        await WillBeRemoved();
        var name = State.Attributes.TryGetValue(AttributeNames.ResourceName, out var rn) ? rn as string ?? "" : "";
        var parentId = State.ParentId;
        var shard = State.IndexShard;
        var type = State.Type;
        var attributes = CurrentAttributes();

        // Delete_of_Resource goes to this resource's own subscriptions, stored by each before they are deleted
        // with the subtree (which then sends their deletion notifications).
        // So does the DELETE operation, to the operation monitors (enc/om) that watch it.
        var deleted = SubscriptionMatcher.Matching(Links.Subscriptions.Values, NotificationEventType.DeleteOfResource, type, null);
        var monitoring = SubscriptionMatcher.Monitoring(Links.Subscriptions.Values, Operation.Delete, Events.Originator);
        if (deleted.Count + monitoring.Count > 0)
        {
            var accepts = new List<Task>(deleted.Count + monitoring.Count);
            if (deleted.Count > 0)
            {
                var raised = Events.NewEvent(NotificationEventType.DeleteOfResource, type, attributes, null);
                foreach (var subscription in deleted)
                {
                    accepts.Add(GrainFactory.GetGrain<ISubscriptionGrain>(subscription).Accept(raised).AsTask());
                }
            }

            if (monitoring.Count > 0)
            {
                var operation = Events.NewEvent(NotificationEventType.MonitoredOperation, type, attributes, null) with { Operation = Operation.Delete };
                foreach (var subscription in monitoring)
                {
                    accepts.Add(GrainFactory.GetGrain<ISubscriptionGrain>(subscription).Accept(operation).AsTask());
                }
            }

            await Task.WhenAll(accepts);
        }

        await DeleteSubtreeCore();

        // A parent that keeps its children's names in index shards (the CSEBase) only raises the child-deleted event:
        // it is told when its shard says it listens (has or may have subscriptions), exactly when it would raise one.
        var parentListens = shard is null || await GrainFactory.GetGrainByKey<IChildIndexGrain>(shard).Release(name, ResourceId);
        if (parentListens && GrainFactory.GetClusterResource(parentId, Options.CseBaseId) is { } parent)
        {
            // One-way: the parent drops the child (or, for the CSEBase, only its subscription) and raises the child-deleted event.
            await parent.ForgetChild(ResourceId, name, type, attributes);
        }
    }

    /// <summary>
    /// Takes the deleted resource <paramref name="resourceId"/> (this one, or a content instance this container
    /// held) out of the groups whose <c>mid</c> names it (their answer is not awaited).
    /// </summary>
    protected async Task LeaveGroups(string resourceId)
    {
        try
        {
            foreach (var group in await Group.GroupMemberships.ShardOf(GrainFactory, resourceId).Deleted(resourceId))
            {
                await GrainFactory.GetGrain<IGroupGrain>(group).MemberDeleted(resourceId);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The deletion stands; the groups keep naming the member, whose entry then answers 4004 in a fan-out.
            LogGroupsNotTold(Logger, exception, resourceId);
        }
    }

    private async Task DeleteSubtreeCore()
    {
        if (Links.Children.Count > 0)
        {
            var deletions = new List<Task>(Links.Children.Count);
            foreach (var child in Links.Children.Values)
            {
                if (GrainFactory.GetClusterResource(child.ResourceId, Options.CseBaseId) is { } grain)
                {
                    deletions.Add(grain.DeleteSubtree().AsTask());
                }
            }

            await Task.WhenAll(deletions);
        }

        TellAeContacts(State.Attributes, null);
        await TellGeoIndex(State.Attributes, null);
        await WillBeDeleted();
        await AnnounceAsync(ResourceId, State.Type, null, State.Attributes);
        var hadSubscriptions = Links.Subscriptions.Count > 0;
        await LinkStore.ClearAsync();
        await _store.ClearStateAsync();
        _store.State = new ResourceState();
        if (hadSubscriptions)
        {
            await Events.KeepReminder();
        }

        await LeaveGroups(ResourceId);

        DeactivateOnIdle();
    }
}
