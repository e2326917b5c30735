using Orleans.Runtime.MembershipService.SiloMetadata;
using VirtualIoT.Gateway.Mqtt;

namespace VirtualIoT.Silo.Hosting;

/// <summary>
/// The cluster's MQTT brokers as a silo sees them: every silo publishes its broker's <c>host:port</c> in its Orleans
/// silo metadata (key <see cref="MetadataKey"/>), and the active members' entries are the brokers. A silo whose
/// metadata has not been fetched yet (it joined a moment ago) counts once it has.
/// </summary>
internal sealed class SiloMqttBrokers(IClusterMembershipService membership, ISiloMetadataCache metadata, ILocalSiloDetails localSilo, string self)
    : IMqttBrokerDirectory
{
    /// <summary>The silo metadata key of the broker's endpoint.</summary>
    public const string MetadataKey = "virtualiot.mqtt";

    /// <inheritdoc />
    public string? Self => self;

    /// <inheritdoc />
    public IReadOnlyCollection<string> Brokers
    {
        get
        {
            var brokers = new List<string>();
            foreach (var member in membership.CurrentSnapshot.Members.Values)
            {
                if (member.Status != SiloStatus.Active)
                {
                    continue;
                }

                if (member.SiloAddress.Equals(localSilo.SiloAddress))
                {
                    brokers.Add(self);
                }
                else if (metadata.GetSiloMetadata(member.SiloAddress)?.Metadata.TryGetValue(MetadataKey, out var endpoint) == true)
                {
                    brokers.Add(endpoint);
                }
            }

            return brokers;
        }
    }

    /// <summary>
    /// The endpoint devices reach this silo's broker at: its bound address, or the silo's advertised address when the
    /// broker listens on every interface.
    /// </summary>
    public static string Endpoint(MqttOptions mqtt, string advertisedAddress) =>
        $"{(mqtt.Address is "0.0.0.0" ? advertisedAddress : mqtt.Address)}:{mqtt.Port}";
}
