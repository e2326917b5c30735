using System.Buffers;
using System.Collections.Concurrent;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// The MQTT binding (TS-0010) in one serialization: the topic suffix names it. Connects with the originator as
/// client ID, publishes on <c>/oneM2M/req/&lt;originator&gt;/id-in/&lt;suffix&gt;</c> and waits for the response
/// with the same <c>rqi</c>.
/// </summary>
public sealed class MqttBindingClient : IBindingClient
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    private readonly IMqttClient _client;
    private readonly string _originator;
    private readonly ContentSerialization _serialization;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<TestAnswer>> _waiting = new(StringComparer.Ordinal);

    private MqttBindingClient(IMqttClient client, string originator, ContentSerialization serialization)
    {
        _client = client;
        _originator = originator;
        _serialization = serialization;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            var primitive = TestPayloads.DecodePrimitive(_serialization, e.ApplicationMessage.Payload.ToArray());
            var answer = TestPayloads.FromPrimitive(primitive);
            if (answer.RequestIdentifier is { } rqi && _waiting.TryRemove(rqi, out var waiter))
            {
                waiter.TrySetResult(answer);
            }

            return Task.CompletedTask;
        };
    }

    private string Suffix => SerializationFormats.Name(_serialization);

    /// <summary>Connects as <paramref name="originator"/> and subscribes to its response topic.</summary>
    public static async Task<MqttBindingClient> ConnectAsync(int port, string originator, ContentSerialization serialization)
    {
        var factory = new MqttClientFactory();
        var client = factory.CreateMqttClient();
        var result = new MqttBindingClient(client, originator, serialization);
        var options = factory.CreateClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(originator)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .Build();
        using var timeout = new CancellationTokenSource(s_timeout);
        await client.ConnectAsync(options, timeout.Token);
        await client.SubscribeAsync($"/oneM2M/resp/{originator}/id-in/{result.Suffix}", MqttQualityOfServiceLevel.AtLeastOnce, timeout.Token);
        return result;
    }

    public async Task<TestAnswer> SendAsync(TestPrimitive request)
    {
        Assert.Equal(_originator, request.From);
        var requestId = TestPayloads.NewRequestId();
        var waiter = new TaskCompletionSource<TestAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[requestId] = waiter;
        var payload = Representation.PrimitiveToArray(_serialization, TestPayloads.ToPrimitive(request, requestId), request: true);
        using var timeout = new CancellationTokenSource(s_timeout);
        await _client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic($"/oneM2M/req/{_originator}/id-in/{Suffix}")
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build(), timeout.Token);
        if (await Task.WhenAny(waiter.Task, Task.Delay(s_timeout)) != waiter.Task)
        {
            throw new TimeoutException($"no MQTT response with rqi {requestId} within {s_timeout.TotalSeconds} s");
        }

        return await waiter.Task;
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
