using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.RemoteCse;

/// <summary>
/// A <c>&lt;remoteCSE&gt;</c> (ty 16), keyed by its <c>ri</c>: a CSE registered here (TS-0001 10.2.2.3). The CSEBase
/// makes it (name, <c>csi</c> and owner from the registering CSE's originator); its owner, the remote CSE, may read,
/// update (its <c>poa</c>, <c>rr</c> …: a re-registration) and delete it (deregistration). Requests for the remote
/// CSE are forwarded over its <c>poa</c> by the bindings (<see cref="Route"/>), never from this grain's turn; the
/// bindings of this process forget the routes they cached whenever the registration changes.
/// </summary>
internal sealed class RemoteCseGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<RemoteCseGrain> logger) : ResourceGrain(store, options, logger), IRemoteCseGrain
{
    protected override ResourcePolicy Policy => RemoteCsePolicy.Rules;

    private string? CseId => State.Attributes.GetValueOrDefault(RemoteCsePolicy.CseId) as string;

    /// <summary>What the remote CSE announces here is its own, also under the registrar's <c>&lt;remoteCSE&gt;</c> this CSE made itself.</summary>
    protected override string ChildOwner(string originator) => originator == CseId ? originator : State.Owner;

    /// <summary>The remote CSE may announce its resources under its <c>&lt;remoteCSE&gt;</c> (TS-0001 10.2.18.1).</summary>
    protected override async ValueTask<bool> MayAccess(string originator, ResourceRequest request) =>
        await base.MayAccess(originator, request)
        || request is { Operation: Operation.Create, ResourceType: { } type } && AnnouncedTypes.IsAnnounced(type) && originator == CseId;

    protected override ValueTask Created(NewResource resource)
    {
        RoutesChanged();
        return ValueTask.CompletedTask;
    }

    protected override void Updated(Dictionary<string, object?> accepted) => RoutesChanged();

    protected override Task WillBeDeleted()
    {
        RoutesChanged();
        return Task.CompletedTask;
    }

    /// <summary>The routes this process's bindings cached may name this registration's old points of access: forgotten.</summary>
    private void RoutesChanged() => ServiceProvider.GetService<IRemoteCseRouteCache>()?.Invalidate();

    public ValueTask<RemoteCseRoute?> Route() =>
        ValueTask.FromResult(IsLive(Now()) && State.Attributes.GetValueOrDefault(RemoteCsePolicy.CseId) is string csi
            ? new RemoteCseRoute(csi, LivePointsOfAccess())
            : null);
}
