using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Resources.Node;

/// <summary>
/// A node (ty 14), keyed by its <c>ri</c>, parent of its mgmtObjs. Its <c>hael</c> lists the AEs whose <c>nl</c> names
/// it: each AE tells it (<see cref="INodeGrain.HostAe"/>) before answering its own create, update or delete, so a
/// retrieve right after shows the change; when the node is deleted, those AEs drop their <c>nl</c> (as ACME does).
/// </summary>
[DevicePlacement]
internal sealed class NodeGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<NodeGrain> logger) : ResourceGrain(store, options, logger), INodeGrain
{
    protected override ResourcePolicy Policy => NodePolicy.Rules;

    public async ValueTask<bool> HostAe(string aeId, bool hosted)
    {
        if (!IsLive(Now()))
        {
            return false;
        }

        var hael = State.Attributes.GetValueOrDefault(NodePolicy.HostedAeLinks) as List<object?>;
        if (hosted == (hael?.Contains(aeId) == true))
        {
            return true;
        }

        var links = hael is null ? [] : new List<object?>(hael);
        if (hosted)
        {
            links.Add(aeId);
        }
        else
        {
            links.Remove(aeId);
        }

        // Without hosted AEs the attribute is absent, not an empty list (hael has at least one entry).
        var updated = new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal);
        if (links.Count > 0)
        {
            updated[NodePolicy.HostedAeLinks] = links;
        }
        else
        {
            updated.Remove(NodePolicy.HostedAeLinks);
        }

        await ReplaceAttributesAsync(updated);
        return true;
    }

    protected override async Task WillBeDeleted()
    {
        if (State.Attributes.GetValueOrDefault(NodePolicy.HostedAeLinks) is not List<object?> hael)
        {
            return;
        }

        var forgets = new List<Task>(hael.Count);
        foreach (var ae in hael)
        {
            if (ae is string aeId && ResourceIds.Classify(aeId, Options.CseBaseId) == ResourceType.AE)
            {
                forgets.Add(GrainFactory.GetGrain<IAeGrain>(aeId).ForgetNode(ResourceId).AsTask());
            }
        }

        await Task.WhenAll(forgets);
    }
}
