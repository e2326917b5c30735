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
}
