namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The stored state of one resource grain: what every type has. <see cref="Attributes"/> holds the resource's wire
/// attributes by short name and is replaced, never changed in place, so a dictionary handed out in a response stays
/// as it was. What only one type has (a container's instance log, a subscription's pending notifications) is that
/// type's own record in <see cref="Specific"/>.
/// </summary>
/// <remarks>
/// Fields whose value is the default are not written, so a record holds no trace of the fields below that only
/// records stored before the per-type records have.
/// </remarks>
[GenerateSerializer, Alias("VirtualIoT.ResourceState"), OmitDefaultMemberValues]
public sealed class ResourceState
{
    /// <summary>Resource type.</summary>
    [Id(0)] public ResourceType Type { get; set; }

    [NonSerialized]
    private Dictionary<string, object?> _attributes = new(StringComparer.Ordinal);

    [NonSerialized]
    private AttributeImage? _image;

    /// <summary>
    /// Attributes by short name, those the CSE maintains (<c>st</c>, <c>cni</c>, <c>cbs</c>) included, but for a holder
    /// with typed counters (a container), which keeps those three outside (<see cref="InstanceHolderGrain"/>).
    /// </summary>
    public Dictionary<string, object?> Attributes
    {
        get => _attributes;
        set => _attributes = value;
    }

    /// <summary>
    /// <see cref="Attributes"/> as stored: not written (null) while <see cref="StoredImage"/> holds them, which only an
    /// instance holder reads back (<see cref="AttributeImage"/>).
    /// </summary>
    [Id(1)]
    public Dictionary<string, object?>? StoredAttributes
    {
        get => ImageHoldsAttributes ? null : _attributes;
        set => _attributes = value ?? new(StringComparer.Ordinal);
    }

    /// <summary>The attributes as an instance holder stores them (<see cref="AttributeImage"/>), when its image is of the current <see cref="Attributes"/>.</summary>
    [Id(20)]
    public AttributeImage? StoredImage
    {
        get => ImageHoldsAttributes ? _image : null;
        set => _image = value;
    }

    private bool ImageHoldsAttributes => _image is { } image && ReferenceEquals(image.Source, _attributes);

    /// <summary>Stores the attributes as <paramref name="image"/> from the next write on, while they stay the dictionary it was made of.</summary>
    internal void StoreAttributesAs(AttributeImage image) => _image = image;

    /// <summary>The image read from storage in place of the attributes, once (the reader puts the attributes back); null when the record holds them.</summary>
    internal AttributeImage? TakeStoredImage()
    {
        var image = _image is { Source: null } read ? read : null;
        _image = null;
        return image;
    }

    /// <summary>Structured CSE-relative address (<c>cse-in/app/temp</c>); fixed for the resource's life because <c>rn</c> cannot change.</summary>
    [Id(2)] public string Path { get; set; } = "";

    /// <summary>The originator that the default access rule lets in (the AE the resource belongs to, or its creator).</summary>
    [Id(3)] public string Owner { get; set; } = "";

    /// <summary>The child index shard holding this resource's name, when its parent is the CSEBase.</summary>
    [Id(4)] public string? IndexShard { get; set; }

    // Id 5 (children) and Id 11 (subscriptions) moved to ResourceLinks; never reuse them.

    /// <summary>Parent resource ID.</summary>
    [Id(10)] public string ParentId { get; set; } = "";

    /// <summary>
    /// Events stored with the change that caused them and not yet stored by every subscription (the outbox that
    /// makes notifications at-least-once: a silo may die right after the change was acknowledged); null when there
    /// are none, as for most resources most of the time.
    /// </summary>
    [Id(12)] public List<ResourceEvent>? Outbox { get; set; }

    /// <summary>Number of events this resource has raised, for event IDs.</summary>
    [Id(13)] public long EventSequence { get; set; }

    /// <summary>Which of the 64 pages of <see cref="ResourceLinks"/> hold entries (bit k = page k).</summary>
    [Id(16)] public ulong LinkPages { get; set; }

    /// <summary>The state only this resource's type has, stored in the same record; null for a type that has none.</summary>
    [Id(19)] public TypeState? Specific { get; set; }

