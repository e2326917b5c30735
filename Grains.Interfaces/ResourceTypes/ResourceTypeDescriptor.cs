namespace VirtualIoT;

/// <summary>How the CSE forms the resource IDs of a type, so that an ID names its grain without any lookup.</summary>
public enum ResourceIdScheme
{
    /// <summary>The CSEBase: its ID is the CSE's resource ID (<c>id-in</c>).</summary>
    CseBase,

    /// <summary>An AE: its ID is its AE-ID stem (<c>C…</c> or <c>S…</c>).</summary>
    AeId,

    /// <summary><see cref="ResourceTypeDescriptor.IdPrefix"/> + 12 random characters; the resource has a grain of its own.</summary>
    Prefixed,

    /// <summary>
    /// <see cref="ResourceTypeDescriptor.IdPrefix"/> + the holder's 12 random characters + a base-36 sequence number:
    /// the resource lives in its holder's grain (a content instance in its container's), which finds it by this ID.
    /// </summary>
    Held,
}

/// <summary>
/// What the cluster and every binding know of one resource type: its names on the wire, how its IDs are formed and
/// which grain holds it, where it may be created and whether it can be announced. The attribute rules and
/// creation defaults of the type are the grain side's (its folder under <c>Grains/Resources</c>).
/// </summary>
public sealed class ResourceTypeDescriptor
{
    private string? _rootKey;

    /// <summary>The type number (<c>ty</c>).</summary>
    public required ResourceType Type { get; init; }

    /// <summary>The short name (<c>cnt</c>): generated resource names start with it, metrics are tagged with it.</summary>
    public required string ShortName { get; init; }

    /// <summary>
    /// True when the root key of a representation depends on the specialization (a flexContainer's
    /// <c>cod:binSw</c>, a mgmtObj's <c>m2m:fwr</c>), so there is no one <see cref="RootKey"/>.
    /// </summary>
    public bool SpecializedRoot { get; init; }

    /// <summary>The root key of a representation (<c>m2m:cnt</c>), or null for a <see cref="SpecializedRoot"/>.</summary>
    public string? RootKey => SpecializedRoot ? null : _rootKey ??= "m2m:" + ShortName;

    /// <summary>How resource IDs of this type are formed.</summary>
    public required ResourceIdScheme Ids { get; init; }

    /// <summary>
    /// The ID prefix for <see cref="ResourceIdScheme.Prefixed"/> and <see cref="ResourceIdScheme.Held"/> (lower case,
    /// and not the start of any other type's prefix, so that an ID matches at most one type).
    /// </summary>
    public string? IdPrefix { get; init; }

    /// <summary>For <see cref="ResourceIdScheme.Held"/>: the type whose grain holds resources of this type.</summary>
    public ResourceType? Holder { get; init; }

    /// <summary>The grain of a resource of this type, from its ID; null for <see cref="ResourceIdScheme.Held"/> types.</summary>
    public Func<IGrainFactory, string, IResourceGrain>? Grain { get; init; }

    /// <summary>
    /// The implemented types under which this type may be created (TS-0001 9.6: the parent's child resource types).
    /// A parent's allowed children are derived from these; no parent lists its children.
    /// </summary>
    public IReadOnlyList<ResourceType> Parents { get; init; } = [];

    /// <summary>
    /// Whether resources of this type can be announced (and so carry <c>at</c> and <c>aa</c>): those with an announced
    /// variant here (<see cref="AnnouncedTypes"/>); on any other type <c>at</c> is an attribute it does not have (4000).
    /// </summary>
    public bool Announceable => AnnouncedTypes.AnnouncedOf(Type) is not null;

    /// <summary>Whether the type has the virtual children <c>la</c> and <c>ol</c> (latest and oldest instance).</summary>
    public bool HasLatestAndOldest { get; init; }

    /// <summary>
    /// Whether the type has the virtual child <c>pcu</c> (a pollingChannel's pollingChannelURI: a retrieve long-polls
    /// the queued requests, a NOTIFY carries the AE's response).
    /// </summary>
    public bool HasPollingChannelUri { get; init; }

    /// <summary>
    /// Whether only the CSE creates resources of this type (a <c>&lt;request&gt;</c> records a non-blocking request):
    /// a CREATE of it by an originator is 4005.
    /// </summary>
    public bool CreatedByCse { get; init; }

    /// <summary>Whether the type has the virtual child <c>fopt</c> (a group's fanOutPoint: requests to it go to every member).</summary>
    public bool HasFanOutPoint { get; init; }

    /// <summary>
    /// Whether the type has the virtual child <c>ntsr</c> (a subscription's notificationTargetSelfReference, R4: a
    /// DELETE by a notification target removes it from <c>nu</c> as its notification target policy says).
    /// </summary>
    public bool HasNotificationTargetSelfReference { get; init; }
}

/// <summary>
/// A type the standard defines that this CSE does not implement yet: creating one where the standard allows it
/// answers 5001 (not implemented) rather than 4108 (invalid child type).
/// </summary>
/// <param name="Type">The type number.</param>
/// <param name="ShortName">Its short name (for metrics and the root key check).</param>
/// <param name="Parents">Implemented types under which the standard allows it.</param>
/// <param name="SpecializedRoot">True when its root key depends on the specialization.</param>
public sealed record PendingResourceType(ResourceType Type, string ShortName, IReadOnlyList<ResourceType> Parents, bool SpecializedRoot = false);
