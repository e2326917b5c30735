using System.ComponentModel.DataAnnotations;

namespace VirtualIoT.Gateway.Hosting;

/// <summary>How silos find each other and gateways find the silos. Section <c>Clustering</c> of configuration.</summary>
public sealed class ClusteringOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Clustering";

    /// <summary>
    /// <c>localhost</c> (default: one silo, or a development cluster around a primary silo on this machine) or
    /// <c>postgres</c> (Orleans ADO.NET membership; any number of silos and standalone gateways). A standalone
    /// gateway with <c>localhost</c> connects to the silo gateway port <see cref="GatewayPort"/> on this machine.
    /// </summary>
    [Required]
    public string Provider { get; set; } = BackendNames.Localhost;

    /// <summary>Npgsql connection string for <c>postgres</c>; unused for <c>localhost</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Orleans ClusterId: silos and gateways with the same ID form one cluster. Default <c>virtualiot</c>.
    /// A fresh ID per test run keeps earlier runs' dead silos out of the membership table.
    /// </summary>
    [Required, RegularExpression("^[A-Za-z0-9._-]{1,150}$")]
    public string ClusterId { get; set; } = "virtualiot";

    /// <summary>
    /// Orleans ServiceId: part of every stored grain state's key, so it must stay the same across restarts and
    /// deployments for state to be found again. Default <c>virtualiot</c>.
    /// </summary>
    [Required, RegularExpression("^[A-Za-z0-9._-]{1,150}$")]
    public string ServiceId { get; set; } = "virtualiot";

    /// <summary>
    /// Standalone gateway with <c>localhost</c> clustering only: the silo's Orleans gateway port to connect to.
    /// Default 30000 (Orleans' own default).
    /// </summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    // Failure detection (postgres clustering only; Orleans' ClusterMembershipOptions). A silo probes its peers every
    // ProbeTimeout; after NumMissedProbesLimit missed probes in a row it suspects the peer and votes in the
    // membership table; NumVotesForDeathDeclaration votes younger than DeathVoteExpirationTimeout declare it dead,
    // and its grains re-activate elsewhere. Orleans' defaults (5 s, 3 missed probes, 2 votes) let a killed silo's
    // grains fail for about 11 s. A crashed or killed silo is caught sooner by the refused-connection check
    // (RefusedProbeInterval: its port refuses at once), so the probes only need to catch a silo that hangs: 1 s
    // probes find it in about 3 s, and leave a slow silo, or one still starting on a loaded machine, in the cluster
    // (0.5 s probes evicted joining silos at load average 50: BENCHMARKS.md, "Failover").

    /// <summary>
    /// Interval of the liveness probes between silos, and their initial timeout (Orleans adapts it to measured
    /// response times, between <see cref="MinProbeTimeout"/> and Orleans' MaxProbeTimeout of 20 s). Default 1 s (Orleans' own: 5 s).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Lower bound of the adaptive probe timeout, and so of the probe interval. Default 1 s (Orleans' own: 2.5 s,
    /// which would override a shorter <see cref="ProbeTimeout"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan MinProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Missed probes in a row before a silo suspects a peer and votes it dead. Default 3 (Orleans' own: 3).</summary>
    [Range(1, 100)]
    public int NumMissedProbesLimit { get; set; } = 3;

    /// <summary>
    /// Suspicion votes that declare a silo dead (fewer when fewer silos are active). Default 2 (Orleans' own: 2):
    /// one slow silo alone cannot evict a healthy peer.
    /// </summary>
    [Range(1, 100)]
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>Age after which a suspicion vote no longer counts. Default 2 min (Orleans' own: 2 min).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DeathVoteExpirationTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How often a silo re-reads the whole membership table (it also learns changes by gossip at once). Default
    /// 10 s (Orleans' own: 1 min).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan TableRefreshTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Silos only: how often each silo checks whether the silo ports of three peers still accept TCP connections. A
    /// port that refuses <see cref="RefusedProbesLimit"/> times in a row has no process behind it (a crash or a kill;
    /// a slow or paused silo still accepts), and the silo is declared dead at once instead of after Orleans'
    /// <see cref="NumMissedProbesLimit"/> missed probes and <see cref="NumVotesForDeathDeclaration"/> votes. Zero
    /// turns the check off. Default 0.25 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RefusedProbeInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Refused connections in a row after which a peer silo is declared dead (see <see cref="RefusedProbeInterval"/>). Default 2.</summary>
    [Range(1, 100)]
    public int RefusedProbesLimit { get; set; } = 2;

    /// <summary>
    /// Standalone gateway only: how long its Orleans client waits for a grain call's answer. A call in flight to a
    /// silo that was killed gets no answer (the client is not told of the death as silos are); the gateway cancels
    /// and repeats such calls when its connection to the silo closes (<c>SiloLossSignal</c>), and this timeout bounds
    /// the rest (a call that is not safe to repeat, a silo the gateway held no connection to). Default 10 s (Orleans'
    /// own: 30 s); grain calls take milliseconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ClientResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Standalone gateway only: how often its Orleans client re-reads the silos' gateways from the membership table
    /// (it drops a gateway whose connection fails at once). Default 10 s (Orleans' own: 1 min).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Standalone gateway only: how long its start keeps trying to connect to the cluster while the membership
    /// database does not answer in time or no silo is up yet (every second; a wrong password or database name ends the
    /// start at once). Default 2 min.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ConnectRetryFor { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Accepted values of the <c>Storage:Provider</c> and <see cref="ClusteringOptions.Provider"/> settings.</summary>
public static class BackendNames
{
    /// <summary>In-memory grain storage.</summary>
    public const string Memory = "memory";

    /// <summary>PostgreSQL through Orleans' ADO.NET providers.</summary>
    public const string Postgres = "postgres";

    /// <summary>Azure Table storage.</summary>
    public const string AzureTable = "azuretable";

    /// <summary>Orleans' development clustering on one machine.</summary>
    public const string Localhost = "localhost";
}
