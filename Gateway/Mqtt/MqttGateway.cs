using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Operations;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Remote;
using VirtualIoT.Gateway.Security;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// The oneM2M MQTT binding (TS-0010) on an embedded MQTTnet broker, hosted with the gateway. The broker serves any
/// topic as a plain broker would; its publish interceptor takes the requests addressed to this CSE
/// (<c>/oneM2M/req/&lt;originator&gt;/id-in/json</c>, <c>/oneM2M/reg_req/&lt;credential&gt;/id-in/json</c>; suffix
/// <c>json</c>, <c>cbor</c> or <c>xml</c>, answered in the same), parses
/// them (<see cref="MqttRequestParser"/>), answers them through the pipeline HTTP uses (<see cref="RequestDispatcher"/>)
/// and publishes the response primitive on <c>/oneM2M/resp/…</c> or <c>/oneM2M/reg_resp/…</c> with QoS 1.
/// Messages that cannot be answered are dropped with a log entry and a metric; neither the broker nor other clients
/// notice. Publishing rules per client: <see cref="MqttOriginatorRegistry"/>. Notifications to connected AEs, and
/// the cluster's record of which gateway holds which AE's connection: <see cref="MqttNotifier"/>.
/// </summary>
public sealed partial class MqttGateway : IHostedService, IDisposable, IAsyncDisposable
{
    private const string Protocol = "mqtt";

    private readonly IServiceProvider _services;
    private readonly MqttOptions _options;
    private readonly CseIdentity _cse;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger _logger;
    private readonly MqttOriginatorRegistry _registry = new();

    // The CSE's own ID in topic form ("id-in"): the receiver segment of requests to it, and the client ID its own
    // publishes carry, which no real client may use (ValidateConnectionAsync), so "sent by us" is decidable.
    private readonly string _cseTopicId;
    private RequestDispatcher _dispatcher = null!;
    private RequestOrigins _origins = null!;
    private MqttSecurity _security = null!;
    private MqttServer? _server;
    private string? _linkClientId;
    private readonly MqttResponseRoutes _responseRoutes = new();
    private MqttNotifier? _notifier;
    private MqttRebalancer? _rebalancer;

