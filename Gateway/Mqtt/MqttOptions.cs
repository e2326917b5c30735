using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>The embedded MQTT broker of the oneM2M MQTT binding (TS-0010). Section <c>Mqtt</c> of configuration.</summary>
public sealed class MqttOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Mqtt";

    /// <summary>
    /// Whether the gateway hosts the broker. Default true: the embedded profile serves MQTT devices out of the box;
    /// set false for an HTTP-only gateway or where another broker owns the port.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>TCP port of the broker. Default 1883, the IANA MQTT port that oneM2M devices assume.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 1883;

    /// <summary>
    /// Most MQTT connections the broker holds; a newcomer beyond it is refused (server busy) instead of the process
    /// running out of file descriptors, which took every connection down (BENCHMARKS.md, MQTT idle connections).
    /// Default 16,000: under the 20,000 open files a process may hold on the machines measured, with room for
    /// Kestrel and Orleans. Raise it together with the process's open-file limit (<c>ulimit -n</c>).
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxConnections { get; set; } = 16_000;

    /// <summary>
    /// IPv4 address the broker binds. Default <c>127.0.0.1</c>: authentication and TLS are off by default
    /// (<c>Security:Authentication</c>, <c>Mqtt:Tls</c>), so the broker is reachable from this machine only until an
    /// operator opens it deliberately (<c>0.0.0.0</c>), with both on.
    /// </summary>
    [Required]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>
    /// IPv6 address the broker binds, or empty for none. Default none: MQTTnet would otherwise also listen on
    /// <c>[::]</c>, every interface, whatever <see cref="Address"/> says.
    /// </summary>
    public string? IPv6Address { get; set; }

    /// <summary>
    /// Largest oneM2M request primitive accepted, in bytes; a larger one is answered 4000 (or dropped when its
    /// <c>rqi</c> cannot be found). Default 1 MiB, as <see cref="GatewayOptions.MaxBodyBytes"/> for HTTP bodies.
    /// Other topics are not limited by this.
    /// </summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxPayloadBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How often the gateway tells the cluster again which AEs are connected to its broker (one grain call per AE).
    /// An entry lapses after three intervals without refresh, so this bounds how long notifications keep going to a
    /// gateway that died without saying so, and how long an entry lost with a silo stays missing. Default 1 minute;
    /// at most 10 minutes, well inside Orleans' idle collection age, which the refresh also keeps the grains from.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ConnectionRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// When a silo joins the cluster, how many of the clients whose home it becomes this broker sends there per second
    /// (MQTT 5: DISCONNECT 0x9C with the new broker as server reference; <see cref="MqttRebalancer"/>). Default 100;
    /// 0 leaves connected clients where they are. Silos only (a standalone gateway's broker does not rebalance).
    /// </summary>
    [Range(0, 1_000_000)]
    public int RebalanceRate { get; set; } = 100;

    /// <summary>
    /// On a graceful stop, how long the broker keeps sending its clients to the other silos' brokers (each once its
    /// requests are answered) before it stops and closes what is left. Default 10 s; 0 closes them at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan HandoverTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Source-generated DataAnnotations validation of <see cref="MqttOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class MqttOptionsDataValidator : IValidateOptions<MqttOptions>
{
}

/// <summary>Checks that the configured addresses parse, naming the key that does not.</summary>
internal sealed class MqttOptionsValidator : IValidateOptions<MqttOptions>
{
    public ValidateOptionsResult Validate(string? name, MqttOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IPAddress.TryParse(options.Address, out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return ValidateOptionsResult.Fail($"{MqttOptions.SectionName}:{nameof(MqttOptions.Address)} '{options.Address}' is not an IPv4 address");
        }

        if (!string.IsNullOrEmpty(options.IPv6Address)
            && (!IPAddress.TryParse(options.IPv6Address, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6))
        {
            return ValidateOptionsResult.Fail($"{MqttOptions.SectionName}:{nameof(MqttOptions.IPv6Address)} '{options.IPv6Address}' is not an IPv6 address");
        }

        return ValidateOptionsResult.Success;
    }
}
