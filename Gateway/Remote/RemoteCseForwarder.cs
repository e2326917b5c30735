using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Http;

namespace VirtualIoT.Gateway.Remote;

/// <summary>
/// Retargeting (TS-0001 10.2.x, transit requests): a request addressed to a resource on another CSE
/// (<c>/id-mn/cse-mn/app</c>) is sent on to that CSE over a point of access (<c>poa</c>) of its
/// <c>&lt;remoteCSE&gt;</c> here, and its response is the answer. An MN-CSE sends a request for a CSE it has no
/// registration of to its registrar (<see cref="CseOptions.RegistrarCseId"/>). The request identifier and the
/// originator stay those of the request (an AE-ID of this CSE made SP-relative, <c>/id-in/Cae</c>, so that the other
/// CSE does not take it for one of its own); its expiration time (<c>rqet</c>) travels with it and bounds the wait.
/// Runs in the bindings' pipeline, never in a grain's turn: the only grain calls find the route.
/// </summary>
public sealed partial class RemoteCseForwarder
{
    /// <summary>Name of the HTTP client used for forwarded requests.</summary>
    public const string ClientName = "VirtualIoT.Retargeting";

    private readonly IGrainFactory _grains;
    private readonly IHttpClientFactory _clients;
    private readonly CseOptions _options;
    private readonly ILogger _logger;

    // Requests this process is forwarding, by (originator, rqi): the same pair arriving again while its first
    // arrival is still on its way is a loop (the request came back through the CSEs it passed).
    private readonly ConcurrentDictionary<(string Originator, string RequestId), byte> _inFlight = new();

