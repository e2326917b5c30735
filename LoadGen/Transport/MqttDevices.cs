using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>
/// The MQTT devices: one MQTTnet client (one TCP connection) per device, client ID = AE-ID, spread over the
/// loopback source addresses 127.0.0.1 … 127.0.0.N because one source address has only ~28,000 ephemeral ports
/// (TS-0010 topics: requests on <c>/oneM2M/req/&lt;originator&gt;/&lt;cse-id&gt;/json</c>, answers on
/// <c>/oneM2M/resp/…</c>). Answers are matched to requests by <c>rqi</c>.
/// </summary>
/// <remarks>
/// A device follows its broker's redirection, as an MQTT 5 device may: a DISCONNECT or CONNACK with reason 0x9C (use
/// another server) or 0x9D (server moved) and a server reference makes it connect to the broker named there (the
/// silos' brokers rebalance their clients when a silo joins or leaves). A request whose answer had not come when the
/// connection went is sent again, with the same <c>rqi</c>, on the new connection: a create the CSE had received is
/// answered with the resource it made then, so nothing is written twice.
/// </remarks>
internal sealed class MqttDevices : IAsyncDisposable
{
    /// <summary>Redirections followed in a row, on connecting or by one request, before giving up.</summary>
    private const int MaxRedirects = 4;

    private readonly LoadGenOptions _options;
    private readonly Task<Link>?[] _links;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Reply>> _pending = new(StringComparer.Ordinal);
    private readonly MqttClientFactory _factory = new();
    private readonly string _cseId;
    private readonly IPAddress _broker;
    private int _connected;
    private long _redirects;
    private volatile bool _closing;

    public MqttDevices(LoadGenOptions options, IPAddress broker)
    {
        _options = options;
        _broker = broker;
        _links = new Task<Link>?[options.Devices];
        _cseId = options.CseId.TrimStart('/');
    }

    /// <summary>Devices currently connected.</summary>
    public int Connected => Volatile.Read(ref _connected);

    /// <summary>Redirections to another broker the devices followed (DISCONNECT or CONNACK with a server reference).</summary>
    public long Redirects => Interlocked.Read(ref _redirects);

    /// <summary>Connects device <paramref name="index"/> and subscribes to its response topic.</summary>
    public async Task ConnectAsync(int index, CancellationToken cancellationToken)
    {
        var link = ConnectLinkAsync(index, _broker.ToString(), _options.MqttPorts[index % _options.MqttPorts.Count], cancellationToken);
        _links[index] = link;
        try
        {
            await link;
        }
        catch
        {
            _ = Interlocked.CompareExchange(ref _links[index], null, link);
            throw;
        }
    }

    /// <summary>The loopback source address of device <paramref name="index"/>: 127.0.0.1 … 127.0.0.<paramref name="count"/>.</summary>
    public static IPAddress SourceAddress(int index, int count) => new([127, 0, 0, (byte)(1 + (index % count))]);

