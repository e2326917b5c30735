using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.ContentInstance;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Resources.Container;

/// <summary>
/// A container (ty 3) together with all its content instances, <c>la</c> and <c>ol</c>.
/// Instances are stored in segments of <see cref="SegmentSize"/> by sequence number: the open segment travels
/// in the container's own state, sealed segments are records of their own. A new instance therefore rewrites one
/// small state record, however many instances the container holds; once in a segment's length it also stores the
/// segment it sealed, and clears the segment that <c>mni</c>/<c>mbs</c> eviction emptied (an instance evicted from a
/// sealed segment is listed in the state until then: <see cref="InstanceIndex"/>). In memory the grain keeps every
/// live instance, loaded on activation.
/// </summary>
[DevicePlacement]
internal sealed partial class ContainerGrain : ResourceGrain, IContainerGrain
{
    /// <summary>Instances per stored segment: small enough that rewriting one is cheap, large enough that activation reads few records.</summary>
    internal const int SegmentSize = 16;

    private readonly IGrainStorage _storage;
    private readonly InstanceIndex _instances;
    private StoredPages<InstanceSegment>? _segments;

    // The last state write of a retrieve that counted down an instance's dcnt (see CountRetrieval).
    private Task _retrievalWrite = Task.CompletedTask;
    private IGrainTimer? _purgeTimer;

    /// <summary>The segment the last instance sealed, to be stored before the state that no longer holds it in its tail.</summary>
    private long? _sealed;
    private string? _purgeDue;

    /// <summary>Groups named more instances as members since the state was last stored.</summary>
    private bool _groupedChanged;

    public ContainerGrain(
        [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
        IOptions<CseOptions> options,
        ILogger<ContainerGrain> logger,
        IServiceProvider services)
        : base(store, options, logger)
    {
        _storage = services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);
        _instances = new InstanceIndex(() => OpenSegment);
    }

    protected override ResourcePolicy Policy => ContainerPolicy.Rules;

    /// <summary>Where the instances stand (the container's own part of its state record).</summary>
    private ContainerLog Log => Specific<ContainerLog>();

    /// <summary>The sealed segments, each a page of its own: state name <c>instances</c>, grain id <c>vi-instances/{ri}/{segment}</c>.</summary>
    private StoredPages<InstanceSegment> Segments => _segments ??= new StoredPages<InstanceSegment>(_storage, "instances", "vi-instances", ResourceId);

    private long OpenSegment => Log.NextSequence / SegmentSize;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (!Exists)
        {
            return;
        }

        _instances.Removed.UnionWith(Log.RemovedInstances);
        _instances.Grouped.UnionWith(Log.GroupedInstances);
        for (var segment = Log.LowestSegment; segment < OpenSegment; segment++)
        {
            if (await Segments.ReadAsync(segment) is { } stored)
            {
                foreach (var record in stored.Instances)
                {
                    if (_instances.Removed.Contains(record.Sequence))
                    {
                        // Removed by a stored state; the segment's record is rewritten once it is emptied (InstanceIndex).
                        continue;
                    }

                    _instances.Add(record);
                }
            }
        }

        foreach (var record in Log.Tail)
        {
            _instances.Add(record);
        }

