using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>A received message: its topic and its payload as JSON (null when it is not JSON).</summary>
public sealed record MqttReceived(string Topic, string Text, JsonNode? Json)
{
    /// <summary>The payload as sent (CBOR is not text).</summary>
    public byte[] Bytes { get; init; } = [];

    /// <summary>The message's MQTT 5 user properties (name → value; the last one of a name).</summary>
    public IReadOnlyDictionary<string, string> UserProperties { get; init; } = new Dictionary<string, string>();

    /// <summary>The QoS level the message was delivered with.</summary>
    public MqttQualityOfServiceLevel QualityOfService { get; init; }

    public int Rsc => Json?["rsc"]?.GetValue<int>() ?? 0;

    public JsonNode? Content => Json?["pc"];
}

/// <summary>
/// An MQTTnet client for black-box tests: subscribes to topics, publishes request primitives and waits for the
/// response with the same <c>rqi</c>, to a deadline that names what was missing.
/// </summary>
public sealed class MqttTestClient : IAsyncDisposable
{
    // How long a connect, subscribe, publish or awaited message may take before the test fails. Every wait is for
    // something that must come, so the bound only decides how late a failure is reported; a loaded machine (load
    // average 20-70) took longer than 15 s for some answers.
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private readonly IMqttClient _client;
    private readonly ConcurrentQueue<MqttReceived> _received = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<MqttReceived>> _waiting = new(StringComparer.Ordinal);