    // ---- Records stored before the per-type records held their type's state in the fields below (ids 6, 7, 8, 14,
    // 15, 17, 18; never reuse them). A resource grain moves them to its type's record when it is activated
    // (MoveLegacyFields), and the next write stores the record without them. They are held apart, in an object only
    // such a record allocates: every active resource grain holds a state.

    [NonSerialized]
    private LegacyFields? _legacy;

    /// <summary>Before <see cref="Specific"/>: a container's <see cref="Container.ContainerLog.NextSequence"/>.</summary>
    [Id(6)]
    public long LegacyNextSequence
    {
        get => _legacy?.NextSequence ?? 0;
        set => Legacy(value != 0)?.NextSequence = value;
    }

    /// <summary>Before <see cref="Specific"/>: a container's <see cref="Container.ContainerLog.LowestSegment"/>.</summary>
    [Id(7)]
    public long LegacyLowestSegment
    {
        get => _legacy?.LowestSegment ?? 0;
        set => Legacy(value != 0)?.LowestSegment = value;
    }

    /// <summary>Before <see cref="Specific"/>: a container's <see cref="Container.ContainerLog.Tail"/>.</summary>
    [Id(8)]
    public List<InstanceRecord>? LegacyTail
    {
        get => _legacy?.Tail;
        set => Legacy(value is not null)?.Tail = value;
    }

    /// <summary>Before <see cref="Specific"/>: a subscription's <see cref="Subscription.PendingNotifications.Queue"/>.</summary>
    [Id(14)]
    public List<PendingNotification>? LegacyQueue
    {
        get => _legacy?.Queue;
        set => Legacy(value is not null)?.Queue = value;
    }

    /// <summary>Before <see cref="Specific"/>: a subscription's <see cref="Subscription.PendingNotifications.Batch"/>.</summary>
    [Id(15)]
    public List<PendingNotification>? LegacyBatch
    {
        get => _legacy?.Batch;
        set => Legacy(value is not null)?.Batch = value;
    }

    /// <summary>Before <see cref="Specific"/>: a container's <see cref="Container.ContainerLog.Completed"/>.</summary>
    [Id(17)]
    public List<CompletedCreate>? LegacyCompleted
    {
        get => _legacy?.Completed;
        set => Legacy(value is not null)?.Completed = value;
    }

    /// <summary>Before <see cref="Specific"/>: a container's <see cref="Container.ContainerLog.RemovedInstances"/>.</summary>
    [Id(18)]
    public List<long>? LegacyRemovedInstances
    {
        get => _legacy?.RemovedInstances;
        set => Legacy(value is not null)?.RemovedInstances = value;
    }

    /// <summary>Whether this record was stored before the per-type records and still holds their fields.</summary>
    internal bool HasLegacyFields => _legacy is { } legacy
        && (legacy.NextSequence != 0 || legacy.LowestSegment != 0 || legacy.Tail is not null || legacy.Queue is not null
            || legacy.Batch is not null || legacy.Completed is not null || legacy.RemovedInstances is not null);

    /// <summary>Forgets the fields of a record stored before the per-type records (after they were moved).</summary>
    internal void ClearLegacyFields() => _legacy = null;

    /// <summary>The holder of the legacy fields, created for a value that is not the default; null otherwise (nothing to keep).</summary>
    private LegacyFields? Legacy(bool keep) => keep ? _legacy ??= new LegacyFields() : _legacy;

    /// <summary>The fields of a record stored before the per-type records.</summary>
    private sealed class LegacyFields
    {
        public long NextSequence;
        public long LowestSegment;
        public List<InstanceRecord>? Tail;
        public List<PendingNotification>? Queue;
        public List<PendingNotification>? Batch;
        public List<CompletedCreate>? Completed;
        public List<long>? RemovedInstances;
    }
}

/// <summary>
/// The attributes of an instance holder (a container) as stored: every content instance create changes only the
/// counters (<c>st</c>, <c>cni</c>, <c>cbs</c>), so the other attributes are serialised once, when they change, and their
/// bytes reused by every write, the counters stored beside them as numbers. Read back only by the holder
/// (<see cref="InstanceHolderGrain"/>), which puts the attributes together again when it is activated.
/// </summary>
[GenerateSerializer, Alias("VirtualIoT.AttributeImage")]
public sealed class AttributeImage
{
    /// <summary>The attribute dictionary without <c>st</c>, <c>cni</c> and <c>cbs</c>, in Orleans' binary format.</summary>
    [Id(0)] public byte[] Encoded { get; set; } = [];