    /// <summary>
    /// Publishes <paramref name="spec"/> as device <paramref name="index"/> and waits for its answer; sent again with the
    /// same <c>rqi</c> on the device's next connection when its broker redirected it meanwhile.
    /// </summary>
    public async ValueTask<Reply> SendAsync(int index, RequestSpec spec, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var connecting = Volatile.Read(ref _links[index]) ?? throw new IOException($"device {index} has no MQTT connection");
            var link = await connecting.WaitAsync(cancellationToken);
            if (link.Lost.IsCancellationRequested)
            {
                if (attempt < MaxRedirects && Volatile.Read(ref _links[index]) is { } next && next != connecting)
                {
                    continue;   // redirected: the next connection
                }

                throw new IOException($"device {index}: MQTT connection lost");
            }

            using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, link.Lost.Token);
            try
            {
                return await MqttExchange.SendAsync(link.Client, _cseId, spec, _pending, both.Token);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested && attempt < MaxRedirects
                && exception is OperationCanceledException or IOException or MQTTnet.Exceptions.MqttCommunicationException or ObjectDisposedException)
            {
                // The connection went before the answer came (the broker sent the device elsewhere): again, same rqi.
                // A publish can fail on the broker's DISCONNECT before the client reports the connection gone: wait
                // for that report (within the request's time) to learn whether the device was redirected.
                if (!link.Lost.IsCancellationRequested && !await LostWithinAsync(link, cancellationToken))
                {
                    throw;
                }
            }
        }
    }

    // True once the link is reported lost, false when the request's time ran out first.
    private static async Task<bool> LostWithinAsync(Link link, CancellationToken cancellationToken)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, link.Lost.Token);
        await Task.Delay(Timeout.Infinite, either.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return link.Lost.IsCancellationRequested;
    }

    /// <summary>Disconnects every device, at most <paramref name="parallelism"/> at a time.</summary>
    public async Task DisconnectAllAsync(int parallelism, CancellationToken cancellationToken)
    {
        _closing = true;
        await Parallel.ForAsync(0, _links.Length, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var pending = Interlocked.Exchange(ref _links[i], null);
                if (pending is not { IsCompletedSuccessfully: true })
                {
                    return;
                }

                var link = pending.Result;
                try
                {
                    await link.Client.DisconnectAsync(new MqttClientDisconnectOptions(), token);
                }
                catch (Exception exception) when (exception is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
                {
                    // Gone already: nothing to tell the broker.
                }
                finally
                {
                    Drop(link);
                }
            });
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await DisconnectAllAsync(64, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Bounded: whatever is still connected is closed with the process.
        }
    }

    // One connection of a device: its client; Lost is cancelled when the connection is gone; the server reference of
    // the DISCONNECT that ended it, if any; Dropped is 1 once it was let go.
    private sealed class Link(IMqttClient client)
    {
        public IMqttClient Client { get; } = client;

        public CancellationTokenSource Lost { get; } = new();

        public string? ServerReference { get; set; }

        public int Dropped;
    }

    private async Task<Link> ConnectLinkAsync(int index, string host, int port, CancellationToken cancellationToken)
    {
        for (var redirects = 0; ; redirects++)
        {
            var aeId = _options.AeId(index);
            var client = _factory.CreateMqttClient();
            var link = new Link(client);
            client.ApplicationMessageReceivedAsync += e =>
            {
                OnMessage(e.ApplicationMessage.Payload);
                return Task.CompletedTask;
            };
            client.InspectPacketAsync += e =>
            {
                if (e.Direction == MQTTnet.Diagnostics.PacketInspection.MqttPacketFlowDirection.Inbound && MqttServerReference.OfDisconnect(e.Buffer) is { } reference)
                {
                    link.ServerReference = reference;
                }

                return Task.CompletedTask;
            };
            client.DisconnectedAsync += e => OnDisconnected(index, link, e);
            var options = _factory.CreateClientOptionsBuilder()
                .WithTcpServer(host, port)
                .WithClientId(aeId)
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithKeepAlivePeriod(TimeSpan.FromMinutes(5))
                .WithTimeout(_options.RequestTimeout)
                .Build();
            if (options.ChannelOptions is MqttClientTcpOptions tcp && IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address)
                && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            {
                tcp.LocalEndpoint = new IPEndPoint(SourceAddress(index, _options.SourceAddresses), 0);
            }

            MqttClientConnectResult connack;
            try
            {
                connack = await client.ConnectAsync(options, cancellationToken);
                if (connack.ResultCode == MqttClientConnectResultCode.Success)
                {
                    await client.SubscribeAsync(_factory.CreateSubscribeOptionsBuilder()
                        .WithTopicFilter($"/oneM2M/resp/{aeId}/{_cseId}/json", MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
                }
            }
            catch
            {
                Drop(link, connected: false);
                throw;
            }

            if (connack.ResultCode != MqttClientConnectResultCode.Success)
            {
                Drop(link, connected: false);
                if (redirects < MaxRedirects && connack.ResultCode is MqttClientConnectResultCode.UseAnotherServer or MqttClientConnectResultCode.ServerMoved
                    && connack.ServerReference is { } reference && MqttServerReference.TryParse(reference, out var nextHost, out var nextPort))
                {
                    // CONNACK 0x9C / 0x9D: the broker refused the device and named the one to use.
                    Interlocked.Increment(ref _redirects);
                    host = nextHost;
                    port = nextPort;
                    continue;
                }

                throw new IOException($"device {index}: CONNACK {connack.ResultCode} from {host}:{port}");
            }

            Interlocked.Increment(ref _connected);
            return link;
        }
    }

    private Task OnDisconnected(int index, Link link, MqttClientDisconnectedEventArgs e)
    {
        if (!e.ClientWasConnected || Volatile.Read(ref link.Dropped) != 0)
        {
            return Task.CompletedTask;
        }

        // A redirection: the device's next connection is the one its requests wait for, before this one is reported gone.
        var current = Volatile.Read(ref _links[index]);
        if (!_closing && e.Reason is MqttClientDisconnectReason.UseAnotherServer or MqttClientDisconnectReason.ServerMoved
            && link.ServerReference is { } reference && MqttServerReference.TryParse(reference, out var host, out var port) && current is not null)
        {
            Interlocked.Increment(ref _redirects);
            var next = ConnectLinkAsync(index, host, port, CancellationToken.None);
            _ = Interlocked.CompareExchange(ref _links[index], next, current);
        }

        Drop(link, dispose: false);
        _ = Task.Run(link.Client.Dispose);   // not inside the client's own event
        return Task.CompletedTask;
    }

    private void Drop(Link link, bool connected = true, bool dispose = true)
    {
        if (Interlocked.Exchange(ref link.Dropped, 1) != 0)
        {
            return;
        }

        if (connected)
        {
            Interlocked.Decrement(ref _connected);
        }

        link.Lost.Cancel();
        if (dispose)
        {
            link.Client.Dispose();
        }
    }

    /// <summary>Matches a response primitive to its request by <c>rqi</c>; reads <c>rsc</c> and keeps <c>pc</c> as text.</summary>
    private void OnMessage(ReadOnlySequence<byte> payload)
    {
        if (TryReadResponse(payload, out var rqi, out var rsc, out var content) && rqi is not null && _pending.TryRemove(rqi, out var waiter))
        {
            waiter.TrySetResult(new Reply(rsc, rsc, content));
        }
    }

    /// <summary>Top-level <c>rqi</c>, <c>rsc</c> and <c>pc</c> (raw JSON) of a response primitive.</summary>
    internal static bool TryReadResponse(ReadOnlySequence<byte> payload, out string? rqi, out int rsc, out string? content)
    {
        rqi = null;
        rsc = 0;
        content = null;
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("rqi"u8))
                {
                    reader.Read();
                    rqi = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("rsc"u8))
                {
                    reader.Read();
                    rsc = reader.TokenType == JsonTokenType.Number ? reader.GetInt32() : 0;
                }
                else if (reader.ValueTextEquals("pc"u8))
                {
                    reader.Read();
                    var start = reader.TokenStartIndex;
                    reader.Skip();
                    var end = reader.BytesConsumed;
                    content = Encoding.UTF8.GetString(payload.Slice(start, end - start));
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return rqi is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
