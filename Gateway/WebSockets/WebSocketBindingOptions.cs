using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.WebSockets;

/// <summary>The oneM2M WebSocket binding (TS-0020) on the HTTP port. Section <c>WebSocket</c> of configuration.</summary>
public sealed class WebSocketBindingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "WebSocket";

    /// <summary>
    /// Whether the gateway accepts WebSocket connections at <see cref="Path"/>. Default true: browsers and
    /// applications behind firewalls reach the CSE this way, on the port HTTP already opens.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Path of the WebSocket endpoint on the HTTP port. Default <c>/ws</c>. Like the operations endpoints, it may not
    /// start like a oneM2M address (the CSEBase name, <c>~</c>, <c>_</c>).
    /// </summary>
    [Required, RegularExpression(Operations.OperationsPaths.Pattern)]
    public string Path { get; set; } = "/ws";

    /// <summary>
    /// Requests of one connection carried out at the same time. Answers leave as each request completes, so a slow
    /// request does not hold up the others; beyond this many the connection's next message is read only when one
    /// completes. Default 64, as <see cref="GatewayOptions.GroupFanOutParallelism"/>: enough to keep a silo busy
    /// from one connection, bounded so one client cannot pile up unbounded work and memory.
    /// </summary>
    [Range(1, 4096)]
    public int MaxRequestsInFlight { get; set; } = 64;

    /// <summary>
    /// Interval of the server's WebSocket ping (keep-alive). Default 30 s: within the minute after which proxies and
    /// NAT gateways commonly drop an idle connection, which would cut an AE off from its notifications.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the gateway tells the cluster again which AEs hold a WebSocket connection to it; an entry lapses after
    /// three intervals without refresh. Default 1 minute, as <see cref="Mqtt.MqttOptions.ConnectionRefreshInterval"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ConnectionRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Source-generated DataAnnotations validation of <see cref="WebSocketBindingOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class WebSocketBindingOptionsValidator : IValidateOptions<WebSocketBindingOptions>
{
}
