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
internal sealed class MqttDevices : IAsyncDisposable
{
    private readonly LoadGenOptions _options;
    private readonly IMqttClient?[] _clients;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Reply>> _pending = new(StringComparer.Ordinal);
    private readonly MqttClientFactory _factory = new();
    private readonly string _cseId;
    private readonly IPAddress _broker;
    private int _connected;

    public MqttDevices(LoadGenOptions options, IPAddress broker)
    {
        _options = options;
        _broker = broker;
        _clients = new IMqttClient?[options.Devices];
        _cseId = options.CseId.TrimStart('/');
    }

    /// <summary>Devices currently connected.</summary>
    public int Connected => Volatile.Read(ref _connected);

    /// <summary>Connects device <paramref name="index"/> and subscribes to its response topic.</summary>
    public async Task ConnectAsync(int index, CancellationToken cancellationToken)
    {
        var aeId = _options.AeId(index);
        var client = _factory.CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            OnMessage(e.ApplicationMessage.Payload);
            return Task.CompletedTask;
        };
        var options = _factory.CreateClientOptionsBuilder()
            .WithTcpServer(_broker.ToString(), _options.MqttPorts[index % _options.MqttPorts.Count])
            .WithClientId(aeId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithKeepAlivePeriod(TimeSpan.FromMinutes(5))
            .WithTimeout(_options.RequestTimeout)
            .Build();
        if (options.ChannelOptions is MqttClientTcpOptions tcp && IPAddress.IsLoopback(_broker) && _broker.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            tcp.LocalEndpoint = new IPEndPoint(SourceAddress(index, _options.SourceAddresses), 0);
        }

        try
        {
            await client.ConnectAsync(options, cancellationToken);
            var topic = $"/oneM2M/resp/{aeId}/{_cseId}/json";
            await client.SubscribeAsync(_factory.CreateSubscribeOptionsBuilder()
                .WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        _clients[index] = client;
        Interlocked.Increment(ref _connected);
    }

    /// <summary>The loopback source address of device <paramref name="index"/>: 127.0.0.1 … 127.0.0.<paramref name="count"/>.</summary>
    public static IPAddress SourceAddress(int index, int count) => new([127, 0, 0, (byte)(1 + (index % count))]);

    /// <summary>Publishes <paramref name="spec"/> as device <paramref name="index"/> and waits for its answer.</summary>
    public async ValueTask<Reply> SendAsync(int index, RequestSpec spec, CancellationToken cancellationToken)
    {
        var client = _clients[index] ?? throw new IOException($"device {index} has no MQTT connection");
        return await MqttExchange.SendAsync(client, _cseId, spec, _pending, cancellationToken);
    }

    /// <summary>Disconnects every device, at most <paramref name="parallelism"/> at a time.</summary>
    public async Task DisconnectAllAsync(int parallelism, CancellationToken cancellationToken)
    {
        await Parallel.ForAsync(0, _clients.Length, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var client = Interlocked.Exchange(ref _clients[i], null);
                if (client is null)
                {
                    return;
                }

                try
                {
                    await client.DisconnectAsync(new MqttClientDisconnectOptions(), token);
                }
                catch (Exception exception) when (exception is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
                {
                    // Gone already: nothing to tell the broker.
                }
                finally
                {
                    client.Dispose();
                    Interlocked.Decrement(ref _connected);
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
