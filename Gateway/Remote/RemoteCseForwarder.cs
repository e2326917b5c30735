using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Addressing;

namespace VirtualIoT.Gateway.Remote;

/// <summary>
/// Retargeting (TS-0001 10.2.x, transit requests): a request addressed to a resource on another CSE
/// (<c>/id-mn/cse-mn/app</c>) is sent on to that CSE over a point of access (<c>poa</c>) of its
/// <c>&lt;remoteCSE&gt;</c> here (HTTP or MQTT: <see cref="RemoteCseClient"/>), and its response is the answer. An MN-CSE sends a request for a CSE it has no
/// registration of to its registrar (<see cref="CseOptions.RegistrarCseId"/>). The request identifier and the
/// originator stay those of the request (an AE-ID of this CSE made SP-relative, <c>/id-in/Cae</c>, so that the other
/// CSE does not take it for one of its own); its expiration time (<c>rqet</c>) travels with it and bounds the wait, and
/// so do its group request identifier (<c>gid</c>: the CSE hosting the target refuses a repeat, 4104), result
/// content, identifier form, attribute list and filter criteria. A non-blocking request (<c>rt</c> 1
/// or 2) is accepted here, its <c>&lt;request&gt;</c> held here, and forwarded blocking as it is carried out.
/// Runs in the bindings' pipeline, never in a grain's turn: the only grain calls find the route, which is cached.
/// </summary>
public sealed partial class RemoteCseForwarder
{
    private readonly IGrainFactory _grains;
    private readonly RemoteCseClient _client;
    private readonly RemoteCseRoutes _routes;
    private readonly Func<string, ValueTask<RemoteCseRoute?>> _findRoute;
    private readonly CseOptions _options;
    private readonly ILogger _logger;

    // Requests this process is forwarding, by (originator, rqi): the same pair arriving again while its first
    // arrival is still on its way is a loop (the request came back through the CSEs it passed).
    private readonly ConcurrentDictionary<(string Originator, string RequestId), byte> _inFlight = new();

