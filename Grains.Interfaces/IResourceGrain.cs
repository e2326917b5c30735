using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// A oneM2M resource held by a grain keyed by its resource ID (<c>ri</c>), as the bindings see it: a binding sends
/// every request for the resource, or for content it holds (a container's instances, <c>la</c>, <c>ol</c>), to this
/// one grain, and resolves a structured address through it. What grains ask each other is
/// <see cref="IClusterResourceGrain"/>.
/// </summary>
[Alias("VirtualIoT.IResourceGrain")]
public interface IResourceGrain : IGrainWithStringKey
{
    /// <summary>Create (of a child), update or delete.</summary>
    [Alias("Execute")]
    ValueTask<ResourceResponse> Execute(ResourceRequest request, CancellationToken cancellationToken = default);

    /// <summary>Retrieve, conditional retrieve; runs concurrently with other reads.</summary>
    [Alias("Retrieve"), ReadOnly]
    ValueTask<ResourceResponse> Retrieve(ResourceRequest request, CancellationToken cancellationToken = default);

    /// <summary>The child called <paramref name="name"/>, for resolving a structured address.</summary>
    [Alias("ResolveChild"), ReadOnly]
    ValueTask<ChildReference?> ResolveChild(string name);
}

/// <summary>Grain of the CSEBase (key = CSE resource ID, <c>id-in</c>).</summary>
[Alias("VirtualIoT.ICseBaseGrain")]
public interface ICseBaseGrain : IClusterResourceGrain
{
    /// <summary>
    /// The number of shards of its child name index (<c>Cse:CseBaseIndexShards</c> of the silos): with
    /// <see cref="ChildIndexShards.KeyOf"/>, where a binding finds a child's name without asking the CSEBase.
    /// </summary>
    [Alias("ChildIndexShards"), ReadOnly]
    ValueTask<int> ChildIndexShards();

    /// <summary>
    /// Whether the CSEBase may have to raise an event when a child is created or deleted: true once it holds a subscription or a
    /// watcher (set before the first is stored, never unset while active). An index shard asks once per activation and
    /// is told when it turns true (<see cref="IChildIndexGrain.ParentListens"/>), so that an AE registered by its own
    /// grain (<see cref="IAeGrain.Register"/>) tells the CSEBase exactly when it listens.
    /// </summary>
    [Alias("Listens"), ReadOnly]
    ValueTask<bool> Listens();

    /// <summary>
    /// An AE was registered by its own grain (<see cref="IAeGrain.Register"/>) while this CSEBase listens: raises the
    /// create-of-child event with the AE's attributes, as a registration through the CSEBase does, stored before this returns.
    /// </summary>
    [Alias("AeRegistered")]
    ValueTask AeRegistered(Dictionary<string, object?> attributes);
}

/// <summary>Grain of an AE (key = AE-ID stem).</summary>
[Alias("VirtualIoT.IAeGrain")]
public interface IAeGrain : IClusterResourceGrain, INotificationTargetGrain
{
    /// <summary>
    /// A CREATE of an AE addressed to the CSEBase, carried out by the grain of the AE-ID it registers (the originator,
    /// <see cref="AeRegistrations.RegistersDirectly"/>): the answer is the one the CSEBase gives, without its hop. A
    /// registration that does not simply succeed (a repeat, a taken name, an error) answers null: the caller then sends
    /// it to the CSEBase, which answers it as every registration (after this call, so never back into this activation
    /// while it may be deactivating: one that found the AE stored after all is given up).
    /// </summary>
    [Alias("Register")]
    ValueTask<ResourceResponse?> Register(ResourceRequest request, CancellationToken cancellationToken = default);

    /// <summary>True while an AE with this ID is registered.</summary>
    [Alias("IsRegistered"), ReadOnly]
    ValueTask<bool> IsRegistered();

    /// <summary>The AE's points of access (<c>poa</c>); none when it has none or is not registered.</summary>
    [Alias("PointsOfAccess"), ReadOnly]
    ValueTask<IReadOnlyList<string>> PointsOfAccess();

    /// <summary>The resource ID of the AE's polling channel, or null when it has none (or is not registered).</summary>
    [Alias("PollingChannel"), ReadOnly]
    ValueTask<string?> PollingChannel();

