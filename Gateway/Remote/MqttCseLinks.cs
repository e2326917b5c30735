using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Gateway.Security;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Remote;

/// <summary>
/// Requests to other CSEs over their MQTT brokers (TS-0010 6.4 on Mcc, as ACME sends them): for a <c>poa</c>
/// <c>mqtt://broker:1883</c> (or <c>mqtts://</c>) this CSE connects to that broker as a client, once, and keeps the
/// connection for every later request there. A request primitive goes to
/// <c>[poa path]/oneM2M/req/&lt;this CSE&gt;/&lt;receiver CSE&gt;/json</c> (the sender of the hop names the topic, the
/// primitive's <c>fr</c> stays the request's originator); the answer comes on
/// <c>[poa path]/oneM2M/resp/&lt;this CSE&gt;/&lt;receiver CSE&gt;/json</c>, found by its <c>rqi</c>. With a secret for the
/// link (<see cref="CseLinkCredentials"/>) the connection's user name is this CSE's CSE-ID and its password that secret
/// (user information in the <c>poa</c>, <c>mqtt://user:password@host</c>, comes first). A lost connection
/// fails the requests waiting on it (the caller answers 5103) and is opened again by the next request.
/// </summary>
/// <remarks>
/// The client ID is <c>C::&lt;this CSE&gt;:&lt;random&gt;</c> (<see cref="ClientId"/>): unique per process, so that the gateways of one
/// clustered CSE, each with its own connection, do not take over each other's MQTT session; each of them reads every
/// answer to the CSE and keeps those it waits for.
/// </remarks>
public sealed partial class MqttCseLinks : IAsyncDisposable
{
    private readonly LinkSet<Link> _links = new();
    private readonly MqttClientFactory _factory = new();
    private readonly string _cseId;
    private readonly string _cseTopicId;
    private readonly CseLinkCredentials _credentials;
    private readonly ILogger _logger;

    /// <summary>Creates the links (none is opened before a request needs it).</summary>
    public MqttCseLinks(IOptions<CseOptions> options, CseLinkCredentials credentials, ILogger<MqttCseLinks> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cseId = options.Value.CseId;
        _credentials = credentials;
        _cseTopicId = MqttTopic.ToTopicId(_cseId);
        ClientId = string.Concat("C::", _cseTopicId, ":", ResourceIds.RandomString(16));
        _logger = logger;
    }

    /// <summary>
    /// The MQTT client ID of these connections. This CSE's own broker lets it publish on the topics only the CSE
    /// publishes on (<c>/oneM2M/req/&lt;this CSE&gt;/…</c>): the requests to a CSE whose <c>poa</c> is this CSE's own
    /// broker (a CSE connected to it as a client) go out that way too.
    /// </summary>
    public string ClientId { get; }

    /// <summary>True for a <c>poa</c> this class sends to (<c>mqtt://</c>, <c>mqtts://</c>).</summary>
    public static bool Supports(Uri poa)
    {
        ArgumentNullException.ThrowIfNull(poa);
        return poa.Scheme is "mqtt" or "mqtts";
    }

    /// <summary>
    /// Publishes <paramref name="request"/> for <paramref name="target"/> to the CSE <paramref name="receiver"/> on the
    /// broker at <paramref name="poa"/> and waits at most <paramref name="timeout"/> for its answer; null when the broker
    /// could not be reached or no answer came in time.
    /// </summary>
    public async Task<RemoteAnswer?> SendAsync(Uri poa, string receiver, string target, ResourceRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poa);
        ArgumentNullException.ThrowIfNull(request);
        var prefix = poa.AbsolutePath.TrimEnd('/');
        if (_links.Get(string.Concat(poa.Scheme, "://", poa.Authority, prefix), static (_, state) => state.Self.NewLink(state.Poa, state.Prefix, state.Receiver),
            (Self: this, Poa: poa, Prefix: prefix, Receiver: receiver)) is not { } link)
        {
            // The host is stopping: no new connection.
            return null;
        }

