using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Node;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Resources.Ae;

/// <summary>
/// An AE (ty 2), keyed by its AE-ID; holds references to its children. Its owner is the AE itself. Its <c>nl</c>
/// (nodeLink) must name a node of this CSE and is stored as that node's resource ID; the node lists the AE in its
/// <c>hael</c> for as long as the link stands. An AE without <c>nl</c> never calls a node.
/// </summary>
[DevicePlacement]
internal sealed partial class AeGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<AeGrain> logger) : ResourceGrain(store, options, logger), IAeGrain
{
    protected override ResourcePolicy Policy => AePolicy.Rules;

    public ValueTask<bool> IsRegistered() => ValueTask.FromResult(IsLive(Now()));

    public async ValueTask<ResourceResponse?> AdmitNotify(string originator)
    {
        if (await Allows(originator, Operation.Notify))
        {
            return null;
        }

        return IsLive(Now())
            ? ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege, $"originator '{originator}' has no NOTIFY privilege on {ResourceId}")
            : ResourceResponse.Missing();
    }

    public ValueTask<IReadOnlyList<string>> PointsOfAccess() => ValueTask.FromResult(LivePointsOfAccess());

    public ValueTask<string?> PollingChannel()
    {
        var now = Now();
        return ValueTask.FromResult(IsLive(now) ? LivePollingChannel(now)?.ResourceId : null);
    }

    /// <summary>
    /// A polling channel is the AE's own: only the AE creates it (4103 for anyone else, CAdmin included), and at most
    /// one (4000), as ACME allows.
    /// </summary>
    protected override ValueTask<ResourceResponse> AddChild(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> accepted, string now)
    {
        if (policy.Type == ResourceType.PollingChannel)
        {
            if (request.Originator != ResourceId)
            {
                return ValueTask.FromResult(ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege,
                    $"only the AE {ResourceId} itself may create its <pollingChannel>, not '{request.Originator}'"));
            }

            if (LivePollingChannel(now) is { } existing)
            {
                return ValueTask.FromResult(ResourceResponse.Error(ResponseStatusCode.BadRequest,
                    $"an AE has at most one <pollingChannel>; {ResourceId} has '{existing.Name}'"));
            }
        }

        return base.AddChild(request, policy, accepted, now);
    }

    public async ValueTask ForgetNode(string nodeId)
    {
        if (!IsLive(Now()) || State.Attributes.GetValueOrDefault(NodePolicy.NodeLink) as string != nodeId)
        {
            return;
        }

        var updated = new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal);
        updated.Remove(NodePolicy.NodeLink);
        await ReplaceAttributesAsync(updated);
    }

    protected override async ValueTask<ResourceResponse?> WillBeCreated(NewResource resource)
    {
        if (resource.Attributes.GetValueOrDefault(NodePolicy.NodeLink) is not string link)
        {
            return null;
        }

        // Checked here, linked once stored (Created): a registration refused later must not be listed by the node.
        var node = await NodeLinks.ResolveAsync(GrainFactory, Options, link);
        if (node is null || !await GrainFactory.GetGrain<INodeGrain>(node).IsLiveResource())
        {
            return NotANode(link);
        }

        resource.Attributes[NodePolicy.NodeLink] = node;
        return null;
    }

    protected override async ValueTask Created(NewResource resource)
    {
        if (NodeOf(resource.Attributes) is not { } node)
        {
            return;
        }

        try
        {
            await node.HostAe(ResourceId, true);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The registration is stored: it stands, and the node misses it until the AE's nl is set again.
            LogNodeLinkFailed(Logger, exception, ResourceId, node.GetPrimaryKeyString());
        }
    }

    protected override async ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated,
        Dictionary<string, object?> accepted, string originator)
    {
        if (!accepted.TryGetValue(NodePolicy.NodeLink, out var value))
        {
            return null;
        }

        string? node = null;
        if (value is string link)
        {
            // Listed by the new node before the update is stored, so a refusal (no such node) changes nothing.
            node = await NodeLinks.ResolveAsync(GrainFactory, Options, link);
            if (node is null || !await GrainFactory.GetGrain<INodeGrain>(node).HostAe(ResourceId, true))
            {
                return NotANode(link);
            }

            updated[NodePolicy.NodeLink] = node;
        }

        if (NodeOf(State.Attributes) is { } previous && previous.GetPrimaryKeyString() != node)
        {
            await previous.HostAe(ResourceId, false);
        }

        return null;
    }

    protected override async Task WillBeDeleted()
    {
        // The AE-ID no longer names a registered AE: it leaves the AE contact list, which only an IN-CSE has (one-way,
        // as its contacts are told; the list tells them only if it lists the AE).
        if (Options.Type == CseTier.IN)
        {
            _ = GrainFactory.GetGrainByKey<IAeContactListPerCseGrain>(AeContactList.AeContactListPolicy.OwnCseEntryId).Deregistered(ResourceId);
        }
        if (NodeOf(State.Attributes) is { } node)
        {
            await node.HostAe(ResourceId, false);
        }
    }

    private ChildReference? LivePollingChannel(string now)
    {
        foreach (var child in Links.Children.Values)
        {
            if (child.Type == ResourceType.PollingChannel && (child.ExpirationTime is not { } et || string.CompareOrdinal(et, now) > 0))
            {
                return child;
            }
        }

        return null;
    }

    /// <summary>The node an AE's stored <c>nl</c> names; null without one (or with one stored before nl was checked).</summary>
    private INodeGrain? NodeOf(Dictionary<string, object?> attributes) =>
        attributes.GetValueOrDefault(NodePolicy.NodeLink) is string node && ResourceIds.Classify(node, Options.CseBaseId) == ResourceType.Node
            ? GrainFactory.GetGrain<INodeGrain>(node)
            : null;

    private static ResourceResponse NotANode(string link) =>
        ResourceResponse.Error(ResponseStatusCode.BadRequest, $"nl (nodeLink) '{link}' does not name a node of this CSE");

    [LoggerMessage(EventId = 2601, Level = LogLevel.Warning, Message = "AE {AeId} is registered, but node {NodeId} could not be told; its hael misses the AE")]
    private static partial void LogNodeLinkFailed(ILogger logger, Exception exception, string aeId, string nodeId);
}
