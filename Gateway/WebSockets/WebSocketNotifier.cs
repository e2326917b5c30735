using Microsoft.Extensions.Logging;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Gateway.Notifications;

namespace VirtualIoT.Gateway.WebSockets;

/// <summary>
/// Notifications to AEs that hold a WebSocket connection to this gateway (TS-0020: the CSE sends a request primitive
/// over the AE's open connection): <see cref="Publish"/> sends <c>{"op":5,"to":…,"fr":"/id-in","rqi":…,"pc":{"m2m:sgn":…}}</c>
/// in the connection's serialization, and the AE's response primitive with the same <c>rqi</c>, read by the
/// connection, goes back through <see cref="ConnectionNotifier.Answer"/>. Attachments and their refresh:
/// <see cref="ConnectionNotifier"/>.
/// </summary>
internal sealed class WebSocketNotifier : ConnectionNotifier
{
    private readonly MqttOriginatorRegistry _registry;
    private readonly Func<string, WebSocketConnection?> _connectionOf;

    public WebSocketNotifier(IGrainFactory grains, MqttOriginatorRegistry registry, Func<string, WebSocketConnection?> connectionOf,
        CseIdentity cse, TimeSpan refreshInterval, ILogger logger)
        : base(grains, cse, refreshInterval, logger)
    {
        _registry = registry;
        _connectionOf = connectionOf;
    }

    /// <inheritdoc/>
    protected override bool IsHeld(string originator) => _registry.IsHeld(originator);

    /// <inheritdoc/>
    protected override IReadOnlyList<string> HeldOriginators() => _registry.HeldOriginators();

    /// <inheritdoc/>
    public override async Task<bool> Publish(MqttNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);

        // Not (any more) connected here: the delivery worker goes on with the AE's other points of access.
        return !Stopping && _connectionOf(notification.AeId) is { } connection
            && await connection.SendNotificationAsync(notification, Cse.CseId);
    }
}