        var message = new MqttApplicationMessageBuilder()
            .WithTopic(string.Concat(prefix, "/oneM2M/req/", _cseTopicId, "/", MqttTopic.ToTopicId(receiver), "/", MqttTopic.Json))
            .WithPayload(Representation.PrimitiveToArray(ContentSerialization.Json, ForwardedRequest.Primitive(request, target), request: true))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        try
        {
            return await link.Waiters.ExchangeAsync(request.RequestIdentifier, async token =>
            {
                var client = await link.ConnectedAsync(token);
                await client.PublishAsync(message, token);
            }, timeout, static exception => (exception is MqttCommunicationException && !RefusesCredentials(exception)) || exception is SocketException, cancellationToken);
        }
        catch (MqttConnectingFailedException refused) when (RefusesCredentials(refused))
        {
            // Reachable, but this CSE's credentials are not accepted there: no other poa would do better.
            Log.CredentialsRefused(_logger, poa.Authority, receiver);
            return new RemoteAnswer(ResponseStatusCode.OriginatorNotAuthenticated, Representation.DebugContent(
                $"the MQTT broker of {receiver} at {poa.Authority} refused the credentials of {_cseId} ({RefusedCredentials}): "
                + "the link's secret (Security:Authentication:CseSecrets) must be the same on both CSEs"), null);
        }
    }

    private const MqttClientConnectResultCode RefusedCredentials = MqttClientConnectResultCode.BadUserNameOrPassword;

    // MQTTnet's refusal carries the CONNACK's reason in its message only.
    private static bool RefusesCredentials(Exception exception) =>
        exception is MqttConnectingFailedException && exception.Message.Contains(nameof(MqttClientConnectResultCode.BadUserNameOrPassword), StringComparison.Ordinal);

    /// <summary>Closes every connection.</summary>
    public ValueTask DisposeAsync() => _links.DisposeAsync();

    // The broker at a poa is the receiver's: the connection authenticates with the secret of the link to it, if any.
    private Link NewLink(Uri poa, string prefix, string receiver)
    {
        var builder = _factory.CreateClientOptionsBuilder()
            .WithTcpServer(poa.Host, poa.IsDefaultPort || poa.Port < 0 ? (poa.Scheme == "mqtts" ? 8883 : 1883) : poa.Port)
            .WithClientId(ClientId)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithCleanSession()
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(60));
        if (poa.Scheme == "mqtts")
        {
            builder.WithTlsOptions(static tls => tls.UseTls());
        }

        if (!string.IsNullOrEmpty(poa.UserInfo))
        {
            var colon = poa.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.WithCredentials(Uri.UnescapeDataString(colon < 0 ? poa.UserInfo : poa.UserInfo[..colon]),
                colon < 0 ? null : Uri.UnescapeDataString(poa.UserInfo[(colon + 1)..]));
        }
        else if (_credentials.SecretFor(receiver) is { } secret)
        {
            builder.WithCredentials(_cseId, secret);
        }

        var responses = string.Concat(prefix, "/oneM2M/resp/", _cseTopicId, "/+/", MqttTopic.Json);
        return new Link(_factory, builder.Build(), responses, poa.Authority, _logger);
    }

    /// <summary>One broker: its client, the subscription to this CSE's answers, and the requests waiting for them.</summary>
    private sealed class Link : IAsyncDisposable
    {
        private readonly IMqttClient _client;
        private readonly MqttClientOptions _options;
        private readonly MqttClientSubscribeOptions _subscription;
        private readonly SemaphoreSlim _gate = new(1, 1);
        private readonly string _authority;
        private readonly ILogger _logger;

        public Link(MqttClientFactory factory, MqttClientOptions options, string responseTopic, string authority, ILogger logger)
        {
            _options = options;
            _authority = authority;
            _logger = logger;
            _subscription = factory.CreateSubscribeOptionsBuilder().WithTopicFilter(responseTopic, MqttQualityOfServiceLevel.AtLeastOnce).Build();
            _client = factory.CreateMqttClient();
            Waiters = new AnswerWaiters(authority, logger);
            _client.ApplicationMessageReceivedAsync += e =>
            {
                Waiters.Answer(e.ApplicationMessage.Payload);
                return Task.CompletedTask;
            };
            _client.DisconnectedAsync += _ =>
            {
                Waiters.FailAll();
                return Task.CompletedTask;
            };
        }

        /// <summary>Requests waiting for their answer.</summary>
        public AnswerWaiters Waiters { get; }

        /// <summary>The client, connected (now, if it was not) and subscribed to the answers.</summary>
        public async ValueTask<IMqttClient> ConnectedAsync(CancellationToken cancellationToken)
        {
            if (_client.IsConnected)
            {
                return _client;
            }

            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (!_client.IsConnected)
                {
                    var connected = await _client.ConnectAsync(_options, cancellationToken);
                    if (connected.ResultCode != MqttClientConnectResultCode.Success)
                    {
                        throw new MqttConnectingFailedException($"Connecting with MQTT server failed ({connected.ResultCode}).", null);
                    }

                    await _client.SubscribeAsync(_subscription, cancellationToken);
                    Log.Connected(_logger, _authority);
                }

                return _client;
            }
            finally
            {
                _gate.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_client.IsConnected)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await _client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token);
                }
            }
            catch (Exception exception) when (exception is MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
            {
                // Gone already: nothing to tell the broker.
            }

            _client.Dispose();
            _gate.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3735, Level = LogLevel.Information, Message = "Connected to the MQTT broker at {Authority} for requests to other CSEs")]
        public static partial void Connected(ILogger logger, string authority);

        [LoggerMessage(EventId = 3716, Level = LogLevel.Warning, Message = "The MQTT broker at {Authority} refused this CSE's credentials for {Receiver}: check the link's secret on both CSEs")]
        public static partial void CredentialsRefused(ILogger logger, string authority, string receiver);
    }
}