    /// <summary>Creates the binding; the broker starts with the host.</summary>
    public MqttGateway(IServiceProvider services, IOptions<MqttOptions> options, CseIdentity cse, GatewayMetrics metrics, ILogger<MqttGateway> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cse);
        _services = services;
        _options = options.Value;
        _cse = cse;
        _metrics = metrics;
        _logger = logger;
        _cseTopicId = MqttTopic.ToTopicId(cse.CseId);
    }

    /// <summary>The registry of which client holds which originator (for tests and diagnostics).</summary>
    internal MqttOriginatorRegistry Registry => _registry;

    /// <summary>Notifications over this broker (null until started, and when the broker is off).</summary>
    internal MqttNotifier? Notifier => _notifier;

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        // Resolved now, not in the constructor: a standalone gateway's Orleans client knows the grain classes only
        // once it has connected, which its hosted service (registered before this one) has done by now.
        _dispatcher = _services.GetRequiredService<RequestDispatcher>();
        _origins = _services.GetRequiredService<RequestOrigins>();
        _security = _services.GetRequiredService<MqttSecurity>();
        _linkClientId = _services.GetService<MqttCseLinks>()?.ClientId;
        _notifier = new MqttNotifier(_services.GetRequiredService<IGrainFactory>(), _registry, PublishAsync, _cse,
            _options.ConnectionRefreshInterval, _services.GetRequiredService<ILogger<MqttNotifier>>());

        var factory = new MqttServerFactory();
        var address = IPAddress.Parse(_options.Address);
        var v6Address = string.IsNullOrEmpty(_options.IPv6Address) ? IPAddress.None : IPAddress.Parse(_options.IPv6Address);
        var builder = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(address)
            .WithDefaultEndpointBoundIPV6Address(v6Address)
            .WithDefaultEndpointPort(_options.Port);
        _security.ConfigureTls(builder, address, v6Address);
        // Our listeners, not MQTTnet's: the same endpoints, read and written through buffers (MqttStreamChannel).
        var server = factory.CreateMqttServer(builder.Build(), [new MqttListeners(_services.GetRequiredService<ILogger<MqttListeners>>())]);
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.InterceptingSubscriptionAsync += e =>
        {
            var checkedSubscription = _security.InterceptSubscription(e, _cseTopicId, _registry);
            _responseRoutes.Subscribed(e);
            return checkedSubscription;
        };
        server.InterceptingUnsubscriptionAsync += e =>
        {
            _responseRoutes.Unsubscribed(e);
            return Task.CompletedTask;
        };
        server.SessionDeletedAsync += e =>
        {
            _responseRoutes.SessionDeleted(e.Id);
            return Task.CompletedTask;
        };
        server.ClientConnectedAsync += OnClientConnectedAsync;
        server.ClientDisconnectedAsync += OnClientDisconnectedAsync;
        server.InterceptingPublishAsync += InterceptPublishAsync;
        try
        {
            await server.StartAsync();
        }
        catch (Exception exception) when (SocketError(exception) is { } error)
        {
            server.Dispose();
            throw new InvalidOperationException(
                $"the MQTT binding cannot listen on {_options.Address}:{_options.Port}{(_security.TlsPort > 0 ? $" and TLS port {_security.TlsPort}" : "")} ({error}): "
                + $"another process holds the port, another silo on this machine for one; give each silo its own {MqttOptions.SectionName}:Port "
                + $"(and {MqttTlsOptions.SectionName}:Port), or set {MqttOptions.SectionName}:Enabled to false", exception);
        }

        _server = server;
        _notifier.Start();
        if (_services.GetService<IMqttBrokerDirectory>() is { } brokers)
        {
            // A silo's broker: clients move to a silo that joins, and to the others when this one stops.
            _rebalancer = new MqttRebalancer(server, brokers, _options, _metrics, _services.GetRequiredService<ILogger<MqttRebalancer>>(),
                _linkClientId);
            _rebalancer.Start();
        }
        Log.BrokerStarted(_logger, _options.Address, _options.IPv6Address ?? "none", _options.Port);
    }

    // The socket error that kept the broker from listening (a port in use, an address not on this machine), if any.
    private static System.Net.Sockets.SocketError? SocketError(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is System.Net.Sockets.SocketException socket)
            {
                return socket.SocketErrorCode;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        // Once only: MQTTnet's listener cleanup is not safe to run twice at the same time. A second caller (the host's
        // stop and the container's disposal can overlap) waits for the first one's stop to end.
        lock (_stopLock)
        {
            return _stopping ??= StopOnceAsync(cancellationToken);
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        if (_server is not { } server)
        {
            return;
        }

        if (_rebalancer is { } rebalancer)
        {
            // First, while the cluster still answers: each client to another silo's broker once its requests are answered.
            await rebalancer.HandOverAsync(cancellationToken);
            await rebalancer.DisposeAsync();
        }

        // Closing every connection need not tell the cluster about each: the references to this gateway fail from now
        // on (and lapse), and a device that reconnects elsewhere is attached there.
        _notifier?.BeginStop();
        await _shutdown.CancelAsync();
        try
        {
            await server.StopAsync();
        }
        catch (InvalidOperationException exception)
        {
            // MQTTnet 5.2 can throw while closing listeners that connections are still leaving; the process is
            // stopping either way, so this must not fail the host's shutdown.
            Log.BrokerStopFailed(_logger, exception);
        }

        if (_notifier is { } notifier)
        {
            await notifier.DisposeAsync();
        }
    }

    private readonly Lock _stopLock = new();
    private Task? _stopping;

    // Cancels requests still waiting for their operation execution time when the broker stops.
    private readonly CancellationTokenSource _shutdown = new();

    /// <inheritdoc/>
    public void Dispose()
    {
        Task? running;
        lock (_stopLock)
        {
            // Disposed before any stop (the container's disposal can come first): a later stop has nothing to do.
            running = _stopping is { IsCompleted: false } stopping ? stopping : null;
            _stopping ??= Task.CompletedTask;
        }

        if (running is not null)
        {
            // Disposed while the host's stop still runs: what the stop uses is disposed once it ends.
            _ = running.ContinueWith(_ => DisposeResources(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return;
        }

        DisposeResources();
    }

    private void DisposeResources()
    {
        _server?.Dispose();
        _shutdown.Dispose();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        Dispose();
    }

    // The CSE's own publishes (responses, notifications) carry its ID, which no client may use, so the interceptor
    // can tell them apart.
    private Task PublishAsync(MqttApplicationMessage message) =>
        _server is { } server
            ? server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = _cseTopicId }, CancellationToken.None)
            : Task.CompletedTask;

    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        if (string.Equals(MqttOriginatorRegistry.OriginatorOf(e.ClientId), _cseTopicId, StringComparison.Ordinal))
        {
            // Only the CSE itself is id-in; a client using that ID could forge its responses.
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            Log.ConnectionRefused(_logger, e.ClientId);
        }
        else if (_rebalancer?.RedirectNewcomer(e) == true)
        {
            // This silo is stopping and hands its clients to the others: a newcomer goes there at once.
        }
        else if (Volatile.Read(ref _connections) >= _options.MaxConnections)
        {
            // Past the cap the process would run out of file descriptors and fail for every client; refuse the
            // newcomer instead (MQTT 5 reason "server busy", MQTT 3.1.1 "server unavailable").
            e.ReasonCode = MqttConnectReasonCode.ServerBusy;
            Log.ConnectionLimitReached(_logger, e.ClientId, _options.MaxConnections);
        }
        else if (_security.Required)
        {
            await _security.AuthenticateAsync(e);
        }
    }

    private int _connections;

    // MQTTnet awaits this before it reads the client's first packet, so the cluster knows where the AE is before
    // the client can subscribe or send a request (a subscription whose verification comes back to it, say).
    private async Task OnClientConnectedAsync(ClientConnectedEventArgs e)
    {
        Interlocked.Increment(ref _connections);
        _metrics.RecordMqttConnection(1);
        _responseRoutes.Connected(e.ClientId, e.SessionItems);
        if (_registry.Connected(e.ClientId) is { } gained && _notifier is { } notifier)
        {
            await notifier.AttachAsync(gained);
        }
    }

    private async Task OnClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        Interlocked.Decrement(ref _connections);
        _metrics.RecordMqttConnection(-1);
        var released = _registry.Disconnected(e.ClientId);
        if (released.Count > 0 && _notifier is { } notifier)
        {
            await notifier.DetachAsync(released);
        }
    }

    private Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        // Our own responses come through here too (InjectApplicationMessage): let them go out untouched.
        if (string.Equals(e.ClientId, _cseTopicId, StringComparison.Ordinal))
        {
            return Task.CompletedTask;
        }

        var topic = MqttTopic.Parse(e.ApplicationMessage.Topic, _cseTopicId);
        switch (topic.Kind)
        {
            case MqttTopicKind.Plain:
                // A response to a notification sent on a topic under the path of the AE's mqtt:// poa.
                if (_notifier is { } notifier && PrefixedResponse(e.ApplicationMessage.Topic) is { } prefixed
                    && MayActAs(e.ClientId, prefixed.Originator) && SerializationFormats.TryFromName(prefixed.Suffix, out var prefixedSerialization))
                {
                    notifier.Answer(prefixed.Originator, e.ApplicationMessage.Payload, prefixedSerialization);
                }

                return Task.CompletedTask;
            case MqttTopicKind.Foreign:
                return Task.CompletedTask;
            case MqttTopicKind.Malformed:
                Drop(e, "malformed_topic", MqttPubAckReasonCode.TopicNameInvalid);
                return Task.CompletedTask;
            case MqttTopicKind.CseOnly:
                // This CSE's own client (MqttCseLinks) sends its requests to a CSE connected here: passed on.
                if (!string.Equals(e.ClientId, _linkClientId, StringComparison.Ordinal))
                {
                    Drop(e, "reserved_topic", MqttPubAckReasonCode.NotAuthorized);
                }

                return Task.CompletedTask;
            case MqttTopicKind.ResponseToCse:
                // An AE's answer to a notification; only the addressed AE may answer. Passed on to subscribers too,
                // as a plain broker would (a watcher may follow the exchange).
                if (!MayActAs(e.ClientId, topic.Originator))
                {
                    Drop(e, "foreign_originator", MqttPubAckReasonCode.NotAuthorized);
                }
                else if (SerializationFormats.TryFromName(topic.Suffix, out var answerSerialization))
                {
                    _notifier?.Answer(topic.Originator, e.ApplicationMessage.Payload, answerSerialization);
                }

                return Task.CompletedTask;
        }

        // A request to this CSE: never forwarded to subscribers, answered (or dropped) here.
        if (!SerializationFormats.TryFromName(topic.Suffix, out var serialization))
        {
            // Neither json, cbor nor xml: the answer must use the request's serialization, which cannot be written.
            Drop(e, "unsupported_serialization", MqttPubAckReasonCode.PayloadFormatInvalid);
            return Task.CompletedTask;
        }

        if (!MayActAs(e.ClientId, topic.Originator))
        {
            // Not answered: the answer would go to the impersonated client's response topic.
            Log.ForeignOriginator(_logger, e.ClientId, topic.Originator);
            Drop(e, "foreign_originator", MqttPubAckReasonCode.NotAuthorized);
            return Task.CompletedTask;
        }

        e.ProcessPublish = false;
        return HandleRequestAsync(e, topic, serialization);
    }

    private bool MayActAs(string clientId, string originator) => _security.MayActAs(_registry, clientId, originator);

    private async Task HandleRequestAsync(InterceptingPublishEventArgs e, MqttTopic topic, ContentSerialization serialization)
    {
        var startTimestamp = _metrics.Enabled ? Stopwatch.GetTimestamp() : 0;
        var payload = e.ApplicationMessage.Payload;
        var parsed = payload.Length > _options.MaxPayloadBytes
            ? MqttRequestParser.TooLarge(payload, _options.MaxPayloadBytes)
            : MqttRequestParser.Parse(payload, topic, _cse, serialization);

        if (parsed.RequestIdentifier is null)
        {
            Drop(e, "unanswerable", MqttPubAckReasonCode.PayloadFormatInvalid, parsed.Error?.Message);
            return;
        }

        // rqet, rset, oet, rt: checked on arrival (the broker may have held the message), as over HTTP.
        (parsed, var timing) = PrimitiveExchange.WithTiming(_dispatcher, parsed);
        var exchange = new Exchange(e.ClientId, e.ApplicationMessage.Topic, topic, parsed, timing, startTimestamp);

        // Until its answer is out, the client is not sent to another broker (MqttRebalancer).
        _rebalancer?.RequestStarted(e.ClientId);
        if (parsed.Request is not null && (_dispatcher.IsDeferred(timing) || RequestDispatcher.MayLongPoll(parsed.Request, parsed.Address)))
        {
            // A future oet, or a long poll of a polling channel's pcu: the request waits (on a timer, or for the
            // channel), off this client's message loop (MQTTnet handles one client's publishes in order, and its
            // next requests, such as the answer to what it polls, must not wait for this one).
            _ = AnswerLaterAsync(exchange);
            return;
        }

        try
        {
            await AnswerAsync(exchange, e.CancellationToken);
        }
        finally
        {
            _rebalancer?.RequestEnded(e.ClientId);
        }
    }

    private sealed record Exchange(string ClientId, string TopicName, MqttTopic Topic, MqttRequest Parsed, RequestTiming Timing, long StartTimestamp);

    private async Task AnswerLaterAsync(Exchange exchange)
    {
        try
        {
            await AnswerAsync(exchange, _shutdown.Token);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // The broker stops: a request still waiting for its oet is not carried out.
        }
        catch (Exception exception)
        {
            Log.UnhandledException(_logger, exception, exchange.ClientId, exchange.Parsed.RequestIdentifier!);
        }
        finally
        {
            _rebalancer?.RequestEnded(exchange.ClientId);
        }
    }

    private async Task AnswerAsync(Exchange exchange, CancellationToken cancellationToken)
    {
        var (clientId, topicName, topic, parsed, timing, startTimestamp) = exchange;
        var requestIdentifier = parsed.RequestIdentifier!;
        var request = parsed.Request;
        // One activity and one log scope per oneM2M request, as over HTTP (GatewayTelemetry).
        using var activity = GatewayTelemetry.StartRequest(Protocol, requestIdentifier, request?.Originator ?? topic.Originator);
        using var logScope = _metrics.BeginRequestScope(_logger, requestIdentifier);
        var refusal = request is not null && _security.Required
            ? _security.Authenticator.CheckIdentity(request, MqttOriginatorRegistry.IdentityOf(clientId))
            : null;
        var response = await PrimitiveExchange.ExecuteAsync(_dispatcher, parsed, timing, refusal, _origins.Mqtt, _logger, Protocol, clientId, cancellationToken);
        if (PrimitiveExchange.RegisteredAeId(request, response) is { } aeId && _registry.Claim(clientId, aeId) && _notifier is { } notifier)
        {
            // Before the response: the AE may subscribe as soon as it has it.
            await notifier.AttachAsync(aeId);
        }

        if (response.StatusCode.IsError())
        {
            Log.RequestFailed(_logger, topicName, requestIdentifier, (int)response.StatusCode, response.Message);
        }

        if (!parsed.NoResponse)
        {
            // The answer uses the request's serialization: the topic's suffix, checked on arrival.
            _ = SerializationFormats.TryFromName(topic.Suffix, out var serialization);
            var bytes = MqttResponseWriter.Write(response, requestIdentifier, parsed.ReleaseVersion, parsed.From, _cse.CseId, parsed.VendorInformation,
                serialization);
            var builder = new MqttApplicationMessageBuilder()
                .WithTopic(topic.ResponseTopic(_cseTopicId))
                .WithPayload(bytes)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithContentType(SerializationFormats.MediaType(serialization));
            if (response.RetryAfterSeconds is { } retryAfter)
            {
                // HTTP's Retry-After, as an MQTT 5 user property (MQTT 3.1.1 clients read it from the m2m:dbg text).
                builder.WithUserProperty("Retry-After", Encoding.ASCII.GetBytes(retryAfter.ToString(CultureInfo.InvariantCulture)));
            }

            // Straight into the subscribing session's queue when its subscription is known (MqttResponseRoutes).
            var answer = builder.Build();
            if (!_responseRoutes.TryDeliver(answer, topic.Originator))
            {
                await PublishAsync(answer);
            }
        }

        PrimitiveExchange.Complete(_metrics, Protocol, activity, request, response, startTimestamp);
    }

    // "<path>/oneM2M/resp/id-in/<AE-ID>/json": the oneM2M part of a topic under an mqtt:// poa's path, when it is a
    // response to this CSE.
    private MqttTopic? PrefixedResponse(string topic)
    {
        var index = topic.IndexOf("/oneM2M/resp/", StringComparison.Ordinal);
        if (index <= 0)
        {
            return null;
        }

        var inner = MqttTopic.Parse(topic[index..], _cseTopicId);
        return inner.Kind == MqttTopicKind.ResponseToCse ? inner : null;
    }

    private void Drop(InterceptingPublishEventArgs e, string reason, MqttPubAckReasonCode reasonCode, string? detail = null)
    {
        e.ProcessPublish = false;

        // Seen by MQTT 5 clients in their PUBACK; MQTT 3.1.1 has no reason codes.
        e.Response.ReasonCode = reasonCode;
        _metrics.RecordMqttDropped(reason);
        Log.MessageDropped(_logger, e.ClientId, e.ApplicationMessage.Topic, reason, detail);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "MQTT broker listening on {Address} (IPv6: {IPv6Address}), port {Port}")]
        public static partial void BrokerStarted(ILogger logger, string address, string iPv6Address, int port);

        [LoggerMessage(EventId = 3198, Level = LogLevel.Warning, Message = "MQTT connection of client {ClientId} refused: the broker holds its maximum of {MaxConnections} connections")]
        public static partial void ConnectionLimitReached(ILogger logger, string clientId, int maxConnections);

        [LoggerMessage(EventId = 3199, Level = LogLevel.Warning, Message = "MQTT broker did not stop cleanly")]
        public static partial void BrokerStopFailed(ILogger logger, Exception exception);

        // Bad input from a device is an expected outcome: Debug, as a 4xxx over HTTP; virtualiot.mqtt.dropped counts it.
        [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "MQTT message from client {ClientId} on {Topic} dropped ({Reason}): {Detail}")]
        public static partial void MessageDropped(ILogger logger, string clientId, string topic, string reason, string? detail);

        [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "MQTT request {RequestIdentifier} on {Topic} answered {ResponseStatusCode}: {Reason}")]
        public static partial void RequestFailed(ILogger logger, string topic, string requestIdentifier, int responseStatusCode, string? reason);

        [LoggerMessage(EventId = 3103, Level = LogLevel.Error, Message = "Unhandled exception in MQTT request {RequestIdentifier} from client {ClientId}; answered 5000")]
        public static partial void UnhandledException(ILogger logger, Exception exception, string clientId, string requestIdentifier);

        // An attempt to act as another connected device: worth an operator's eye, unlike malformed input.
        [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "MQTT client {ClientId} published as originator {Originator}, which another connected client holds; dropped")]
        public static partial void ForeignOriginator(ILogger logger, string clientId, string originator);

        [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "MQTT connection with client ID {ClientId} refused: the ID is this CSE's")]
        public static partial void ConnectionRefused(ILogger logger, string clientId);
    }
}
