using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Schedule;

/// <summary>
/// A <c>&lt;schedule&gt;</c> (ty 18), keyed by its <c>ri</c>. It keeps and checks its windows; what they mean is its
/// parent's: a subscription notifies only inside them (it reads them when an event arrives), a node's describe when
/// the device is reachable (recorded for clients; requests are not held back by it), an AE's or the CSEBase's are
/// information. <c>nco</c> is refused anywhere but under a node (4000) and, set true, answered 5001, as ACME does.
/// </summary>
internal sealed class ScheduleGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<ScheduleGrain> logger) : ResourceGrain(store, options, logger), IScheduleGrain
{
    protected override ResourcePolicy Policy => SchedulePolicy.Rules;

    protected override ValueTask<ResourceResponse?> WillBeCreated(NewResource resource) =>
        ValueTask.FromResult(CheckNetworkCoordinated(resource.Attributes, resource.Attributes.ParentId()));

    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator) =>
        ValueTask.FromResult(CheckNetworkCoordinated(updated, updated.ParentId()));

    private ResourceResponse? CheckNetworkCoordinated(Dictionary<string, object?> attributes, string? parentId)
    {
        if (attributes.GetValueOrDefault(SchedulePolicy.NetworkCoordinated) is not bool coordinated)
        {
            return null;
        }

        if (parentId is null || ResourceIds.Classify(parentId, Options.CseBaseId) != ResourceType.Node)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, "nco (networkCoordinated) is only allowed on a schedule under a node");
        }

        return coordinated
            ? ResourceResponse.Error(ResponseStatusCode.NotImplemented, "nco (networkCoordinated) true is not supported: this CSE coordinates with no underlying network")
            : null;
    }
}
