namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// Where the cluster's MQTT brokers are: what <see cref="MqttRebalancer"/> spreads connected devices over when a silo
/// joins, and hands them to when this one stops. The silo implements it from Orleans membership (each silo publishes
/// its broker's endpoint in its silo metadata); a standalone gateway has none, and its broker does not rebalance.
/// </summary>
public interface IMqttBrokerDirectory
{
    /// <summary>This broker's endpoint as devices reach it (<c>host:port</c>), or null when it is not known.</summary>
    string? Self { get; }

    /// <summary>
    /// The brokers of the cluster's active silos, this one included, as <c>host:port</c>; empty when not known.
    /// A silo that is shutting down is no longer among them.
    /// </summary>
    IReadOnlyCollection<string> Brokers { get; }
}
