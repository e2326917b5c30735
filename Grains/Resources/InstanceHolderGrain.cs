using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Container;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// A resource that holds its instances in its own grain (a container its content instances, a flexContainer its
/// flexContainerInstances), with <c>la</c>, <c>ol</c>, <c>mni</c>/<c>mbs</c>/<c>mia</c>, <c>cni</c>/<c>cbs</c>.
/// Instances are stored in segments of <see cref="SegmentSize"/> by sequence number: the open segment travels
/// in the holder's own state, sealed segments are records of their own. A new instance therefore rewrites one
/// small state record, however many instances the holder keeps; once in a segment's length it also stores the
/// segment it sealed, and clears the segment that <c>mni</c>/<c>mbs</c> eviction emptied (an instance evicted from a
/// sealed segment is listed in the state until then: <see cref="InstanceIndex"/>). In memory the grain keeps every
/// live instance, loaded on activation. The subclass
/// says when an instance is made (a container on a create request, a flexContainer on an update) and of what type.
/// </summary>
internal abstract partial class InstanceHolderGrain : ResourceGrain, InstanceIndex.IOwner
{
    /// <summary>Instances per stored segment: small enough that rewriting one is cheap, large enough that activation reads few records.</summary>
    internal const int SegmentSize = 16;

    private readonly IGrainStorage _storage;
    private readonly Serializer _serializer;
    private StoredPages<InstanceSegment>? _segments;

    // The last state write of a retrieve that counted down an instance's dcnt (see CountRetrieval).
    private Task _retrievalWrite = Task.CompletedTask;
    private IGrainTimer? _purgeTimer;

    /// <summary>The segment the last instance sealed, to be stored before the state that no longer holds it in its tail.</summary>
    private long? _sealed;
    private string? _purgeDue;

    // Canonical time an hour past _purgeHorizonUntil: until then, an expiry after it is more than an hour off.
    private string? _purgeHorizon;
    private DateTime _purgeHorizonUntil;

    /// <summary>Groups named more instances as members since the state was last stored.</summary>
    private bool _groupedChanged;

