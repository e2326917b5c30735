using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Security;

/// <summary>
/// Originator authentication on both bindings (section <c>Security:Authentication</c>). HTTP requests carry HTTP Basic
/// credentials whose user name is the originator (<c>X-M2M-Origin</c>) and whose password is that originator's
/// secret; MQTT clients connect with the same pair as user name and password. Secrets are kept only as salted PBKDF2
/// hashes (<see cref="CredentialStore"/>). See the README, "Authentication and TLS".
/// </summary>
public sealed class AuthenticationOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Security:Authentication";

    /// <summary>
    /// Whether every request must authenticate its originator. Default false: the external conformance suite and the
    /// quick start run against the defaults, with no credentials. When true, a request without valid credentials for
    /// its originator is answered 4106 ORIGINATOR_NOT_AUTHENTICATED and an MQTT connection without them is refused.
    /// </summary>
    public bool Required { get; set; }

    /// <summary>
    /// Bootstrap credentials, originator → secret, read from configuration or environment only
    /// (<c>Security__Authentication__Credentials__CAdmin=…</c>); hashed at start, never written anywhere. Meant for the
    /// administrator and a few fixed clients; devices are provisioned at run time through <see cref="CredentialsPath"/>.
    /// A stored credential of the same originator takes precedence.
    /// </summary>
    public Dictionary<string, string> Credentials { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Secrets shared with other CSEs, one per Mcc link, keyed by the other CSE's CSE-ID without its leading <c>/</c>
    /// (<c>Security:Authentication:CseSecrets:id-mn1</c>). Both CSEs of a link configure the same secret: each presents
    /// its own CSE-ID and that secret to the other (HTTP Basic and WebSocket handshake user name <c>/id-mn1</c>, MQTT
    /// user name the same with client ID <c>C::id-mn1</c>), and then relays its AEs' requests over the link
    /// (<see cref="CseLinkCredentials"/>, <see cref="OriginatorAuthenticator.CheckIdentity"/>). From configuration or
    /// environment only, like <see cref="Credentials"/>.
    /// </summary>
    public Dictionary<string, string> CseSecrets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// How long a successfully verified (originator, secret) pair is remembered, so PBKDF2 (tens of milliseconds by
    /// design) runs once per originator and period rather than per request. A credential changed or revoked through this
    /// gateway takes effect at once here, and on other gateways within this period. Zero verifies every request.
    /// Default 5 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most verified originators remembered at once (least recently used go first). Default 100,000.</summary>
    [Range(1, 10_000_000)]
    public int CacheSize { get; set; } = 100_000;

    /// <summary>
    /// Path of the administrator's credentials endpoint: <c>PUT {path}/{originator}</c> with <c>{"secret":"…"}</c> sets a
    /// credential, <c>DELETE {path}/{originator}</c> revokes it; both need the administrator's own credentials
    /// (HTTP Basic). Default <c>/credentials</c>.
    /// </summary>
    [Required, RegularExpression("^(/[A-Za-z0-9._~-]+)+$")]
    public string CredentialsPath { get; set; } = "/credentials";

    /// <summary>
    /// Failed verifications one originator may cause per minute (a token bucket refilled evenly); beyond it, presented
    /// secrets not already verified (cached) are refused without running PBKDF2, until the bucket refills. This bounds
    /// both password guessing and the CPU an attacker can burn with wrong secrets; a client whose secret is cached
    /// keeps working. Zero turns the throttle off. Default 60.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxFailuresPerMinute { get; set; } = 60;

    /// <summary>Shortest secret the credentials endpoint accepts. Default 12 characters.</summary>
    [Range(1, 1024)]
    public int MinSecretLength { get; set; } = 12;
}

/// <summary>
/// Limits that keep one client from exhausting the platform (section <c>Limits</c>), applied to HTTP and MQTT alike in
/// the shared pipeline (<see cref="RequestAdmission"/>). Request body size is <see cref="GatewayOptions.MaxBodyBytes"/>
/// and <see cref="Mqtt.MqttOptions.MaxPayloadBytes"/>; discovery result size is <c>Cse:MaxDiscoveryResults</c>.
/// </summary>
public sealed class RequestLimitOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Limits";

    /// <summary>
    /// Requests one originator may send per second, averaged (a token bucket refilled continuously, holding one
    /// second's worth), over all bindings of this gateway; beyond it requests are answered 5207 NOT_ACCEPTABLE with
    /// <c>Retry-After</c>. Zero turns the limit off. Default 100,000: above what one client reached in the benchmarks
    /// (BENCHMARKS.md), so only a runaway client meets it; set it to what a device needs (a few per second).
    /// </summary>
    [Range(0, 100_000_000)]
    public int RequestsPerSecond { get; set; } = 100_000;

    /// <summary>
    /// Longest string attribute value (or string in a list or object) in a create or update, in characters; longer is
    /// answered 4000. A content instance's <c>con</c> is bounded by the body size only. Default 65,536.
    /// </summary>
    [Range(16, 64 * 1024 * 1024)]
    public int MaxAttributeLength { get; set; } = 65_536;

    /// <summary>Most items in a list attribute (<c>lbl</c>, <c>poa</c>, <c>nu</c>, <c>acpi</c>…); more is answered 4000. Default 10,000.</summary>
    [Range(1, 10_000_000)]
    public int MaxListItems { get; set; } = 10_000;
}

/// <summary>Source-generated DataAnnotations validation of <see cref="AuthenticationOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class AuthenticationOptionsValidator : IValidateOptions<AuthenticationOptions>
{
}

/// <summary>Source-generated DataAnnotations validation of <see cref="RequestLimitOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class RequestLimitOptionsValidator : IValidateOptions<RequestLimitOptions>
{
}