    /// <summary>Creates the forwarder.</summary>
    public RemoteCseForwarder(IGrainFactory grains, RemoteCseClient client, RemoteCseRoutes routes, IOptions<CseOptions> options, ILogger<RemoteCseForwarder> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _grains = grains;
        _client = client;
        _routes = routes;
        _findRoute = FindRouteAsync;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>
    /// Forwards <paramref name="request"/> to the CSE <paramref name="address"/> names and returns its response;
    /// <paramref name="time"/> is the clock its expiration time was read against.
    /// </summary>
    public async ValueTask<ResourceResponse> ForwardAsync(ResourceRequest request, ParsedAddress address, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cseId = address.BaseId;
        var key = (request.Originator, request.RequestIdentifier);
        if (!_inFlight.TryAdd(key, 0))
        {
            Log.Loop(_logger, request.RequestIdentifier, cseId);
            return ResourceResponse.Error(ResponseStatusCode.TargetNotReachable,
                $"request {request.RequestIdentifier} came back to {_options.CseId} while being forwarded to {cseId}: a forwarding loop");
        }

        try
        {
            var route = await _routes.GetAsync(cseId, _findRoute);
            if (route is null)
            {
                return ResourceResponse.Error(ResponseStatusCode.NotFound, $"no CSE {cseId} is registered with {_options.CseId}");
            }

            foreach (var poa in route.PointsOfAccess)
            {
                if (!Uri.TryCreate(poa, UriKind.Absolute, out var uri) || !RemoteCseClient.Supports(uri))
                {
                    continue;
                }

                var remaining = Remaining(request, time);
                if (remaining <= TimeSpan.Zero)
                {
                    return Expired(request);
                }

                if (await SendAsync(uri, route.CseId, request, address.RemoteTarget!, remaining, cancellationToken) is { } response)
                {
                    return response;
                }
            }

            if (Remaining(request, time) <= ExpiryMargin)
            {
                return Expired(request);
            }

            // Asked again next time: the CSE may have registered again with other points of access.
            _routes.Forget(cseId);
            Log.Unreachable(_logger, cseId, route.PointsOfAccess.Count);
            return ResourceResponse.Error(ResponseStatusCode.TargetNotReachable,
                $"CSE {cseId} answered on none of its points of access ({string.Join(", ", route.PointsOfAccess)})");
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
        }
    }

    /// <summary>
    /// The route to <paramref name="cseId"/>: its <c>&lt;remoteCSE&gt;</c> here, found by name under the CSEBase; for
    /// an MN-CSE, failing that, its registrar's, and while the registrar has no <c>&lt;remoteCSE&gt;</c> here yet (not
    /// registered yet, or refused) the configured registrar address, so that a request gets the registrar's own
    /// answer (a refused link's 4106, say). Asked of the grains on a miss of <see cref="RemoteCseRoutes"/>.
    /// </summary>
    private async ValueTask<RemoteCseRoute?> FindRouteAsync(string cseId)
    {
        if (await RouteOf(cseId) is { } route)
        {
            return route;
        }

        if (_options.RegistrarCseId is not { } registrar)
        {
            return null;
        }

        return (registrar != cseId ? await RouteOf(registrar) : null)
            ?? (_options.RegistrarAddress is { } address ? new RemoteCseRoute(registrar, [address]) : null);
    }

    private async ValueTask<RemoteCseRoute?> RouteOf(string cseId)
    {
        var cseBase = _grains.GetGrain<ICseBaseGrain>(_options.CseBaseId);
        return await cseBase.ResolveChild(cseId[1..]) is { Type: ResourceType.RemoteCSE } child
            ? await _grains.GetGrain<IRemoteCseGrain>(child.ResourceId).Route()
            : null;
    }

    /// <summary>The response of the CSE <paramref name="receiver"/> at <paramref name="poa"/>, or null when it could not be reached there.</summary>
    private async Task<ResourceResponse?> SendAsync(Uri poa, string receiver, ResourceRequest request, string target, TimeSpan remaining, CancellationToken cancellationToken)
    {
        // Sent blocking whatever the originator asked: a non-blocking request is this CSE's to hold (its <request>
        // here), and it forwards the operation as it carries it out.
        var forwarded = request with { Originator = ForwardedOriginator(request.Originator), ResponseType = ResponseType.Blocking };
        var answer = await _client.SendAsync(poa, receiver, target, forwarded,
            remaining < _options.ForwardTimeout ? remaining : _options.ForwardTimeout, cancellationToken);
        if (answer is null)
        {
            Log.PointOfAccessFailed(_logger, poa.Authority);
            return null;
        }

        return answer.Status.IsError()
            ? ResourceResponse.Error(answer.Status, answer.Content?.GetValueOrDefault("m2m:dbg") as string ?? $"{poa.Authority} answered {(int)answer.Status}")
            : new ResourceResponse(answer.Status, answer.Content, Location: answer.Location);
    }

    /// <summary>
    /// The originator as the other CSE must see it: an AE-ID of this CSE (<c>Cae</c>) in SP-relative form
    /// (<c>/id-in/Cae</c>, TS-0001 7.2); CSE-IDs and IDs already SP-relative or absolute stay as they are.
    /// </summary>
    internal string ForwardedOriginator(string originator) =>
        originator.Length > 0 && originator[0] != '/' ? string.Concat(_options.CseId, "/", originator) : originator;

    /// <summary>
    /// A send bounded by the request's remaining time is timed on a monotonic clock in whole milliseconds, while
    /// <c>rqet</c> is read against the wall clock: it can end a millisecond or two before the expiration. A request left
    /// with less than this when no point of access answered has expired (4008), not found its CSE unreachable (5103).
    /// </summary>
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromMilliseconds(50);

    private static TimeSpan Remaining(ResourceRequest request, TimeProvider time) =>
        request.RequestExpiration is { } expiration ? expiration - time.GetUtcNow() : TimeSpan.MaxValue;

    private static ResourceResponse Expired(ResourceRequest request) =>
        ResourceResponse.Error(ResponseStatusCode.RequestTimeout, $"request {request.RequestIdentifier} expired before the remote CSE answered");

    private static partial class Log
    {
        [LoggerMessage(EventId = 3701, Level = LogLevel.Warning, Message = "Request {RequestId} for {CseId} came back while being forwarded: a forwarding loop; answered 5103")]
        public static partial void Loop(ILogger logger, string requestId, string cseId);

        [LoggerMessage(EventId = 3702, Level = LogLevel.Information, Message = "CSE {CseId} answered on none of its {Count} points of access; answered 5103")]
        public static partial void Unreachable(ILogger logger, string cseId, int count);

        [LoggerMessage(EventId = 3703, Level = LogLevel.Debug, Message = "Forwarding to {Authority} failed: not reachable, or no answer in time")]
        public static partial void PointOfAccessFailed(ILogger logger, string authority);
    }
}
