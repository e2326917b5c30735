using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Ae;

/// <summary>An AE (ty 2), keyed by its AE-ID; holds references to its children. Its owner is the AE itself.</summary>
internal sealed class AeGrain(
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

    public ValueTask<IReadOnlyList<string>> PointsOfAccess() =>
        ValueTask.FromResult<IReadOnlyList<string>>(IsLive(Now()) && State.Attributes.TryGetValue("poa", out var poa) && poa is List<object?> addresses
            ? addresses.OfType<string>().ToList()
            : []);
}