    /// <summary>
    /// Cluster-internal: node <paramref name="nodeId"/> is being deleted; the AE drops its <c>nl</c> if it names that
    /// node (as ACME does). Interleaves, so a node deleting itself and an AE moving to it never wait on each other.
    /// </summary>
    [Alias("ForgetNode"), AlwaysInterleave]
    ValueTask ForgetNode(string nodeId);
}

/// <summary>The binding-facing side of a resource a binding relays a NOTIFY to (an AE): whether it takes one from an originator.</summary>
[Alias("VirtualIoT.INotificationTargetGrain")]
public interface INotificationTargetGrain : IResourceGrain
{
    /// <summary>
    /// Null when <paramref name="originator"/> may send this resource a NOTIFY; otherwise the refusal: 4004 when no
    /// live resource has this ID, 4103 when the originator lacks the NOTIFY privilege.
    /// </summary>
    [Alias("AdmitNotify"), ReadOnly]
    ValueTask<ResourceResponse?> AdmitNotify(string originator);
}

/// <summary>Grain of a container and all its content instances (key = container <c>ri</c>).</summary>
[Alias("VirtualIoT.IContainerGrain")]
public interface IContainerGrain : IClusterResourceGrain
{
    /// <summary>
    /// Cluster-internal: groups name the content instances <paramref name="instanceIds"/> (of this container) as
    /// members, so that their deletion (by request, expiry, eviction, <c>dcnt</c> or with the container) takes them
    /// out of those groups' <c>mid</c>, as for any other member. Stored before this returns.
    /// </summary>
    [Alias("InstancesGrouped")]
    ValueTask InstancesGrouped(IReadOnlyList<string> instanceIds);

    /// <summary>
    /// Cluster-internal: this container holds the locations that the <c>&lt;locationPolicy&gt;</c>
    /// <paramref name="policyId"/> made it for (its <c>li</c>, locationID). Stored before this returns.
    /// </summary>
    [Alias("LinkLocationPolicy")]
    ValueTask LinkLocationPolicy(string policyId);
}

/// <summary>
/// One shard of a parent's index of child names, used where a parent has very many children (the CSEBase with
/// its AEs): each shard holds the names hashing to it, and stores them in pages by hash of the name, so a
/// registration rewrites one small page of one shard, not one list of a million names. The shard is also the
/// authority for sibling name uniqueness.
/// Key: <c>{parent ri}/{shard number}</c>.
/// </summary>
[Alias("VirtualIoT.IChildIndexGrain")]
public interface IChildIndexGrain : IGrainWithStringKey
{
    /// <summary>
    /// Claims a name; false when a sibling has it. <paramref name="create"/>, when given, is the record of the create
    /// that makes the child (named like it), stored in the same write (see <see cref="FindCreate"/>).
    /// </summary>
    [Alias("Claim")]
    ValueTask<bool> Claim(ChildReference child, CompletedCreate? create = null);

    /// <summary>
    /// Claims a name for a resource that may turn out to be stored already (an AE-ID registered before): as
    /// <see cref="Claim"/>, but a name the resource holds, or any resource it has a live record of a create for here,
    /// is left as it is (<see cref="NameClaim.Held"/>), so that <see cref="Unclaim"/> can undo a claim exactly.
    /// </summary>
    /// <remarks>The answer also says whether the parent listens to its children's creation (<see cref="ICseBaseGrain.Listens"/>).</remarks>
    [Alias("ClaimNewListened")]
    ValueTask<NewNameClaim> ClaimNew(ChildReference child, CompletedCreate? create);

    /// <summary>The parent listens to its children's creation from now on (<see cref="ICseBaseGrain.Listens"/>).</summary>
    [Alias("ParentListens")]
    ValueTask ParentListens();

    /// <summary>Undoes a <see cref="ClaimNew"/> that claimed: the name (if still <paramref name="child"/>'s) and that create's record go.</summary>
    [Alias("Unclaim")]
    ValueTask Unclaim(ChildReference child, CompletedCreate? create);

