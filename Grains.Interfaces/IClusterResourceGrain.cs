using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// What resource grains ask each other, never a binding: creating and removing resources of a subtree, links between
/// A parent and its children, events and their subscriptions, liveness and access checks, discovery's walk. Every
/// Resource type's grain interface extends it; the bindings reach a resource through <see cref="IResourceGrain"/>
/// Only (<see cref="ResourceGrainFactoryExtensions.GetResourceGrain"/>).
/// </summary>
[Alias("VirtualIoT.IClusterResourceGrain")]
public interface IClusterResourceGrain : IResourceGrain
{
    /// <summary>This resource seen by discovery, with a page of its children.</summary>
    [Alias("Describe"), ReadOnly]
    ValueTask<DiscoveryView> Describe(FilterCriteria filter, string originator, string? continuation);

    /// <summary>
    /// Whether <paramref name="originator"/> holds the privilege for <paramref name="operation"/> on this live
    /// resource (RETRIEVE for listing it as a child reference, NOTIFY for naming it as notification target); false
    /// when it does not exist.
    /// </summary>
    [Alias("Allows"), ReadOnly]
    ValueTask<bool> Allows(string originator, Operation operation);

    /// <summary>
    /// Whether the resource exists and has not expired. A parent asks before it deletes a child whose expiration
    /// time it holds as passed (the child may have been given a later one since).
    /// </summary>
    [Alias("IsLiveResource"), ReadOnly]
    ValueTask<bool> IsLiveResource();

    /// <summary>
    /// The resource's attributes as <paramref name="originator"/> may retrieve them (for a parent listing its
    /// children); null when it may not, or when the resource does not exist.
    /// </summary>
    [Alias("AttributesFor"), ReadOnly]
    ValueTask<Dictionary<string, object?>?> AttributesFor(string originator);

    /// <summary>
    /// Cluster-internal, from an announcer: the resource <paramref name="resourceId"/> (this one, or an instance it
    /// holds) has its announced copy <paramref name="remoteId"/> on the CSE <paramref name="cseId"/>, so its <c>at</c>
    /// entry for that CSE becomes <c>/&lt;csi&gt;/&lt;remote ri&gt;</c> (as ACME lists the copies). Stored before this
    /// returns; nothing else changes (no <c>lt</c>, no notification).
    /// </summary>
    [Alias("AnnouncedAs")]
    ValueTask AnnouncedAs(string resourceId, string cseId, string remoteId);

    /// <summary>Stores a new resource built and validated by its parent.</summary>
    [Alias("Initialize")]
    ValueTask<ResourceResponse> Initialize(NewResource resource);

    /// <summary>Removes this resource and its subtree; the parent has already forgotten it.</summary>
    [Alias("DeleteSubtree")]
    ValueTask DeleteSubtree();

    /// <summary>
    /// A child is gone (deleted or expired); forget it. One-way, so a child never waits on its parent (which may be
    /// waiting on the child); if the message is lost in a crash, the parent drops the stale reference the next time
    /// it finds the child missing.
    /// </summary>
    [Alias("ForgetChild"), OneWay]
    ValueTask ForgetChild(string childId, string childName, ResourceType childType, Dictionary<string, object?>? childAttributes);

    /// <summary>
    /// A child's expiration time changed; refresh the parent's reference. One-way for the same reason as
    /// <see cref="ForgetChild"/>; the parent treats the time it holds as a hint and asks the child before deleting
    /// it as expired.
    /// </summary>
    [Alias("ChildChanged"), OneWay]
    ValueTask ChildChanged(ChildReference child);

    /// <summary>
    /// A subscription to this resource changed its event criteria. One-way, like <see cref="ChildChanged"/>; the
    /// subscription checks every event against its own criteria again.
    /// </summary>
    [Alias("SubscriptionChanged"), OneWay]
    ValueTask SubscriptionChanged(SubscriptionFilter filter);

    /// <summary>
    /// Cluster-internal: <paramref name="filter"/>'s <see cref="SubscriptionFilter.SubscriptionId"/> (an action) is told
    /// of this resource's events as a subscription is, until <see cref="Unwatch"/>; stored before this returns. False
    /// when the resource does not exist.
    /// </summary>
    [Alias("Watch")]
    ValueTask<bool> Watch(SubscriptionFilter filter);

    /// <summary>Cluster-internal: the watcher <paramref name="watcherId"/> is gone; one-way, like <see cref="ForgetChild"/>.</summary>
    [Alias("Unwatch"), OneWay]
    ValueTask Unwatch(string watcherId);

    /// <summary>Every subscription has stored the event; drop it from the outbox.</summary>
    [Alias("EventDispatched"), OneWay]
    ValueTask EventDispatched(string eventId);
}