    /// <summary>Creates the forwarder.</summary>
    public RemoteCseForwarder(IGrainFactory grains, IHttpClientFactory clients, IOptions<CseOptions> options, ILogger<RemoteCseForwarder> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _grains = grains;
        _clients = clients;
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
        if (Unsupported(request) is { } unsupported)
        {
            return ResourceResponse.Error(ResponseStatusCode.NotImplemented, $"a request to another CSE cannot carry {unsupported} here");
        }

        var key = (request.Originator, request.RequestIdentifier);
        if (!_inFlight.TryAdd(key, 0))
        {
            Log.Loop(_logger, request.RequestIdentifier, cseId);
            return ResourceResponse.Error(ResponseStatusCode.TargetNotReachable,
                $"request {request.RequestIdentifier} came back to {_options.CseId} while being forwarded to {cseId}: a forwarding loop");
        }

        try
        {
            var route = await FindRouteAsync(cseId);
            if (route is null)
            {
                return ResourceResponse.Error(ResponseStatusCode.NotFound, $"no CSE {cseId} is registered with {_options.CseId}");
            }

            foreach (var poa in route.PointsOfAccess)
            {
                if (!Uri.TryCreate(poa, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    continue;
                }

                var remaining = Remaining(request, time);
                if (remaining <= TimeSpan.Zero)
                {
                    return Expired(request);
                }

                if (await SendAsync(uri, request, address.RemoteTarget!, remaining, cancellationToken) is { } response)
                {
                    return response;
                }
            }

            if (Remaining(request, time) <= TimeSpan.Zero)
            {
                return Expired(request);
            }

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
    /// an MN-CSE, failing that, its registrar's.
    /// </summary>
    private async ValueTask<RemoteCseRoute?> FindRouteAsync(string cseId)
    {
        if (await RouteOf(cseId) is { } route)
        {
            return route;
        }

        return _options.RegistrarCseId is { } registrar && registrar != cseId ? await RouteOf(registrar) : null;
    }

    private async ValueTask<RemoteCseRoute?> RouteOf(string cseId)
    {
        var cseBase = _grains.GetGrain<ICseBaseGrain>(_options.CseBaseId);
        return await cseBase.ResolveChild(cseId[1..]) is { Type: ResourceType.RemoteCSE } child
            ? await _grains.GetGrain<IRemoteCseGrain>(child.ResourceId).Route()
            : null;
    }

    /// <summary>The response of the CSE at <paramref name="poa"/>, or null when it could not be reached there.</summary>
    private async Task<ResourceResponse?> SendAsync(Uri poa, ResourceRequest request, string target, TimeSpan remaining, CancellationToken cancellationToken)
    {
        var content = request.Content is not null || request.Operation is Operation.Create or Operation.Update or Operation.Notify
            ? new Dictionary<string, object?>(1, StringComparer.Ordinal) { [request.ContentRoot ?? "m2m:sgn"] = request.Content }
            : null;
        using var message = OneM2MHttpRequest.Create(MethodOf(request.Operation), ForwardUri(poa, target, request),
            ForwardedOriginator(request.Originator), request.RequestIdentifier, request.ReleaseVersion ?? "3", content,
            request.Operation == Operation.Create ? request.ResourceType : null);
        if (request.RequestExpiration is { } expiration)
        {
            message.Headers.TryAddWithoutValidation(OneM2MHeaders.RequestExpiration, OneM2MTime.Format(expiration.UtcDateTime));
        }

        var answer = await OneM2MHttpRequest.ExchangeAsync(_clients.CreateClient(ClientName), message,
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

    private static Uri ForwardUri(Uri poa, string target, ResourceRequest request)
    {
        // TS-0009 6.2.2: an SP-relative target travels as /~/<csi>/…
        var uri = new StringBuilder(poa.GetLeftPart(UriPartial.Path).TrimEnd('/')).Append("/~").Append(target);
        var separator = '?';
        void Add(string name, string value)
        {
            uri.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        if (request.ResultContent is { } rcn)
        {
            Add("rcn", ((int)rcn).ToString(CultureInfo.InvariantCulture));
        }

        if (request.IdentifierForm == IdentifierForm.Unstructured)
        {
            Add("drt", "2");
        }

        if (request.AttributeList is { Count: > 0 } attributes)
        {
            Add("atrl", string.Join('+', attributes));
        }

        if (request.Filter is { } filter)
        {
            Add("fu", ((int)filter.Usage).ToString(CultureInfo.InvariantCulture));
            if (filter.ResourceTypes is { Count: > 0 } types)
            {
                Add("ty", string.Join('+', types));
            }

            if (filter.Labels is { Count: > 0 } labels)
            {
                Add("lbl", string.Join('+', labels));
            }

            if (filter.Limit is { } limit)
            {
                Add("lim", limit.ToString(CultureInfo.InvariantCulture));
            }

            if (filter.Level is { } level)
            {
                Add("lvl", level.ToString(CultureInfo.InvariantCulture));
            }

            if (filter.Offset is { } offset)
            {
                Add("ofst", offset.ToString(CultureInfo.InvariantCulture));
            }
        }

        return new Uri(uri.ToString());
    }

    /// <summary>
    /// What a forwarded request cannot carry yet (a non-blocking response type, a group request identifier, filter
    /// criteria beyond <c>fu</c>, <c>ty</c>, <c>lbl</c>, <c>lim</c>, <c>lvl</c>, <c>ofst</c>): refused (5001) rather than
    /// forwarded without it.
    /// </summary>
    private static string? Unsupported(ResourceRequest request)
    {
        if (request.ResponseType != ResponseType.Blocking)
        {
            return "a non-blocking response type (rt)";
        }

        if (request.GroupRequestIdentifier is not null)
        {
            return "a group request identifier (gid)";
        }

        if (request.Filter is { } f && (f.CreatedBefore ?? f.CreatedAfter ?? f.ModifiedSince ?? f.UnmodifiedSince ?? f.ExpireBefore ?? f.ExpireAfter ?? f.Geometry) is not null
            || request.Filter is { } g && (g.StateTagSmaller ?? g.StateTagBigger ?? g.SizeAbove ?? g.SizeBelow) is not null
            || request.Filter is { ContentTypes.Count: > 0 } or { Attributes.Count: > 0 } or { Or: true })
        {
            return "these filter criteria (only fu, ty, lbl, lim, lvl and ofst are forwarded)";
        }

        return null;
    }

    private static TimeSpan Remaining(ResourceRequest request, TimeProvider time) =>
        request.RequestExpiration is { } expiration ? expiration - time.GetUtcNow() : TimeSpan.MaxValue;

    private static ResourceResponse Expired(ResourceRequest request) =>
        ResourceResponse.Error(ResponseStatusCode.RequestTimeout, $"request {request.RequestIdentifier} expired before the remote CSE answered");

    private static HttpMethod MethodOf(Operation operation) => operation switch
    {
        Operation.Retrieve => HttpMethod.Get,
        Operation.Update => HttpMethod.Put,
        Operation.Delete => HttpMethod.Delete,
        _ => HttpMethod.Post,
    };

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
