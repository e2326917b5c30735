using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Security;

namespace VirtualIoT.Gateway.WebSockets;

/// <summary>
/// The oneM2M WebSocket binding (TS-0020) on the HTTP port, at <see cref="WebSocketBindingOptions.Path"/>, over
/// ASP.NET Core's WebSockets middleware. The opening handshake must offer a oneM2M subprotocol
/// (<see cref="WebSocketSubprotocols"/>), else it is refused 400 with the reason in the body, as the reference CSE's
/// WebSocket library does; with authentication required it must carry the HTTP binding's Basic credentials (else 401).
/// Then request and response primitives travel on the connection (<see cref="WebSocketConnection"/>), parsed as MQTT's
/// are (<see cref="MqttRequestParser"/>) and answered through the shared pipeline (<see cref="RequestDispatcher"/>).
/// Which connection acts as which originator follows MQTT's rule (<see cref="MqttOriginatorRegistry"/>): a connection
/// holds the AE-IDs it registers and the originators it was the first to use, and no other connection may use them
/// while it is open; the AEs it holds get their notifications over it (<see cref="WebSocketNotifier"/>).
/// </summary>
public sealed partial class WebSocketGateway : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan s_closeGrace = TimeSpan.FromSeconds(2);

    private readonly IServiceProvider _services;
    private readonly WebSocketBindingOptions _options;
    private readonly MqttOriginatorRegistry _registry = new();
    private readonly ConcurrentDictionary<string, WebSocketConnection> _connections = new(StringComparer.Ordinal);

    // Originator → the connection that holds it (the latest to claim it, when several do).
    private readonly ConcurrentDictionary<string, WebSocketConnection> _holders = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Lazy<Task>? _stop;
    private OriginatorAuthenticator _authenticator = null!;
    private long _connectionCounter;

    /// <summary>Creates the binding; it serves connections once the host has started.</summary>
    public WebSocketGateway(IServiceProvider services, IOptions<WebSocketBindingOptions> options, IOptions<GatewayOptions> gatewayOptions, CseIdentity cse,
        GatewayMetrics metrics, ILogger<WebSocketGateway> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(gatewayOptions);
        _services = services;
        _options = options.Value;
        MaxMessageBytes = gatewayOptions.Value.MaxBodyBytes;
        Cse = cse;
        Metrics = metrics;
        Logger = logger;
    }

    internal CseIdentity Cse { get; }

    internal GatewayMetrics Metrics { get; }

    internal ILogger Logger { get; }

    internal RequestDispatcher Dispatcher { get; private set; } = null!;

    /// <summary>What this binding marks its requests with (<see cref="RequestOrigins.WebSocket"/>).</summary>
    internal BindingOrigin Origin { get; private set; } = null!;

    internal WebSocketNotifier? Notifier { get; private set; }

    /// <summary>Largest message accepted: <see cref="GatewayOptions.MaxBodyBytes"/>, as for an HTTP body.</summary>
    internal int MaxMessageBytes { get; }

    /// <summary>The registry of which connection holds which originator (for tests and diagnostics).</summary>
    internal MqttOriginatorRegistry Registry => _registry;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        // Resolved now, not in the constructor: a standalone gateway's Orleans client knows the grain classes only
        // once it has connected, which its hosted service (registered before this one) has done by now.
        Dispatcher = _services.GetRequiredService<RequestDispatcher>();
        Origin = _services.GetRequiredService<RequestOrigins>().WebSocket;
        _authenticator = _services.GetRequiredService<OriginatorAuthenticator>();
        Notifier = new WebSocketNotifier(_services.GetRequiredService<IGrainFactory>(), _registry, ConnectionOf, Cse,
            _options.ConnectionRefreshInterval, _services.GetRequiredService<ILogger<WebSocketNotifier>>());
        Notifier.Start();

        // Connections close as soon as the host begins to stop, before any hosted service stops: the web server's
        // graceful stop waits for open requests, and an open WebSocket (another CSE's link, a device) is one until it
        // is closed here, so closing only in this service's own StopAsync held a stop for its whole timeout.
        _services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => _ = StopAsync(CancellationToken.None));
        Log.Listening(Logger, _options.Path);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        // Once: on ApplicationStopping and again as a hosted service (and on dispose); later calls share the first.
        var stop = new Lazy<Task>(StopOnceAsync);
        return (Interlocked.CompareExchange(ref _stop, stop, null) ?? stop).Value;
    }

    private async Task StopOnceAsync()
    {
        // Closing every connection need not tell the cluster about each: the references to this gateway fail from now
        // on (and lapse), and a device that reconnects elsewhere is attached there.
        Notifier?.BeginStop();
        using (var grace = new CancellationTokenSource(s_closeGrace))
        {
            await Parallel.ForEachAsync(_connections.Values, grace.Token, async (connection, token) =>
                await connection.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "the CSE is stopping", token));
        }

        await _stopping.CancelAsync();
        if (Notifier is { } notifier)
        {
            await notifier.DisposeAsync();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stopping.Dispose();
    }

    /// <summary>Handles a request to the binding's path: the opening handshake, then the connection until it ends.</summary>
    public static async Task HandleAsync(HttpContext context, WebSocketGateway gateway)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(gateway);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            // As RFC 6455 4.2.2 and the reference CSE's library: this path speaks WebSocket only.
            context.Response.Headers[HeaderNames.Upgrade] = "websocket";
            await Refuse(context, gateway, StatusCodes.Status426UpgradeRequired, "not a WebSocket handshake; this endpoint needs a WebSocket client");
            return;
        }

        var offered = context.WebSockets.WebSocketRequestedProtocols;
        if (!WebSocketSubprotocols.TrySelect(offered, out var subprotocol, out var serialization))
        {
            await Refuse(context, gateway, StatusCodes.Status400BadRequest, WebSocketSubprotocols.RefusalReason(offered));
            return;
        }

        string? authenticatedAs = null;
        if (gateway._authenticator.Required)
        {
            authenticatedAs = await gateway._authenticator.AuthenticateConnectionAsync(context.Request.Headers.Authorization);
            if (authenticatedAs is null)
            {
                context.Response.Headers[HeaderNames.WWWAuthenticate] = "Basic realm=\"oneM2M\"";
                await Refuse(context, gateway, StatusCodes.Status401Unauthorized,
                    "the originator must authenticate: HTTP Basic credentials with user name = the originator and password = its secret");
                return;
            }
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = subprotocol,
            KeepAliveInterval = gateway._options.KeepAliveInterval,
        });
        await gateway.ServeAsync(socket, serialization, authenticatedAs);
    }

    private async Task ServeAsync(WebSocket socket, Serialization.ContentSerialization serialization, string? authenticatedAs)
    {
        var id = "ws-" + Interlocked.Increment(ref _connectionCounter).ToString(CultureInfo.InvariantCulture);
        var connection = new WebSocketConnection(this, socket, id, serialization, authenticatedAs, _options.MaxRequestsInFlight);
        _connections[id] = connection;
        _registry.Opened(id);
        Metrics.RecordWebSocketConnection(1);
        try
        {
            if (authenticatedAs is not null)
            {
                // The credentials prove the originator: its notifications may come over this connection.
                await ClaimAsync(connection, authenticatedAs);
            }

            await connection.RunAsync(_stopping.Token);
        }
        finally
        {
            Metrics.RecordWebSocketConnection(-1);
            _connections.TryRemove(id, out _);
            await ReleaseAsync(connection);
        }
    }

    /// <summary>
    /// Null when <paramref name="connection"/> may send <paramref name="request"/> as its originator, else the 4106
    /// error. Without authentication a connection may use any originator no other open connection holds, and the
    /// first use claims it; with it, only the originator its credentials proved.
    /// </summary>
    internal async ValueTask<OneM2MError?> AdmitAsync(WebSocketConnection connection, ResourceRequest request)
    {
        var originator = request.Originator;
        if (connection.AuthenticatedAs is { } authenticated)
        {
            return _authenticator.CheckIdentity(request, authenticated);
        }

        // Empty, C or S: an AE registering asks the CSE for an AE-ID; it holds the one it gets. An entity of another
        // CSE is that CSE's to relay (Mcc), over any connection it opens: held by none.
        if (originator is "" or "C" or "S" || PrimitiveRules.IsRelayed(originator, Cse) || _registry.Holds(connection.Id, originator))
        {
            return null;
        }

        if (!_registry.MayActAs(connection.Id, originator))
        {
            Log.ForeignOriginator(Logger, connection.Id, originator);
            return new OneM2MError(ResponseStatusCode.OriginatorNotAuthenticated,
                $"originator '{originator}' is in use by another WebSocket connection");
        }

        await ClaimAsync(connection, originator);
        return null;
    }

    /// <summary><paramref name="connection"/> holds <paramref name="originator"/> from now on; the cluster learns it when it is new here.</summary>
    internal async Task ClaimAsync(WebSocketConnection connection, string originator)
    {
        var isNew = _registry.Claim(connection.Id, originator);
        if (!_registry.Holds(connection.Id, originator))
        {
            // The connection ended meanwhile (a request still in flight after the close).
            return;
        }

        connection.Claim(originator);
        _holders[originator] = connection;
        if (isNew && Notifier is { } notifier)
        {
            await notifier.AttachAsync(originator);
        }
    }

    /// <summary>
    /// <paramref name="connection"/> ends: what it held goes to another connection holding it too, or is detached.
    /// Idempotent (called when the close arrives and again when the connection is gone).
    /// </summary>
    internal async Task ReleaseAsync(WebSocketConnection connection)
    {
        var released = _registry.Disconnected(connection.Id);
        foreach (var originator in connection.Claimed)
        {
            if (!_holders.TryGetValue(originator, out var holder) || holder != connection)
            {
                continue;
            }

            WebSocketConnection? successor = null;
            foreach (var other in _connections.Values)
            {
                if (_registry.Holds(other.Id, originator))
                {
                    successor = other;
                    break;
                }
            }

            if (successor is null)
            {
                _holders.TryRemove(new KeyValuePair<string, WebSocketConnection>(originator, connection));
            }
            else
            {
                _holders.TryUpdate(originator, successor, connection);
            }
        }

        if (released.Count > 0 && Notifier is { } notifier)
        {
            await notifier.DetachAsync(released);
        }
    }

    private WebSocketConnection? ConnectionOf(string originator) => _holders.GetValueOrDefault(originator);

    private static async Task Refuse(HttpContext context, WebSocketGateway gateway, int status, string reason)
    {
        Log.Refused(gateway.Logger, status, reason);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("Failed to open a WebSocket connection: " + reason + ".\n", context.RequestAborted);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3400, Level = LogLevel.Information, Message = "oneM2M WebSocket binding listening at {Path} on the HTTP port")]
        public static partial void Listening(ILogger logger, string path);

        [LoggerMessage(EventId = 3401, Level = LogLevel.Debug, Message = "WebSocket handshake refused {Status}: {Reason}")]
        public static partial void Refused(ILogger logger, int status, string reason);

        // An attempt to act as another connected device: worth an operator's eye, unlike malformed input.
        [LoggerMessage(EventId = 3406, Level = LogLevel.Information, Message = "WebSocket connection {ConnectionId} sent a request as originator {Originator}, which another connection holds; refused")]
        public static partial void ForeignOriginator(ILogger logger, string connectionId, string originator);
    }
}
