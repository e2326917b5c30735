using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Coap;

/// <summary>The oneM2M CoAP binding (TS-0008) over UDP. Section <c>Coap</c> of configuration.</summary>
public sealed class CoapBindingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Coap";

    /// <summary>
    /// Whether the gateway serves CoAP. Default true, as MQTT: constrained devices reach the CSE this way out of the box;
    /// set false for a gateway that must not open the UDP port (or where two hosts on one machine would share it).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>UDP port. Default 5683, the IANA CoAP port that oneM2M devices assume.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 5683;

    /// <summary>
    /// IPv4 address the binding listens on. Default <c>127.0.0.1</c>: CoAP carries no credentials here (no DTLS, so no
    /// <c>coaps</c>), so the port is reachable from this machine only until an operator opens it deliberately
    /// (<c>0.0.0.0</c>), as for the MQTT broker.
    /// </summary>
    [Required]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>
    /// Block size (bytes) of responses split by Block2 and the largest request block accepted per Block1 message
    /// (RFC 7959): a power of two from 16 to 1024. Default 1024, the largest CoAP block: fewer round trips, and still
    /// within the 1,280-byte IPv6 minimum MTU with headers. A client asking for smaller blocks gets them.
    /// </summary>
    [Range(16, 1024)]
    public int BlockSize { get; set; } = 1024;

    /// <summary>
    /// Most exchanges remembered at once: answered requests kept for duplicate detection (RFC 7252 4.5), responses
    /// being read block by block, requests being received block by block. The oldest is forgotten beyond it. Default
    /// 16,384: well above what a second of requests at the measured rates leaves behind, at a bounded memory cost
    /// (each entry holds one answer); idle devices cost nothing.
    /// </summary>
    [Range(16, 10_000_000)]
    public int MaxExchanges { get; set; } = 16_384;

    /// <summary>
    /// How long an exchange is remembered. Default 247 s, RFC 7252's EXCHANGE_LIFETIME: a retransmitted CON arriving
    /// within it gets the same answer rather than a second execution.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ExchangeLifetime { get; set; } = TimeSpan.FromSeconds(247);

    /// <summary>
    /// Requests carried out at the same time; beyond it the next datagram is read only when one completes (the socket
    /// buffers meanwhile). Default 1,024: enough to keep a silo busy, bounded so a flood cannot pile up unbounded work.
    /// </summary>
    [Range(1, 65_536)]
    public int MaxRequestsInFlight { get; set; } = 1024;
}

/// <summary>Source-generated DataAnnotations validation of <see cref="CoapBindingOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class CoapBindingOptionsValidator : IValidateOptions<CoapBindingOptions>
{
}

/// <summary>Cross-field rules of <see cref="CoapBindingOptions"/>: the address parses and the block size is a power of two.</summary>
internal sealed class CoapBindingOptionsRules : IValidateOptions<CoapBindingOptions>
{
    public ValidateOptionsResult Validate(string? name, CoapBindingOptions options)
    {
        if (!System.Net.IPAddress.TryParse(options.Address, out _))
        {
            return ValidateOptionsResult.Fail($"Coap:Address '{options.Address}' is not an IP address");
        }

        return (options.BlockSize & (options.BlockSize - 1)) != 0
            ? ValidateOptionsResult.Fail($"Coap:BlockSize {options.BlockSize} is not a power of two (16, 32 … 1024)")
            : ValidateOptionsResult.Success;
    }
}