    /// <summary><c>st</c>.</summary>
    [Id(1)] public long StateTag { get; set; }

    /// <summary><c>cni</c>.</summary>
    [Id(2)] public long CurrentNrOfInstances { get; set; }

    /// <summary><c>cbs</c>.</summary>
    [Id(3)] public long CurrentByteSize { get; set; }

    /// <summary>The attribute dictionary this image is of (by reference; null for an image read from storage).</summary>
    [NonSerialized]
    internal Dictionary<string, object?>? Source;
}

/// <summary>
/// The part of a resource's stored state that only its type has (<see cref="ResourceState.Specific"/>): one
/// <c>[GenerateSerializer]</c> subclass per type that needs one, kept in the type's folder.
/// </summary>
[GenerateSerializer, Alias("VirtualIoT.TypeState")]
public abstract class TypeState
{
}

/// <summary>
/// A resource's children and subscriptions, stored apart from its state in 64 pages by the hash of the child's
/// resource ID: they change when a child comes or goes, not when a container takes a content instance, and a new
/// child rewrites one page, so a container with 10,000 subscriptions neither rewrites them with every instance nor
/// with every new subscription.
/// </summary>
[GenerateSerializer, Alias("VirtualIoT.ResourceLinks")]
public sealed class ResourceLinks
{
    // Allocated when first read: every active resource grain holds its links, and most have no subscription and no
    // child held by another grain. Callers on the request path ask HasChildren and HasSubscriptions first.
    [NonSerialized]
    private Dictionary<string, ChildReference>? _children;

    [NonSerialized]
    private Dictionary<string, SubscriptionFilter>? _subscriptions;

    /// <summary>Children held by other grains, by name (AE and container; the CSEBase uses index shards instead).</summary>
    [Id(0)]
    public Dictionary<string, ChildReference> Children
    {
        get => _children ??= new(StringComparer.Ordinal);
        set => _children = value;
    }

    /// <summary>Subscriptions to this resource, by subscription ID, with the event criteria that select their events.</summary>
    [Id(1)]
    public Dictionary<string, SubscriptionFilter> Subscriptions
    {
        get => _subscriptions ??= new(StringComparer.Ordinal);
        set => _subscriptions = value;
    }

    /// <summary>Whether there is a child (without allocating <see cref="Children"/>).</summary>
    public bool HasChildren => _children is { Count: > 0 };

    /// <summary>Whether there is a subscription (without allocating <see cref="Subscriptions"/>).</summary>
    public bool HasSubscriptions => _subscriptions is { Count: > 0 };

    /// <summary>
    /// Creates of the children on this page remembered for repeated requests (<see cref="RequestLedger"/>); null when
    /// there are none (the links a grain holds in memory keep their creates apart, in <see cref="LinkStore"/>).
    /// </summary>
    [Id(2)] public List<CompletedCreate>? Completed { get; set; }
}

/// <summary>A content instance as its container stores it.</summary>
/// <param name="Sequence">Position in the container, also encoded in the instance's <c>ri</c>.</param>
/// <param name="Attributes">The instance's attributes by short name; never changed after creation.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.InstanceRecord")]
public sealed record InstanceRecord([property: Id(0)] long Sequence, [property: Id(1)] Dictionary<string, object?> Attributes);

/// <summary>A sealed run of a container's instances, stored as one record so that a write touches a bounded amount of data.</summary>
[GenerateSerializer, Alias("VirtualIoT.InstanceSegment")]
public sealed class InstanceSegment
{
    /// <summary>Live instances of the segment, in sequence order, as segments stored before <see cref="Encoded"/> hold them; written empty since.</summary>
    [Id(0)] public List<InstanceRecord> Instances { get; set; } = [];

    /// <summary>
    /// Live instances of the segment, in sequence order, each serialised on its own (<see cref="InstanceRecord"/> in
    /// Orleans' binary format): the bytes the instance got when it was created, reused when its segment seals.
    /// </summary>
    [Id(1)] public List<byte[]> Encoded { get; set; } = [];
}
