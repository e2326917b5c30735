using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Notifications;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// Notifications to AEs connected to this gateway's broker (TS-0010 6.4, TS-0004 7.5.1.2.2): <see cref="Publish"/>
/// publishes the request primitive <c>{"op":5,"to":…,"fr":"/id-in","rqi":…,"rvi":"3","pc":{"m2m:sgn":…}}</c> with
/// QoS 1 on <c>[prefix]/oneM2M/req/id-in/&lt;AE-ID&gt;/&lt;json|cbor|xml&gt;</c>; the AE's response primitive on
/// <c>[prefix]/oneM2M/resp/id-in/&lt;AE-ID&gt;/…</c> goes back through <see cref="ConnectionNotifier.Answer"/>.
/// Attachments and their refresh (every <see cref="MqttOptions.ConnectionRefreshInterval"/>): <see cref="ConnectionNotifier"/>.
/// </summary>
internal sealed class MqttNotifier : ConnectionNotifier
{
    private readonly MqttOriginatorRegistry _registry;
    private readonly Func<MqttApplicationMessage, Task> _publish;
    private readonly string _cseTopicId;

    public MqttNotifier(IGrainFactory grains, MqttOriginatorRegistry registry, Func<MqttApplicationMessage, Task> publish,
        CseIdentity cse, TimeSpan refreshInterval, ILogger logger)
        : base(grains, cse, refreshInterval, logger)
    {
        _registry = registry;
        _publish = publish;
        _cseTopicId = MqttTopic.ToTopicId(cse.CseId);
    }

    /// <inheritdoc/>
    protected override bool IsHeld(string originator) => _registry.IsHeld(originator);

    /// <inheritdoc/>
    protected override IReadOnlyList<string> HeldOriginators() => _registry.HeldOriginators();

    /// <inheritdoc/>
    public override async Task<bool> Publish(MqttNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var aeTopicId = MqttTopic.ToTopicId(notification.AeId);
        if (Stopping || !_registry.IsHeld(aeTopicId))
        {
            // Not (any more) connected here: the delivery worker goes on with the AE's other points of access.
            return false;
        }

        // The AE's first csz entry (TS-0004 7.5.1.2.2) names the topic's suffix and the payload's format.
        var serialization = SerializationOf(notification);
        var primitive = Primitives.Notify(notification.To, notification.From ?? Cse.CseId, notification.RequestId, notification.Content, notification.EventCategory);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(string.Concat(notification.TopicPrefix, "/oneM2M/req/", _cseTopicId, "/", aeTopicId, "/", SerializationFormats.Name(serialization)))
            .WithPayload(Representation.PrimitiveToArray(serialization, primitive, request: true))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType(SerializationFormats.MediaType(serialization))
            .Build();
        await _publish(message);
        return true;
    }
}
