using System.Collections.Concurrent;
using System.Net;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using VirtualIoT.LoadGen.Transport;

namespace VirtualIoT.LoadGen.Chaos;

/// <summary>
/// A chaos device's MQTT connection to one gateway's broker (client ID = AE-ID, TS-0010 topics), connected when first
/// needed and again after it broke. Answers are matched to requests by <c>rqi</c>; a connection that breaks fails
/// every request waiting on it at once (as an HTTP device sees a reset), so the device retries through the next
/// gateway instead of waiting out its timeout.
/// </summary>
internal sealed class ChaosMqttLink(IPEndPoint broker, string clientId, string cseId) : IDisposable
{
    private static readonly MqttClientFactory s_factory = new();

    private readonly ConcurrentDictionary<string, TaskCompletionSource<Reply>> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private IMqttClient? _client;

    /// <summary>Publishes <paramref name="spec"/> (QoS 1) and waits for its response primitive; connects first when needed.</summary>
    public async Task<Reply> ExchangeAsync(RequestSpec spec, CancellationToken cancellationToken)
    {
        var client = await ConnectedAsync(cancellationToken);
        try
        {
            return await MqttExchange.SendAsync(client, cseId, spec, _pending, cancellationToken);
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException exception)
        {
            Drop(client);
            throw new IOException(exception.Message, exception);
        }
    }

    private async Task<IMqttClient> ConnectedAsync(CancellationToken cancellationToken)
    {
        if (_client is { IsConnected: true } connected)
        {
            return connected;
        }

        await _connecting.WaitAsync(cancellationToken);
        try
        {
            if (_client is { IsConnected: true } raced)
            {
                return raced;
            }

            if (_client is { } stale)
            {
                Drop(stale);
            }

            var client = s_factory.CreateMqttClient();
            client.ApplicationMessageReceivedAsync += e =>
            {
                if (MqttDevices.TryReadResponse(e.ApplicationMessage.Payload, out var rqi, out var rsc, out var content)
                    && rqi is not null && _pending.TryRemove(rqi, out var waiter))
                {
                    waiter.TrySetResult(new Reply(rsc, rsc, content));
                }

                return Task.CompletedTask;
            };
            client.DisconnectedAsync += _ =>
            {
                // The gateway died or closed the connection: nothing waiting on it will be answered.
                foreach (var rqi in _pending.Keys)
                {
                    if (_pending.TryRemove(rqi, out var waiter))
                    {
                        waiter.TrySetException(new IOException("MQTT connection closed"));
                    }
                }

                return Task.CompletedTask;
            };
            var options = s_factory.CreateClientOptionsBuilder()
                .WithTcpServer(broker.Address.ToString(), broker.Port)
                .WithClientId(clientId)
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
                .WithTimeout(TimeSpan.FromSeconds(10))
                .Build();
            try
            {
                await client.ConnectAsync(options, cancellationToken);
                await client.SubscribeAsync(s_factory.CreateSubscribeOptionsBuilder()
                    .WithTopicFilter($"/oneM2M/resp/{clientId}/{cseId}/json", MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException exception)
            {
                client.Dispose();
                throw new IOException(exception.Message, exception);
            }
            catch
            {
                client.Dispose();
                throw;
            }

            _client = client;
            return client;
        }
        finally
        {
            _connecting.Release();
        }
    }

    private void Drop(IMqttClient client)
    {
        if (Interlocked.CompareExchange(ref _client, null, client) == client)
        {
            client.Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _client, null) is { } client)
        {
            client.Dispose();
        }

        _connecting.Dispose();
    }
}