    /// <summary>The create recorded by <see cref="Claim"/> that a request with these keys repeats, or null.</summary>
    [Alias("FindCreate"), ReadOnly]
    ValueTask<CompletedCreate?> FindCreate(string originator, string requestId, ulong fingerprint);

    /// <summary>
    /// Releases a name held by <paramref name="ri"/>, and forgets the create that made it. True when the parent
    /// listens to its children's creation and deletion (<see cref="ICseBaseGrain.Listens"/>): only then does a
    /// deleted child tell it (<see cref="IClusterResourceGrain.ForgetChild"/>).
    /// </summary>
    [Alias("ReleaseListened")]
    ValueTask<bool> Release(string name, string ri);

    /// <summary>The child with this name.</summary>
    [Alias("Lookup"), ReadOnly]
    ValueTask<ChildReference?> Lookup(string name);

    /// <summary>All children in this shard.</summary>
    [Alias("List"), ReadOnly]
    ValueTask<IReadOnlyList<ChildReference>> List();
}

/// <summary>What <see cref="IChildIndexGrain.ClaimNew"/> did.</summary>
public enum NameClaim
{
    /// <summary>The name is now the resource's, with the create's record.</summary>
    Claimed,

    /// <summary>A sibling holds the name: nothing changed.</summary>
    Taken,

    /// <summary>The resource holds the name already, or has a create recorded here: nothing changed.</summary>
    Held,
}

/// <summary>What <see cref="IChildIndexGrain.ClaimNew"/> did, and whether the parent listens to its children's creation.</summary>
/// <param name="Outcome">The claim's outcome.</param>
/// <param name="ParentListens">True when the parent has to be told of a child created without it (<see cref="ICseBaseGrain.Listens"/>).</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.NewNameClaim")]
public readonly record struct NewNameClaim(NameClaim Outcome, bool ParentListens);

/// <summary>A child known to its parent.</summary>
/// <param name="ResourceId">Child <c>ri</c>.</param>
/// <param name="Name">Child <c>rn</c>.</param>
/// <param name="Type">Child <c>ty</c>.</param>
/// <param name="ExpirationTime">Child <c>et</c>, canonical, or null.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.ChildReference")]
public sealed record ChildReference(
    [property: Id(0)] string ResourceId,
    [property: Id(1)] string Name,
    [property: Id(2)] ResourceType Type,
    [property: Id(3)] string? ExpirationTime);

/// <summary>What a subscribed-to resource needs to know of a subscription to decide which events concern it.</summary>
/// <param name="SubscriptionId">Subscription <c>ri</c>.</param>
/// <param name="EventTypes"><c>enc/net</c> (default update only).</param>
/// <param name="ChildTypes"><c>enc/chty</c>: child types that count for net 3 and 4 (all when empty).</param>
/// <param name="Attributes"><c>enc/atr</c>: attributes whose update counts for net 1 (all when empty).</param>
/// <param name="Monitors"><c>enc/om</c>: the operations (and their originators) it monitors; null or empty for none.</param>
/// <param name="MissingData"><c>enc/md</c>: when a timeSeries reports its missing data points to it (net 8); null for none.</param>
/// <param name="Signal">
/// Set when the subscription only feeds cross-resource subscriptions and nothing of it needs its stored queue: the
/// subscribed-to resource then signals them the events the subscription selects itself, one-way, instead of handing
/// the events to the subscription; null otherwise.
/// </param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.SubscriptionFilter")]
public sealed record SubscriptionFilter(
    [property: Id(0)] string SubscriptionId,
    [property: Id(1)] IReadOnlyList<int> EventTypes,
    [property: Id(2)] IReadOnlyList<int> ChildTypes,
    [property: Id(3)] IReadOnlyList<string> Attributes,
    [property: Id(4)] IReadOnlyList<OperationMonitor>? Monitors = null,
    [property: Id(5)] MissingDataCriteria? MissingData = null,
    [property: Id(6)] CrossResourceSignal? Signal = null);

