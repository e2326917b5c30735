using System.Collections.Concurrent;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>
/// One oneM2M request over MQTT: published with QoS 1 on the originator's request topic (TS-0010), answered by the
/// response primitive with its <c>rqi</c>, which the caller's receive handler hands to the waiter in its pending table.
/// </summary>
internal static class MqttExchange
{
    /// <summary>Publishes <paramref name="spec"/> and waits for its answer; a refused publish is an <see cref="IOException"/>.</summary>
    public static async Task<Reply> SendAsync(IMqttClient client, string cseId, RequestSpec spec,
        ConcurrentDictionary<string, TaskCompletionSource<Reply>> pending, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[spec.RequestId] = waiter;
        try
        {
            var message = new MqttApplicationMessageBuilder()
                .WithTopic($"/oneM2M/req/{spec.Originator}/{cseId}/json")
                .WithPayload(Encoding.UTF8.GetBytes(RequestFormatter.Mqtt(spec)))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            var published = await client.PublishAsync(message, cancellationToken);
            if (!published.IsSuccess)
            {
                throw new IOException($"PUBACK {published.ReasonCode}");
            }

            return await waiter.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            pending.TryRemove(spec.RequestId, out _);
        }
    }
}
