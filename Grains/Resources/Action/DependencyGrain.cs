using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Action;

/// <summary>
/// A <c>&lt;dependency&gt;</c> (ty 66), keyed by its <c>ri</c>: a condition its action reads when its subject
/// changes (<see cref="ActionGrain"/>). <c>rri</c> must name a resource of this CSE the originator may retrieve
/// (4000 otherwise, as ACME); it is stored as that resource's ID.
/// </summary>
internal sealed class DependencyGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<DependencyGrain> logger) : ResourceGrain(store, options, logger), IDependencyGrain
{
    protected override ResourcePolicy Policy => DependencyPolicy.Rules;

    protected override ValueTask<ResourceResponse?> WillBeCreated(NewResource resource) =>
        CheckReferenced(resource.Attributes, resource.Originator ?? resource.Owner);

    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator) =>
        accepted.ContainsKey("rri") ? CheckReferenced(updated, originator) : ValueTask.FromResult<ResourceResponse?>(null);

    private async ValueTask<ResourceResponse?> CheckReferenced(Dictionary<string, object?> attributes, string originator)
    {
        var reference = (string)attributes["rri"]!;
        var ri = await ResolveReference(reference);
        if (ri is null || GrainFactory.GetClusterResource(ri, Options.CseBaseId) is not { } grain
            || !(IsAdmin(originator) || await grain.Allows(originator, Operation.Retrieve)))
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"rri: '{reference}' is not a resource of this CSE that {originator} may retrieve");
        }

        attributes["rri"] = ri;
        return null;
    }
}
