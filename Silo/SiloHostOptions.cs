using System.ComponentModel.DataAnnotations;

namespace VirtualIoT.Silo;

/// <summary>Where this silo listens. Section <c>Orleans</c> of configuration.</summary>
public sealed class SiloHostOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Orleans";

    /// <summary>Silo-to-silo port. Default 11111 (Orleans' own default).</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port for Orleans clients such as standalone gateways. Default 30000 (Orleans' own default).</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// With <c>localhost</c> clustering, the silo port of the primary silo that holds the development membership
    /// table; unset for the primary itself (the default). Unused with <c>postgres</c> clustering.
    /// </summary>
    [Range(1, 65535)]
    public int? PrimarySiloPort { get; set; }

    /// <summary>
    /// The IP address this silo binds and advertises to the cluster with <c>postgres</c> clustering. Default
    /// <c>127.0.0.1</c>: a cluster on one machine; set the host's address to span machines.
    /// </summary>
    [Required, RegularExpression(@"^[0-9A-Fa-f:.]+$")]
    public string AdvertisedAddress { get; set; } = "127.0.0.1";
}