    protected InstanceHolderGrain(IPersistentState<ResourceState> store, IOptions<CseOptions> options, ILogger logger, IServiceProvider services)
        : base(store, options, logger)
    {
        _storage = services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);
        _serializer = services.GetRequiredService<Serializer>();
        Instances = new InstanceIndex(this, _serializer);
    }

    /// <summary>The policy of the instances (their type, root key and attributes, for <c>atrl</c>).</summary>
    protected abstract ResourcePolicy InstancePolicy { get; }

    /// <summary>The instances' root key where their attributes do not name it (a flexContainerInstance's); null for content instances.</summary>
    private string? InstanceRootKey => InstancePolicy.Descriptor.SpecializedRoot ? InstancePolicy.RootKey : null;

    /// <summary>The live instances in memory.</summary>
    protected InstanceIndex Instances { get; }

    /// <summary>Where the instances stand (the holder's own part of its state record).</summary>
    protected virtual ContainerLog Log => Specific<ContainerLog>();

    /// <summary>The sealed segments, each a page of its own: state name <c>instances</c>, grain id <c>vi-instances/{ri}/{segment}</c>.</summary>
    private StoredPages<InstanceSegment> Segments => _segments ??= new StoredPages<InstanceSegment>(_storage, "instances", "vi-instances", ResourceId);

    private long OpenSegment => Log.NextSequence / SegmentSize;

    long InstanceIndex.IOwner.OpenSegment => OpenSegment;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Exists)
        {
            RestoreAttributes();
        }

        await base.OnActivateAsync(cancellationToken);
        if (!Exists)
        {
            return;
        }

        Instances.Restore(Log.RemovedInstances, Log.GroupedInstances);
        for (var segment = Log.LowestSegment; segment < OpenSegment; segment++)
        {
            if (await Segments.ReadAsync(segment) is { } stored)
            {
                // Instances removed by a stored state are skipped; the segment's record is rewritten once it is emptied (InstanceIndex).
                Instances.Load(stored.Instances, stored.Encoded);
            }
        }

        Instances.Load(Log.Tail, Log.EncodedTail);

        RestoreLedger();

        SchedulePurge();
    }

    /// <summary>
    /// Arms a timer for the earliest instance expiry, so that expired instances leave storage and the counters
    /// while the holder is active even if nobody writes to it (TS-0004: an expired resource is deleted).
    /// </summary>
    private void SchedulePurge()
    {
        if (!Instances.TryPeekEarliestExpiry(out var earliest) || earliest == _purgeDue)
        {
            return;
        }

        // An expiry past the horizon is over an hour off: compared as canonical text, so the common case (a create
        // that evicted the oldest instance, whose successor expires days later) parses no time.
        var now = DateTime.UtcNow;
        if (now >= _purgeHorizonUntil)
        {
            _purgeHorizonUntil = now + TimeSpan.FromMinutes(1);
            _purgeHorizon = OneM2MTime.Format(_purgeHorizonUntil + TimeSpan.FromHours(1));
        }

        if (string.CompareOrdinal(earliest, _purgeHorizon) > 0)
        {
            return; // the grain will long have been deactivated; the next activation arms it again
        }

        OneM2MTime.TryParse(earliest, out var due);
        var delay = due - now;
        if (delay > TimeSpan.FromHours(1))
        {
            return;
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

    // ---- instances ------------------------------------------------------------------------------------------

    /// <summary>
    /// Adds a new instance built from <paramref name="accepted"/> (what its content is) in memory: its ID, the
    /// universal attributes, an expiration time capped by <c>mia</c>, the state tag <paramref name="stateTag"/> and
    /// size <paramref name="size"/>; then evicts by <paramref name="limits"/> (<c>mni</c>, <c>mbs</c>) and raises the
    /// child-created event. The caller stores the state and then dispatches the event.
    /// </summary>
    protected OneM2MError? AddInstance(Dictionary<string, object?> accepted, string name, string now, string originator,
        long stateTag, long size, Dictionary<string, object?> limits, out Dictionary<string, object?> attributes, out Outbox.RaisedEvent? raised)
    {
        raised = null;
        var type = InstancePolicy.Type;
        var sequence = Log.NextSequence;
        var ri = ResourceIds.HeldId(ResourceTypeRegistry.Get(type), ResourceId, sequence);
        var error = ResourceFactory.Build(InstancePolicy, accepted, ri, name, ResourceId, now, Expiration, MaxExpiration(), originator, out attributes);
        if (error is not null)
        {
            return error;
        }

        // maxInstanceAge caps the lifetime of each new instance (TS-0004 7.4.7.2.1), counted from its creation time.
        if (limits.Long(AttributeNames.MaxInstanceAge) is { } mia && OneM2MTime.TryParse(now, out var created))
        {
            var byAge = OneM2MTime.Format(created.AddSeconds(mia));
            if (string.CompareOrdinal(byAge, attributes.ExpirationTime()!) < 0)
            {
                attributes[AttributeNames.ExpirationTime] = byAge;
            }
        }

        // The instance lives as long as mni lets it, past the youngest generation: its type and its small numbers are
        // shared boxes (CompactAttributes), as an activation's attributes are.
        attributes[AttributeNames.ResourceType] = CompactAttributes.Shared(attributes[AttributeNames.ResourceType]);
        if (InstancePolicy.Attributes.ContainsKey(AttributeNames.StateTag))
        {
            attributes[AttributeNames.StateTag] = CompactAttributes.Shared(stateTag);
        }

        attributes[AttributeNames.ContentSize] = CompactAttributes.Shared(size);

        Log.NextSequence = sequence + 1;
        if (Log.NextSequence % SegmentSize == 0)
        {
            _sealed = sequence / SegmentSize;
        }

        Instances.Add(new InstanceRecord(sequence, attributes));
        Instances.Evict(limits.Long(AttributeNames.MaxNrOfInstances), limits.Long(AttributeNames.MaxByteSize));
        raised = EventsIfAny?.Raise(NotificationEventType.CreateOfDirectChildResource, type, attributes, rootKey: InstanceRootKey);
        return null;
    }

    /// <summary>A name no child and no instance has: <paramref name="preferred"/> when free, else a generated one.</summary>
    protected string FreeInstanceName(string? preferred)
    {
        if (preferred is not null && !IsNameTaken(preferred))
        {
            return preferred;
        }

        string name;
        do
        {
            name = ResourceFactory.GenerateName(InstancePolicy.ShortName);
        }
        while (IsNameTaken(name));
        return name;
    }

    /// <summary>Whether retrieval of the instances is disabled (a container's <c>disr</c>).</summary>
    protected static bool RetrievalDisabled(Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.DisableRetrieval, out var disr) && disr is true;

    protected override async ValueTask<ResourceResponse> RetrieveSubTarget(ResourceRequest request, string now)
    {
        if (RetrievalDisabled(State.Attributes))
        {
            return ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed, "retrieval is disabled for this container (disr)");
        }

        if (InstancePolicy.CheckAttributeList(request.AttributeList) is { } unknownAttribute)
        {
            return ResourceResponse.Error(unknownAttribute);
        }

        var record = Find(request.SubTarget!, now, out var error);
        if (record is null)
        {
            return error!;
        }

        var response = new ResourceResponse(ResponseStatusCode.Ok,
            Representation.Resource(InstancePolicy.RootKey, record.Attributes, request.AttributeList));
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
            Instances.Remove(record.Sequence);
            SetCounters(StateTag);
            raised = EventsIfAny?.Raise(NotificationEventType.DeleteOfDirectChildResource, InstancePolicy.Type, record.Attributes, rootKey: InstanceRootKey);
        }
        else
        {
            Instances.Replace(record with
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

        EventsIfAny?.Dispatch(raised);
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

        Instances.Remove(record.Sequence);
        SetCounters(StateTag);
        var raised = EventsIfAny?.Raise(NotificationEventType.DeleteOfDirectChildResource, InstancePolicy.Type, record.Attributes, rootKey: InstanceRootKey);
        await WriteStateAsync();
        EventsIfAny?.Dispatch(raised);
        object? content = request.ResultContent is null or ResultContent.Nothing
            ? null
            : Representation.Resource(InstancePolicy.RootKey, record.Attributes);
        return new ResourceResponse(ResponseStatusCode.Deleted, content);
    }

    /// <summary>The instance a sub-target names: <c>la</c>, <c>ol</c>, an instance ID or an instance name.</summary>
    private InstanceRecord? Find(string subTarget, string now, out ResourceResponse? error)
    {
        error = null;
        InstanceRecord? record = subTarget switch
        {
            "la" => Instances.Newest(now),
            "ol" => Instances.Oldest(now),
            _ => null,
        };
        if (subTarget is "la" or "ol")
        {
            if (record is null)
            {
                error = ResourceResponse.Error(ResponseStatusCode.NotFound, $"{State.Attributes.ResourceName()} has no instance");
            }

            return record;
        }

        long sequence;
        if (!(ResourceIds.TrySplitHeldId(InstancePolicy.Descriptor, subTarget, out var holderId, out sequence) && holderId == ResourceId)
            && !Instances.TryGetSequence(subTarget, out sequence))
        {
            error = ResourceResponse.Missing("instance does not exist");
            return null;
        }

        record = Instances.Lookup(sequence);
        if (record is null || IsExpired(record, now))
        {
            error = ResourceResponse.Missing("instance does not exist");
            return null;
        }

        return record;
    }

    // ---- hooks ----------------------------------------------------------------------------------------------

    protected override bool IsNameTaken(string name) =>
        base.IsNameTaken(name) || Instances.HasName(name) || name is "la" or "ol";

    /// <summary>Lowering <c>mni</c> or <c>mbs</c> evicts the oldest instances at once (TS-0004 7.4.6.2.3).</summary>
    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator)
    {
        Instances.Evict(updated.Long(AttributeNames.MaxNrOfInstances), updated.Long(AttributeNames.MaxByteSize));
        if (StoresAttributeImage)
        {
            // The attributes updated were copied without the typed counters: the update's st goes in with them.
            updated[AttributeNames.StateTag] = StateTag + 1;
        }

        updated[AttributeNames.CurrentNrOfInstances] = Instances.Count;
        updated[AttributeNames.CurrentByteSize] = Instances.Bytes;
        return ValueTask.FromResult<ResourceResponse?>(null);
    }

    protected override async ValueTask<ChildReference?> FindChild(string name, string now)
    {
        if (await base.FindChild(name, now) is { } child)
        {
            return child;
        }

        return Instances.TryGetSequence(name, out var sequence) && Instances.Lookup(sequence) is { } record && !IsExpired(record, now)
            ? new ChildReference(record.Attributes.ResourceId(), name, InstancePolicy.Type, record.Attributes.ExpirationTime())
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

        foreach (var segment in Instances.Segments.Values)
        {
            foreach (var held in segment)
            {
                if (entries.Count >= max)
                {
                    return entries;
                }

                if (!held.IsExpiredAt(now))
                {
                    var attributes = Instances.Record(held).Attributes;
                    var reference = new ChildReference(attributes.ResourceId(), held.Name, InstancePolicy.Type, null);
                    entries.Add(new ChildEntry(reference, string.Concat(State.Path, "/", held.Name), attributes, InstanceRootKey));
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
        var type = InstancePolicy.Type;
        foreach (var segment in Instances.Segments.Values)
        {
            foreach (var held in segment)
            {
                if (instances.Count >= wanted)
                {
                    return view with { MatchingInstances = instances };
                }

                if (!held.IsExpiredAt(now) && Instances.Record(held).Attributes is var attributes && FilterEvaluator.Matches(filter, type, attributes))
                {
                    instances.Add(new(attributes.ResourceId(), string.Concat(State.Path, "/", held.Name)));
                }
            }
        }

        return view with { MatchingInstances = instances };
    }

    protected override async Task WillBeDeleted()
    {
        var grouped = Instances.GroupedSequences();
        await Segments.ClearAsync();
        Instances.Clear();
        _sealed = null;

        // Instances deleted with their holder leave their groups as the holder itself does.
        foreach (var sequence in grouped)
        {
            await LeaveGroups(ResourceIds.HeldId(InstancePolicy.Descriptor, ResourceId, sequence));
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    protected long? Limit(string name) => State.Attributes.Long(name);

    /// <summary>Removes instances whose expiration time has passed (TS-0004: an expired resource is deleted).</summary>
    protected bool PurgeExpired(string now)
    {
        if (!Instances.PurgeExpired(now))
        {
            return false;
        }

        SetCounters(StateTag);
        return true;
    }

    protected static bool IsExpired(InstanceRecord record, string now) => InstanceIndex.IsExpired(record, now);
}
