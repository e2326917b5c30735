using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The lifecycle vocabulary a resource type uses to differ from the common behaviour (in the spirit of the
/// reference CSE's <c>willBeUpdated</c>, <c>updated</c>, <c>childWillBeAdded</c>, <c>childRemoved</c>,
/// <c>willBeDeleted</c>). Names say when a hook runs: <c>WillBe…</c> before a change is stored (it may refuse it
/// with a response), a past participle after it is stored; the child hooks say how a type holds its children; the
/// rest are questions about the resource. Every hook has a default that fits a plain resource.
/// </summary>
internal abstract partial class ResourceGrain
{
    // ---- the resource itself --------------------------------------------------------------------------------

    /// <summary>
    /// Before a new resource built by its parent is stored; a response refuses it (a subscription verifies its
    /// targets). The hook may complete <see cref="NewResource.Attributes"/> (a group stores its validated members):
    /// the dictionary is the new resource's own, and the parent answers the create with what was stored.
    /// </summary>
    protected virtual ValueTask<ResourceResponse?> WillBeCreated(NewResource resource) =>
        ValueTask.FromResult<ResourceResponse?>(null);

    /// <summary>
    /// After a new resource is stored, before its parent links it: tells other resources of it (an AE's node lists
    /// it in <c>hael</c>). The create stands whatever happens here, so the hook handles its own failures.
    /// </summary>
    protected virtual ValueTask Created(NewResource resource) => ValueTask.CompletedTask;

    /// <summary>
    /// Before an update is stored, with the merged attributes (<paramref name="updated"/>, which the hook may still
    /// change) and the accepted request attributes; a response refuses the update. A container evicts here.
    /// </summary>
    protected virtual ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator) =>
        ValueTask.FromResult<ResourceResponse?>(null);

    /// <summary>After an update is stored and its event dispatched.</summary>
    protected virtual void Updated(Dictionary<string, object?> accepted)
    {
    }

    /// <summary>
    /// Before a DELETE request removes the resource: an error refuses it (the system default notification target
    /// policy cannot be deleted). Expiry and the deletion of an ancestor do not ask.
    /// </summary>
    protected virtual OneM2MError? DeletionRefused() => null;

    /// <summary>Before an UPDATE request is validated: an error refuses it (the CSEBase, an AE contact list: 4005).</summary>
    protected virtual OneM2MError? UpdateRefused() =>
        Policy.Type == ResourceType.CSEBase ? OneM2MError.NotAllowed("the CSEBase cannot be updated") : null;

    /// <summary>
    /// Before a delete request or expiry removes the resource, not when an ancestor's deletion takes it with the
    /// subtree: removes what the resource made beside itself (a location policy's container).
    /// </summary>
    protected virtual Task WillBeRemoved() => Task.CompletedTask;

    /// <summary>Before the resource's state is cleared with its subtree: removes what the type keeps besides (a container's instance segments).</summary>
    protected virtual Task WillBeDeleted() => Task.CompletedTask;

    /// <summary>
    /// On activation of a record stored before the per-type records: the type's own record built from the flat
    /// fields such a record has (<see cref="ResourceState.LegacyTail"/> and the like), or null when the type has none.
    /// </summary>
    protected virtual TypeState? MoveLegacyFields(ResourceState stored) => null;

    /// <summary>Stores what the type keeps besides the state record, then the state; runs under the write lock.</summary>
    protected virtual Task StoreAsync() => _store.WriteStateAsync();

    /// <summary>Stores what the type keeps apart from the state record, where a change needs no state write (a subscription's queue pages); runs under the write lock.</summary>
    protected virtual Task StoreApartAsync() => Task.CompletedTask;

    // ---- children -------------------------------------------------------------------------------------------

    /// <summary>Adds a validated child: by default one held by its own grain, linked in <see cref="ResourceLinks.Children"/>.</summary>
    protected virtual ValueTask<ResourceResponse> AddChild(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> accepted, string now) => AddLinkedChild(request, policy, accepted, now);

    /// <summary>Whether children's names live in <see cref="IChildIndexGrain"/> shards (the CSEBase) rather than in the links.</summary>
    protected virtual bool IndexesChildren => false;

    /// <summary>Whether a child (of any type) already has this name.</summary>
    protected virtual bool IsNameTaken(string name) => Links.HasChildren && Links.Children.ContainsKey(name);

    /// <summary>Who owns a child created by <paramref name="originator"/> under this resource.</summary>
    protected virtual string ChildOwner(string originator) => State.Owner;

    /// <summary>The child with this name; an expired one is still returned and answers "missing" itself.</summary>
    protected virtual ValueTask<ChildReference?> FindChild(string name, string now) =>
        ValueTask.FromResult(Links.HasChildren && Links.Children.TryGetValue(name, out var child) ? child : null);

    /// <summary>
    /// Children for result content 4, 5, 6 and 8 (attributes loaded only when asked for), only those
    /// <paramref name="originator"/> may retrieve: a child it may not retrieve is left out, by name too.
    /// </summary>
    protected virtual ValueTask<List<ChildEntry>> ListChildren(bool withAttributes, int max, string now, string originator) =>
        ListLinkedChildren(withAttributes, max, now, originator);

    /// <summary>This resource for discovery, with a page of its children from <paramref name="continuation"/>.</summary>
    protected virtual ValueTask<DiscoveryView> DescribeChildren(FilterCriteria filter, bool matches, string? continuation, string now)
    {
        // Expired children are not filtered here: each answers for itself when visited.
        return ValueTask.FromResult(new DiscoveryView(true, State.Path, matches, [.. Links.Children.Values], [], null));
    }

    // ---- content held by the resource (sub-targets: a container's la, ol and instances) ----------------------

    /// <summary>Retrieves a sub-target; by default there is none.</summary>
    protected virtual ValueTask<ResourceResponse> RetrieveSubTarget(ResourceRequest request, string now) =>
        ValueTask.FromResult(ResourceResponse.Missing());

    /// <summary>Deletes a sub-target; by default there is none.</summary>
    protected virtual ValueTask<ResourceResponse> DeleteSubTarget(ResourceRequest request, string now) =>
        ValueTask.FromResult(ResourceResponse.Missing());

    // ---- questions ------------------------------------------------------------------------------------------

    /// <summary>The resource's attributes as sent on the wire.</summary>
    protected virtual Dictionary<string, object?> CurrentAttributes() => State.Attributes;
}
