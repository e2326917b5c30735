using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway;

/// <summary>Limits of the protocol bindings. Section <c>Gateway</c> of configuration.</summary>
public sealed class GatewayOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Gateway";

    /// <summary>
    /// Largest request body accepted, in bytes; a larger one is answered 4000. Default 1 MiB: a oneM2M
    /// representation is a few hundred bytes and content instances carry sensor readings, so 1 MiB leaves room for
    /// generous payloads while bounding what one request can make the gateway buffer (Kestrel's own limit is 30 MB).
    /// </summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Most structured addresses (<c>cse-in/app/temp</c>) remembered per process with the grain they resolve to;
    /// 0 disables the cache. Default 100,000: at a few hundred bytes per entry that is tens of megabytes, and it
    /// holds the paths of 100,000 devices' containers, so their requests cost one grain call, not one per segment.
    /// </summary>
    [Range(0, 10_000_000)]
    public int AddressCacheSize { get; set; } = 100_000;
}

/// <summary>Source-generated DataAnnotations validation of <see cref="GatewayOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
}
