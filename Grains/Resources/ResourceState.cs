namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The stored state of one resource grain. <see cref="Attributes"/> holds the resource's wire attributes by short
/// name and is replaced, never changed in place, so a dictionary handed out in a response stays as it was.
/// </summary>
[GenerateSerializer, Alias("VirtualIoT.ResourceState")]
public sealed class ResourceState
{
    /// <summary>Resource type.</summary>
    [Id(0)] public ResourceType Type { get; set; }

    /// <summary>Attributes by short name, those the CSE maintains (<c>st</c>, <c>cni</c>, <c>cbs</c>) included.</summary>
    [Id(1)] public Dictionary<string, object?> Attributes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Structured CSE-relative address (<c>cse-in/app/temp</c>); fixed for the resource's life because <c>rn</c> cannot change.</summary>
    [Id(2)] public string Path { get; set; } = "";

    /// <summary>The originator that the default access rule lets in (the AE the resource belongs to, or its creator).</summary>
    [Id(3)] public string Owner { get; set; } = "";

    /// <summary>The child index shard holding this resource's name, when its parent is the CSEBase.</summary>
    [Id(4)] public string? IndexShard { get; set; }

    // Id 5 (children) and Id 11 (subscriptions) moved to ResourceLinks; never reuse them.

    /// <summary>Container: sequence number the next content instance gets.</summary>
    [Id(6)] public long NextSequence { get; set; }

    /// <summary>Container: first instance segment that may still hold live instances.</summary>
    [Id(7)] public long LowestSegment { get; set; }

    /// <summary>Container: the instances of the open segment (the one <see cref="NextSequence"/> falls in).</summary>
    [Id(8)] public List<InstanceRecord> Tail { get; set; } = [];

    /// <summary>Parent resource ID.</summary>
    [Id(10)] public string ParentId { get; set; } = "";

    /// <summary>
    /// Events stored with the change that caused them and not yet stored by every subscription (the outbox that
    /// makes notifications at-least-once: a silo may die right after the change was acknowledged).
    /// </summary>
    [Id(12)] public List<ResourceEvent> Outbox { get; set; } = [];

    /// <summary>Number of events this resource has raised, for event IDs.</summary>
    [Id(13)] public long EventSequence { get; set; }

    /// <summary>Subscription: notifications waiting for delivery, oldest first.</summary>
    [Id(14)] public List<PendingNotification> Queue { get; set; } = [];

    /// <summary>Which of the 64 pages of <see cref="ResourceLinks"/> hold entries (bit k = page k).</summary>
    [Id(16)] public ulong LinkPages { get; set; }

    /// <summary>Subscription with <c>bn</c>: notifications gathered for the next batch (<c>m2m:agn</c>).</summary>
    [Id(15)] public List<PendingNotification> Batch { get; set; } = [];

    /// <summary>Container: the content instance creates it remembers for repeated requests (<see cref="RequestLedger"/>).</summary>
    [Id(17)] public List<CompletedCreate> Completed { get; set; } = [];

    /// <summary>
    /// Container: sequences of instances removed from sealed segments whose rewrite may not be stored yet (a segment
    /// is rewritten after the state, so that the state alone decides); skipped when the segments are read.
    /// </summary>
    [Id(18)] public List<long> RemovedInstances { get; set; } = [];
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
    /// <summary>Children held by other grains, by name (AE and container; the CSEBase uses index shards instead).</summary>
    [Id(0)] public Dictionary<string, ChildReference> Children { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Subscriptions to this resource, by subscription ID, with the event criteria that select their events.</summary>
    [Id(1)] public Dictionary<string, SubscriptionFilter> Subscriptions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Creates of the children on this page remembered for repeated requests (<see cref="RequestLedger"/>).</summary>
    [Id(2)] public List<CompletedCreate> Completed { get; set; } = [];
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
    /// <summary>Live instances of the segment, in sequence order.</summary>
    [Id(0)] public List<InstanceRecord> Instances { get; set; } = [];
}
