using System.ComponentModel.DataAnnotations;

namespace VirtualIoT;

/// <summary>Identity and limits of this CSE. Section <c>Cse</c> of configuration.</summary>
public sealed partial class CseOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Cse";

    /// <summary>SP-relative CSE-ID, with one leading slash. Default <c>/id-in</c> (the oneM2M test defaults).</summary>
    [Required, RegularExpression("^/[A-Za-z0-9._~-]+$")]
    public string CseId { get; set; } = "/id-in";

    /// <summary>Resource name of the CSEBase. Default <c>cse-in</c>.</summary>
    [Required, RegularExpression("^[A-Za-z0-9._~-]+$")]
    public string CseBaseName { get; set; } = "cse-in";

    /// <summary>SP-ID, lower-case FQDN with two leading slashes. Default <c>//virtualiot.example.com</c>.</summary>
    [Required, RegularExpression("^//[a-z0-9.-]+$")]
    public string SpId { get; set; } = "//virtualiot.example.com";

    /// <summary>Originator that bypasses access checks (local policy). Default <c>CAdmin</c>.</summary>
    [Required]
    public string AdminOriginator { get; set; } = "CAdmin";

    /// <summary>
    /// Longest lifetime a resource gets when it asks for none, or more than this (<c>et</c> clamping, TS-0004 7.4.1.1).
    /// Default 5 years, as ACME does: long enough that no device has to refresh it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "36500.00:00:00")]
    public TimeSpan MaxExpiration { get; set; } = TimeSpan.FromDays(5 * 365);

    /// <summary>
    /// How long the <c>&lt;request&gt;</c> of a non-blocking request (<c>rt</c> 1 or 2) is kept when the request gives
    /// no result expiration (<c>rset</c>); with one, the resource expires then. Default 60 s, ACME's default.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "36500.00:00:00")]
    public TimeSpan RequestExpiration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Number of shards of the CSEBase's child index. Default 256: with a million AEs each shard holds about
    /// 4,000 names, so a registration rewrites a few hundred kilobytes at most, not the whole index.
    /// </summary>
    [Range(1, 65536)]
    public int CseBaseIndexShards { get; set; } = 256;

    /// <summary>Most children an AE or a container may hold besides content instances. Default 10,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxChildren { get; set; } = 10_000;

    /// <summary>Default <c>mni</c> for containers created without one; null for none. Default none.</summary>
    [Range(0, long.MaxValue)]
    public long? DefaultMaxNrOfInstances { get; set; }

    /// <summary>Most results one discovery request returns when it has no <c>lim</c>. Default 10,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxDiscoveryResults { get; set; } = 10_000;

    /// <summary>
    /// When true, a request from an AE-ID that is not registered is answered 4106 ORIGINATOR_NOT_AUTHENTICATED
    /// (TS-0004 V3.32 7.3.2.1); when false (default), 4103 ORIGINATOR_HAS_NO_PRIVILEGE from the access check, which
    /// is what ACME and the older conformance suites expect.
    /// </summary>
    public bool UnregisteredOriginatorNotAuthenticated { get; set; }

    /// <summary>
    /// How long a silo evaluates requests with an access control policy it has cached before asking the policy's
    /// grain again. A change to a policy takes effect at once on the silo hosting the policy (the only one in the
    /// embedded default) and within this time on the others. Default 5 s: one grain call per policy per silo per
    /// 5 s, however many devices link the policy, and a revoked privilege lasts at most this long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan AccessPolicyRefresh { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a gateway forwards requests for a remote CSE over the route (<c>poa</c>) it has cached before asking
    /// the CSE's <c>&lt;remoteCSE&gt;</c> again. A re-registration or deregistration takes effect at once in the
    /// process hosting the <c>&lt;remoteCSE&gt;</c> and within this time in the others. Default 5 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RemoteRouteRefresh { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a parent remembers a completed create under its originator's request identifier (<c>rqi</c>), so
    /// that a repeat of the request returns the original resource instead of creating a second one. Default 5 min:
    /// far beyond the gateway's retry budget and a device's few retries after <c>Retry-After</c>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long the CSE remembers that a target received a request with a given Group Request Identifier (<c>gid</c>),
    /// answering a repeat 4104 within that time. Default 10 min: far beyond any fan-out, yet a client that reuses its
    /// identifiers much later is not refused.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan GroupRequestRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Completed creates a parent remembers per originator (the newest). Default 4.</summary>
    [Range(1, 1000)]
    public int IdempotentCreatesPerOriginator { get; set; } = 4;

    /// <summary>Completed creates a parent remembers in all (the newest), bounding what every write of it carries. Default 64.</summary>
    [Range(1, 10_000)]
    public int IdempotentCreatesPerParent { get; set; } = 64;

    /// <summary>The CSEBase resource ID: the CSE-ID without its slash (<c>id-in</c>).</summary>
    public string CseBaseId => CseId.TrimStart('/');
}
