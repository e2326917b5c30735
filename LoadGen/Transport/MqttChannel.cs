using System.Collections.Concurrent;
using System.Net;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>
/// oneM2M over MQTT (TS-0010, JSON) for the <c>load</c> command. The CSE lets an MQTT connection act only as the
/// originator its client ID names, so the channel keeps one connection per originator it sends for, opened when that
/// originator first sends (during the load's warm-up) and subscribed to its response topic; a request is published on
/// the originator's request topic with QoS 1 and answered by the response primitive with its <c>rqi</c>
/// (<see cref="MqttExchange"/>). <see cref="Reply.Status"/> is 0: MQTT has no status of its own.
/// </summary>
internal sealed class MqttChannel(IPEndPoint broker, string cseId) : IRequestChannel
{
    private static readonly MqttClientFactory s_factory = new();
    private readonly Dictionary<string, IMqttClient> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Reply>> _pending = new(StringComparer.Ordinal);

    public async ValueTask<Reply> ExchangeAsync(RequestSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Query is not null)
        {
            throw new InvalidOperationException("LoadGen maps no query parameters into MQTT request primitives");
        }

        try
        {
            // One request at a time per channel (the load's workers): the table needs no lock.
            if (!_clients.TryGetValue(spec.Originator, out var client) || !client.IsConnected)
            {
                client?.Dispose();
                client = await ConnectAsync(spec.Originator, cancellationToken);
                _clients[spec.Originator] = client;
            }

            return await MqttExchange.SendAsync(client, cseId, spec, _pending, cancellationToken);
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException exception)
        {
            throw new IOException(exception.Message, exception);
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        _clients.Clear();
    }

    private async Task<IMqttClient> ConnectAsync(string originator, CancellationToken cancellationToken)
    {
        var client = s_factory.CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            if (MqttDevices.TryReadResponse(e.ApplicationMessage.Payload, out var rqi, out var rsc, out var content)
                && rqi is not null && _pending.TryRemove(rqi, out var waiter))
            {
                waiter.TrySetResult(new Reply(0, rsc, content));
            }

            return Task.CompletedTask;
        };
        try
        {
            var connack = await client.ConnectAsync(s_factory.CreateClientOptionsBuilder()
                .WithTcpServer(broker.Address.ToString(), broker.Port)
                .WithClientId(originator)
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithKeepAlivePeriod(TimeSpan.FromMinutes(5))
                .Build(), cancellationToken);
            if (connack.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new IOException($"CONNACK {connack.ResultCode} for {originator}");
            }

            await client.SubscribeAsync(s_factory.CreateSubscribeOptionsBuilder()
                .WithTopicFilter($"/oneM2M/resp/{originator}/{cseId}/json", MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
