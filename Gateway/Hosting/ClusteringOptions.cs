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