        SchedulePurge();
    }

    /// <summary>
    /// Arms a timer for the earliest instance expiry, so that expired instances leave storage and the counters
    /// while the container is active even if nobody writes to it (TS-0004: an expired resource is deleted).
    /// </summary>
    private void SchedulePurge()
    {
        if (!_instances.TryPeekEarliestExpiry(out var earliest) || earliest == _purgeDue)
        {
            return;
        }

        OneM2MTime.TryParse(earliest, out var due);
        var delay = due - DateTime.UtcNow;
        if (delay > TimeSpan.FromHours(1))
        {
            return; // the grain will long have been deactivated; the next activation arms it again
        }

        _purgeTimer?.Dispose();
        _purgeDue = earliest;
        _purgeTimer = this.RegisterGrainTimer(PurgeOnTimer, new GrainTimerCreationOptions
        {
            DueTime = delay < TimeSpan.Zero ? TimeSpan.Zero : delay + TimeSpan.FromMilliseconds(1),
            Period = Timeout.InfiniteTimeSpan,
        });
    }

    private async Task PurgeOnTimer(CancellationToken cancellationToken)
    {
        _purgeDue = null;
        if (Exists && PurgeExpired(Now()))
        {
            await WriteStateAsync();
        }

        SchedulePurge();
    }

    // ---- content instances ----------------------------------------------------------------------------------

    protected override ValueTask<ResourceResponse> AddChild(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> accepted, string now) =>
        policy.Type == ResourceType.ContentInstance
            ? CreateInstance(request, accepted, now)
            : base.AddChild(request, policy, accepted, now);

    private async ValueTask<ResourceResponse> CreateInstance(ResourceRequest request, Dictionary<string, object?> accepted, string now)
    {
        PurgeExpired(now);
        if (RequestLedger.Find(Log.Completed, request, Options) is { } done)
        {
            var original = ResourceIds.TrySplitInstanceId(done.ResourceId, out _, out var doneSequence) ? _instances.Lookup(doneSequence) : null;
            return ReplayCreate(request, ContentInstancePolicy.Rules, done, original is null || IsExpired(original, now) ? null : original.Attributes, accepted);
        }

        string name;
        if (accepted.TryGetValue(AttributeNames.ResourceName, out var rn) && rn is string given)
        {
            if (!ResourceIds.IsValidName(given))
            {
                return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"'{given}' is not a valid resource name");
            }

            if (IsNameTaken(given))
            {
                return ResourceResponse.Error(ResponseStatusCode.Conflict, $"a sibling named '{given}' exists");
            }

            name = given;
        }
        else
        {
            do
            {
                name = ResourceFactory.GenerateName(ResourceType.ContentInstance);
            }
            while (IsNameTaken(name));
        }

        var size = ResourceFactory.ContentSize(accepted["con"]);
        var maxByteSize = Limit(AttributeNames.MaxByteSize);
        if (maxByteSize is { } mbs && size > mbs)
        {
            return ResourceResponse.Error(ResponseStatusCode.NotAcceptable, $"content size {size} exceeds the container's maxByteSize {mbs}");
        }

        var sequence = Log.NextSequence;
        var ri = ResourceIds.InstanceId(ResourceId, sequence);
        var error = ResourceFactory.Build(ResourceType.ContentInstance, accepted, ri, name, ResourceId, now, Expiration,
            MaxExpiration(), request.Originator, out var attributes);
        if (error is not null)
        {
            return ResourceResponse.Error(error);
        }

        // maxInstanceAge caps the lifetime of each new instance (TS-0004 7.4.7.2.1), counted from its creation time.
        if (Limit(AttributeNames.MaxInstanceAge) is { } mia && OneM2MTime.TryParse(now, out var created))
        {
            var byAge = OneM2MTime.Format(created.AddSeconds(mia));
            if (string.CompareOrdinal(byAge, attributes.ExpirationTime()!) < 0)
            {
                attributes[AttributeNames.ExpirationTime] = byAge;
            }
        }

        var stateTag = State.Attributes.StateTag() + 1;
        attributes[AttributeNames.StateTag] = stateTag;
        attributes[AttributeNames.ContentSize] = size;

        Log.NextSequence = sequence + 1;
        if (Log.NextSequence % SegmentSize == 0)
        {
            _sealed = sequence / SegmentSize;
        }

        _instances.Add(new InstanceRecord(sequence, attributes));
        _instances.Evict(Limit(AttributeNames.MaxNrOfInstances), maxByteSize);
        SetCounters(stateTag);
        var raised = Events.Raise(NotificationEventType.CreateOfDirectChildResource, ResourceType.ContentInstance, attributes);

        // In the same state write as the instance: a repeat of this request finds it whenever the instance is stored.
        RequestLedger.Record(Log.Completed, request, ri, name, Options);
        await WriteStateAsync();
        Events.Dispatch(raised);

        return CreatedResponse(request, ContentInstancePolicy.Rules, attributes, accepted, string.Concat(State.Path, "/", name));
    }

    private static bool RetrievalDisabled(Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.DisableRetrieval, out var disr) && disr is true;

    protected override async ValueTask<ResourceResponse> RetrieveSubTarget(ResourceRequest request, string now)
    {
        if (RetrievalDisabled(State.Attributes))
        {
            return ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed, "retrieval is disabled for this container (disr)");
        }

        if (ContentInstancePolicy.Rules.CheckAttributeList(request.AttributeList) is { } unknownAttribute)
        {
            return ResourceResponse.Error(unknownAttribute);
        }

        var record = Find(request.SubTarget!, now, out var error);
        if (record is null)
        {
            return error!;
        }

        var response = new ResourceResponse(ResponseStatusCode.Ok,
            Representation.Resource(ContentInstancePolicy.Rules.RootKey, record.Attributes, request.AttributeList));
        if (record.Attributes.TryGetValue("dcnt", out var count) && count is long remaining)
        {
            await CountRetrieval(record, remaining);
        }

        return response;
    }

    /// <summary>
    /// deletionCnt (<c>dcnt</c>, R4): each retrieve of the instance counts down, and the retrieve that reaches zero
    /// deletes it (with the child-deleted notification), as ACME does; the answer shows the count before this
    /// retrieve. The retrieve is answered once the count is stored. Retrieves interleave (they are read-only for
    /// Orleans): the count changes in memory before any await, and the writes of interleaved retrieves go one at a
    /// time; no update, create or delete runs meanwhile.
    /// </summary>
    private async Task CountRetrieval(InstanceRecord record, long remaining)
    {
        Outbox.RaisedEvent? raised = null;
        if (remaining <= 1)
        {
            _instances.Remove(record.Sequence);
            SetCounters(State.Attributes.StateTag());
            raised = Events.Raise(NotificationEventType.DeleteOfDirectChildResource, ResourceType.ContentInstance, record.Attributes);
        }
        else
        {
            _instances.Replace(record with
            {
                Attributes = new Dictionary<string, object?>(record.Attributes, StringComparer.Ordinal) { ["dcnt"] = remaining - 1 },
            });
        }

        var write = WriteAfter(_retrievalWrite);
        _retrievalWrite = write;
        try
        {
            await write;
        }
        catch
        {
            // Memory is ahead of storage: drop the activation so the next request reloads what was stored.
            DeactivateOnIdle();
            throw;
        }

        Events.Dispatch(raised);
    }

    // The state write of a counting retrieve, after the one an interleaved retrieve started before it.
    private async Task WriteAfter(Task previous)
    {
        try
        {
            await previous;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // That retrieve reported its own failure; this write stores both changes or fails on its own.
        }

        await WriteStateAsync();
    }

    protected override async ValueTask<ResourceResponse> DeleteSubTarget(ResourceRequest request, string now)
    {
        if (RetrievalDisabled(State.Attributes))
        {
            return ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed, "deletion is disabled for this container (disr)");
        }

        PurgeExpired(now);
        var record = Find(request.SubTarget!, now, out var error);
        if (record is null)
        {
            return error!;
        }

        _instances.Remove(record.Sequence);
        SetCounters(State.Attributes.StateTag());
        var raised = Events.Raise(NotificationEventType.DeleteOfDirectChildResource, ResourceType.ContentInstance, record.Attributes);
        await WriteStateAsync();
        Events.Dispatch(raised);
        object? content = request.ResultContent is null or ResultContent.Nothing
            ? null
            : Representation.Resource(ContentInstancePolicy.Rules.RootKey, record.Attributes);
        return new ResourceResponse(ResponseStatusCode.Deleted, content);
    }

    /// <summary>The instance a sub-target names: <c>la</c>, <c>ol</c>, an instance ID or an instance name.</summary>
    private InstanceRecord? Find(string subTarget, string now, out ResourceResponse? error)
    {
        error = null;
        InstanceRecord? record = subTarget switch
        {
            "la" => _instances.Newest(now),
            "ol" => _instances.Oldest(now),
            _ => null,
        };
        if (subTarget is "la" or "ol")
        {
            if (record is null)
            {
                error = ResourceResponse.Error(ResponseStatusCode.NotFound, "the container has no content instance");
            }

            return record;
        }

        long sequence;
        if (!(ResourceIds.TrySplitInstanceId(subTarget, out var containerId, out sequence) && containerId == ResourceId)
            && !_instances.TryGetSequence(subTarget, out sequence))
        {
            error = ResourceResponse.Missing("content instance does not exist");
            return null;
        }

        record = _instances.Lookup(sequence);
        if (record is null || IsExpired(record, now))
        {
            error = ResourceResponse.Missing("content instance does not exist");
            return null;
        }

        return record;
    }

    // ---- hooks ----------------------------------------------------------------------------------------------

    /// <summary>
    /// While expired instances wait for the purge timer, the counters a reader sees already leave them out.
    /// </summary>
    protected override Dictionary<string, object?> CurrentAttributes()
    {
        var now = Now();
        if (!_instances.TryPeekEarliestExpiry(out var earliest) || string.CompareOrdinal(earliest, now) > 0)
        {
            return State.Attributes;
        }

        var (count, bytes) = _instances.Live(now);
        return new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal) { [AttributeNames.CurrentNrOfInstances] = count, [AttributeNames.CurrentByteSize] = bytes };
    }

    protected override bool IsNameTaken(string name) =>
        base.IsNameTaken(name) || _instances.HasName(name) || name is "la" or "ol";

    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator)
    {
        // Turning disableRetrieval off deletes every instance, as ACME does: what was stored while nobody could read
        // it is not disclosed afterwards.
        if (RetrievalDisabled(State.Attributes) && !RetrievalDisabled(updated))
        {
            _instances.Evict(0, null);
        }

        // Lowering mni or mbs evicts the oldest instances at once (TS-0004 7.4.6.2.3).
        _instances.Evict(updated.Long(AttributeNames.MaxNrOfInstances), updated.Long(AttributeNames.MaxByteSize));
        updated[AttributeNames.CurrentNrOfInstances] = _instances.Count;
        updated[AttributeNames.CurrentByteSize] = _instances.Bytes;
        return ValueTask.FromResult<ResourceResponse?>(null);
    }

    protected override async ValueTask<ChildReference?> FindChild(string name, string now)
    {
        if (await base.FindChild(name, now) is { } child)
        {
            return child;
        }

        return _instances.TryGetSequence(name, out var sequence) && _instances.Lookup(sequence) is { } record && !IsExpired(record, now)
            ? new ChildReference(record.Attributes.ResourceId(), name, ResourceType.ContentInstance, record.Attributes.ExpirationTime())
            : null;
    }

    protected override async ValueTask<List<ChildEntry>> ListChildren(bool withAttributes, int max, string now, string originator)
    {
        var entries = await base.ListChildren(withAttributes, max, now, originator);
        if (RetrievalDisabled(State.Attributes))
        {
            // With disr the instances can be neither retrieved nor listed (rcn 4, 5, 6, 8).
            return entries;
        }

        foreach (var segment in _instances.Segments.Values)
        {
            foreach (var record in segment)
            {
                if (entries.Count >= max)
                {
                    return entries;
                }

                if (!IsExpired(record, now))
                {
                    var name = record.Attributes.ResourceName();
                    var reference = new ChildReference(record.Attributes.ResourceId(), name, ResourceType.ContentInstance, null);
                    entries.Add(new ChildEntry(reference, string.Concat(State.Path, "/", name), record.Attributes));
                }
            }
        }

        return entries;
    }

    protected override async ValueTask<DiscoveryView> DescribeChildren(FilterCriteria filter, bool matches, string? continuation, string now)
    {
        var view = await base.DescribeChildren(filter, matches, continuation, now);
        if (RetrievalDisabled(State.Attributes))
        {
            // Instances that cannot be retrieved are not discovered either (disableRetrieval).
            return view;
        }

        var wanted = (long)(filter.Offset ?? 1) - 1 + (filter.Limit ?? Options.MaxDiscoveryResults);
        var instances = new List<KeyValuePair<string, string>>();
        foreach (var segment in _instances.Segments.Values)
        {
            foreach (var record in segment)
            {
                if (instances.Count >= wanted)
                {
                    return view with { MatchingInstances = instances };
                }

                if (!IsExpired(record, now) && FilterEvaluator.Matches(filter, ResourceType.ContentInstance, record.Attributes))
                {
                    instances.Add(new(record.Attributes.ResourceId(), string.Concat(State.Path, "/", record.Attributes.ResourceName())));
                }
            }
        }

        return view with { MatchingInstances = instances };
    }

    protected override async Task WillBeDeleted()
    {
        var grouped = _instances.Grouped.ToArray();
        await Segments.ClearAsync();
        _instances.Clear();
        _sealed = null;

        // Instances deleted with their container leave their groups as the container itself does.
        foreach (var sequence in grouped)
        {
            await LeaveGroups(ResourceIds.InstanceId(ResourceId, sequence));
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private long? Limit(string name) => State.Attributes.Long(name);

    private void SetCounters(long stateTag)
    {
        var attributes = new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal)
        {
            [AttributeNames.StateTag] = stateTag,
            [AttributeNames.CurrentNrOfInstances] = _instances.Count,
            [AttributeNames.CurrentByteSize] = _instances.Bytes,
        };
        State.Attributes = attributes;
    }

    /// <summary>Removes instances whose expiration time has passed (TS-0004: an expired resource is deleted).</summary>
    private bool PurgeExpired(string now)
    {
        if (!_instances.PurgeExpired(now))
        {
            return false;
        }

        SetCounters(State.Attributes.StateTag());
        return true;
    }

    private static bool IsExpired(InstanceRecord record, string now) => InstanceIndex.IsExpired(record, now);
}