    private MqttTestClient(IMqttClient client, string clientId)
    {
        _client = client;
        ClientId = clientId;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            var text = e.ApplicationMessage.ConvertPayloadToString() ?? "";
            JsonNode? json;
            try
            {
                json = JsonNode.Parse(text);
            }
            catch (System.Text.Json.JsonException)
            {
                json = null;
            }

            var received = new MqttReceived(e.ApplicationMessage.Topic, text, json)
            {
                Bytes = e.ApplicationMessage.Payload.ToArray(),
                QualityOfService = e.ApplicationMessage.QualityOfServiceLevel,
                UserProperties = (e.ApplicationMessage.UserProperties ?? []).GroupBy(p => p.Name).ToDictionary(g => g.Key, g => System.Text.Encoding.UTF8.GetString(g.Last().ValueBuffer.Span)),
            };
            _received.Enqueue(received);
            if (json is JsonObject { } obj && obj["rqi"]?.GetValue<string>() is { } rqi && _waiting.TryRemove(rqi, out var waiter))
            {
                waiter.TrySetResult(received);
            }

            return Task.CompletedTask;
        };
    }

    public string ClientId { get; }

    /// <summary>Everything received so far.</summary>
    public IReadOnlyCollection<MqttReceived> Received => _received.ToArray();

    public static async Task<MqttTestClient> ConnectAsync(int port, string clientId, bool mqtt5, Action<MqttClientOptionsBuilder>? configure = null)
    {
        var factory = new MqttClientFactory();
        var client = factory.CreateMqttClient();
        var result = new MqttTestClient(client, clientId);
        var builder = factory.CreateClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId)
            .WithProtocolVersion(mqtt5 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311);
        configure?.Invoke(builder);
        var options = builder.Build();
        using var timeout = new CancellationTokenSource(s_timeout);
        var connack = await client.ConnectAsync(options, timeout.Token);
        if (connack.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"CONNECT of '{clientId}' refused: {connack.ResultCode} {connack.ReasonString}");
        }

        return result;
    }

    /// <summary>Connects and returns the CONNACK result code, or the failure message, for refusals.</summary>
    public static async Task<string> TryConnectAsync(int port, string clientId, Action<MqttClientOptionsBuilder>? configure = null)
    {
        var factory = new MqttClientFactory();
        using var client = factory.CreateMqttClient();
        var builder = factory.CreateClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500);
        configure?.Invoke(builder);
        var options = builder.Build();
        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            var result = await client.ConnectAsync(options, timeout.Token);
            return result.ResultCode.ToString();
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException exception)
        {
            return exception.Message;
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException exception)
        {
            // The TLS handshake was refused, say.
            return exception.GetType().Name + ": " + exception.Message;
        }
    }

    public async Task<MqttClientSubscribeResult> SubscribeAsync(string topic, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        return await _client.SubscribeAsync(topic, qos, timeout.Token);
    }

    public async Task UnsubscribeAsync(string topic)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        await _client.UnsubscribeAsync(topic, timeout.Token);
    }

    /// <summary>Publishes with QoS 1; returns the PUBACK (its reason code is meaningful with MQTT 5).</summary>
    public async Task<MqttClientPublishResult> PublishAsync(string topic, string payload)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        return await _client.PublishAsync(message, timeout.Token);
    }

    /// <summary>Publishes bytes (a CBOR or XML primitive) with QoS 1; returns the PUBACK.</summary>
    public async Task<MqttClientPublishResult> PublishAsync(string topic, byte[] payload)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        return await _client.PublishAsync(message, timeout.Token);
    }

    /// <summary>Publishes <paramref name="payload"/> and waits for the response carrying <paramref name="rqi"/>.</summary>
    public async Task<MqttReceived> RequestAsync(string topic, string payload, string rqi)
    {
        var arrival = ExpectAsync(rqi);
        await PublishAsync(topic, payload);
        return await arrival;
    }

    /// <summary>Arms a wait for a message carrying <paramref name="rqi"/>; call before publishing what causes it.</summary>
    public Task<MqttReceived> ExpectAsync(string rqi)
    {
        var waiter = new TaskCompletionSource<MqttReceived>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[rqi] = waiter;
        return WaitAsync(waiter, rqi);
    }

    /// <summary>Withdraws a wait armed by <see cref="ExpectAsync"/> for a message that will not come (its task is cancelled).</summary>
    public void Forget(string rqi)
    {
        if (_waiting.TryRemove(rqi, out var waiter))
        {
            waiter.TrySetCanceled();
        }
    }

    private async Task<MqttReceived> WaitAsync(TaskCompletionSource<MqttReceived> waiter, string rqi)
    {
        var finished = await Task.WhenAny(waiter.Task, Task.Delay(s_timeout));
        if (finished != waiter.Task)
        {
            _waiting.TryRemove(rqi, out _);
            throw new TimeoutException($"no message with rqi '{rqi}' reached client {ClientId} within {s_timeout.TotalSeconds} s");
        }

        return await waiter.Task;
    }

    /// <summary>
    /// Waits until the <paramref name="occurrence"/>-th message (1-based) matching <paramref name="predicate"/> has
    /// arrived and returns it, or fails naming <paramref name="what"/> and what did arrive.
    /// </summary>
    public async Task<MqttReceived> WaitForAsync(Func<MqttReceived, bool> predicate, string what, int occurrence = 1, TimeSpan? timeout = null)
    {
        var deadline = Deadline.In(timeout ?? s_timeout);
        while (true)
        {
            var matching = _received.Where(predicate).ToList();
            if (matching.Count >= occurrence)
            {
                return matching[occurrence - 1];
            }

            if (deadline.Passed)
            {
                throw new TimeoutException($"{what} did not reach client {ClientId} in time; received: "
                    + string.Join(" | ", _received.Select(r => r.Topic + " " + r.Text)));
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Messages received so far that match <paramref name="predicate"/>.</summary>
    public int Count(Func<MqttReceived, bool> predicate) => _received.Count(predicate);

    /// <summary>True when a message with <paramref name="rqi"/> arrived.</summary>
    public bool HasReceived(string rqi)
    {
        foreach (var message in _received)
        {
            if (message.Json is JsonObject obj && obj["rqi"]?.GetValue<string>() == rqi)
            {
                return true;
            }
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }

        _client.Dispose();
    }
}
