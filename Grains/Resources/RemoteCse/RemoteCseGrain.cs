using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.RemoteCse;

/// <summary>
/// A <c>&lt;remoteCSE&gt;</c> (ty 16), keyed by its <c>ri</c>: a CSE registered here (TS-0001 10.2.2.3). The CSEBase
/// makes it (name, <c>csi</c> and owner from the registering CSE's originator); its owner, the remote CSE, may read,
/// update (its <c>poa</c>, <c>rr</c> …: a re-registration) and delete it (deregistration). Requests for the remote
/// CSE are forwarded over its <c>poa</c> by the bindings (<see cref="Route"/>), never from this grain's turn.
/// </summary>
internal sealed class RemoteCseGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<RemoteCseGrain> logger) : ResourceGrain(store, options, logger), IRemoteCseGrain
{
    protected override ResourcePolicy Policy => RemoteCsePolicy.Rules;

    public ValueTask<RemoteCseRoute?> Route() =>
        ValueTask.FromResult(IsLive(Now()) && State.Attributes.GetValueOrDefault(RemoteCsePolicy.CseId) is string csi
            ? new RemoteCseRoute(csi, LivePointsOfAccess())
            : null);
}
