using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;remoteCSE&gt;</c> (ty 16, key = its <c>ri</c>) under the CSEBase: the registration of another CSE
/// (an MN-CSE or ASN-CSE registering here, or the registrar this CSE registered to). Its name is the remote CSE-ID
/// without the leading <c>/</c>, so an SP-relative address <c>/&lt;csi&gt;/…</c> finds it by name.
/// </summary>
[Alias("VirtualIoT.IRemoteCseGrain")]
public interface IRemoteCseGrain : IClusterResourceGrain
{
    /// <summary>
    /// Where requests for the remote CSE go: its CSE-ID and points of access (<c>poa</c>); null when no live
    /// registration has this ID.
    /// </summary>
    [Alias("Route"), ReadOnly]
    ValueTask<RemoteCseRoute?> Route();
}

/// <summary>How to reach a registered remote CSE.</summary>
/// <param name="CseId">Its SP-relative CSE-ID (<c>/id-mn</c>).</param>
/// <param name="PointsOfAccess">Its <c>poa</c> (<c>http://host:port</c>, <c>mqtt://host:port</c>), in the order given.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.RemoteCseRoute")]
public sealed record RemoteCseRoute(
    [property: Id(0)] string CseId,
    [property: Id(1)] IReadOnlyList<string> PointsOfAccess);

/// <summary>
/// A process's memory of the routes to remote CSEs (the bindings keep one, so that a forwarded request costs no grain
/// call). A <c>&lt;remoteCSE&gt;</c> grain tells the one of its own process when its registration is made, changed or
/// removed; other processes see the change when their entry is older than <see cref="CseOptions.RemoteRouteRefresh"/>.
/// </summary>
public interface IRemoteCseRouteCache
{
    /// <summary>Forgets every route: a registration was made, changed or removed.</summary>
    void Invalidate();
}