/// <summary>
/// How a subscribed-to resource tells the cross-resource subscriptions a subscription feeds of an event the subscription
/// selects (<see cref="ICrossResourceSubscriptionGrain.Signal"/>).
/// </summary>
/// <param name="SubscriptionReference">The subscription's SP-relative ID, which the signal names.</param>
/// <param name="CrossResourceSubscriptions">The cross-resource subscriptions (resource IDs): all of its targets.</param>
/// <param name="ExpirationTime">The subscription's <c>et</c>: from then on its events go the usual way (it is ending).</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.CrossResourceSignal")]
public sealed record CrossResourceSignal(
    [property: Id(0)] string SubscriptionReference,
    [property: Id(1)] IReadOnlyList<string> CrossResourceSubscriptions,
    [property: Id(2)] string? ExpirationTime);

/// <summary>
/// <c>enc/md</c> (missingData, TS-0004 6.3.5.x): a missing-data report (net 8) goes out once <paramref name="Number"/>
/// points went missing within <paramref name="Duration"/> of the first of them.
/// </summary>
/// <param name="Number"><c>num</c>: missing points that make a report.</param>
/// <param name="Duration"><c>dur</c>: the window, from the first missing point, within which they count.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.MissingDataCriteria")]
public sealed record MissingDataCriteria([property: Id(0)] int Number, [property: Id(1)] TimeSpan Duration);

/// <summary>
/// One entry of <c>enc/om</c> (operationMonitor, TS-0004 6.3.5.x): an operation on the subscribed-to resource, by an
/// originator; a member that is null matches any.
/// </summary>
/// <param name="Operation"><c>ops</c>: the operation (retrieves included).</param>
/// <param name="Originator"><c>org</c>: the originator of the request.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.OperationMonitor")]
public sealed record OperationMonitor(
    [property: Id(0)] Operation? Operation,
    [property: Id(1)] string? Originator);

/// <summary>A resource as discovery sees it.</summary>
/// <param name="Exists">False when the grain holds no live resource.</param>
/// <param name="Path">Structured CSE-relative address.</param>
/// <param name="Matches">Whether the resource itself passes the filter.</param>
/// <param name="Children">Children held by other grains, to visit next.</param>
/// <param name="MatchingInstances">Instances held by this grain (content instances, flexContainerInstances) that pass the filter: (ri, structured address).</param>
/// <param name="Continuation">Set when more children follow; pass it back to get them.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.DiscoveryView")]
public sealed record DiscoveryView(
    [property: Id(0)] bool Exists,
    [property: Id(1)] string Path,
    [property: Id(2)] bool Matches,
    [property: Id(3)] IReadOnlyList<ChildReference> Children,
    [property: Id(4)] IReadOnlyList<KeyValuePair<string, string>> MatchingInstances,
    [property: Id(5)] string? Continuation);

/// <summary>A resource built and validated by its parent, for the new grain to store.</summary>
/// <param name="Type">Resource type.</param>
/// <param name="Attributes">Every attribute, assigned ones included.</param>
/// <param name="Path">Structured CSE-relative address.</param>
/// <param name="Owner">Originator the default access rule lets in.</param>
/// <param name="ParentIndexShard">When set, the child index shard in which the new resource must claim its name.</param>
/// <param name="Create">When set, the record of this create, stored with the name's claim in <paramref name="ParentIndexShard"/>.</param>
/// <param name="Originator">
/// The originator of the create: a subscription verifies its targets on its behalf, a group checks its members with its rights.
/// </param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.NewResource")]
public sealed record NewResource(
    [property: Id(0)] ResourceType Type,
    [property: Id(1)] Dictionary<string, object?> Attributes,
    [property: Id(2)] string Path,
    [property: Id(3)] string Owner,
    [property: Id(4)] string? ParentIndexShard,
    [property: Id(5)] CompletedCreate? Create = null,
    [property: Id(6)] string? Originator = null);

/// <summary>Finds the grain of a resource from its ID.</summary>
public static class ResourceGrainFactoryExtensions
{
    /// <summary>The grain that answers for <paramref name="ri"/>, or null when the ID is not one this CSE assigns.</summary>
    public static IResourceGrain? GetResourceGrain(this IGrainFactory grains, string ri, string cseBaseId) =>
        ResourceTypeRegistry.GrainFor(grains, ri, cseBaseId);
}
