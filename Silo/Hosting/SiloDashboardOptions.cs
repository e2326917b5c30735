using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Silo.Hosting;

/// <summary>The Orleans Dashboard of this silo. Section <c>Dashboard</c> of configuration.</summary>
public sealed class SiloDashboardOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Dashboard";

    /// <summary>
    /// Serve the dashboard. Default true. It profiles every grain call (an incoming call filter) and keeps recent
    /// log lines for its log view, so a benchmark of the bare platform turns it off (<c>Dashboard:Enabled=false</c>).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Path the dashboard is served at, on the app's own HTTP port. Default <c>/dashboard</c>.</summary>
    [Required, RegularExpression("^(/[A-Za-z0-9._~-]+)+$")]
    public string Path { get; set; } = "/dashboard";

    /// <summary>
    /// How often the dashboard's counters are refreshed, in milliseconds. Default 10,000. The dashboard's own default
    /// (1,000) costs a silo with many activations dearly: each refresh reads every Orleans instrument, and two of them
    /// walk every activation and every grain directory cache entry; at 1,000 ms that was 8.7 % of a silo's CPU while
    /// it registered devices (BENCHMARKS.md, "Request-path profile"). Lower it to watch a load test live.
    /// </summary>
    [Range(1_000, 600_000)]
    public int CounterUpdateIntervalMs { get; set; } = 10_000;
}

/// <summary>Source-generated DataAnnotations validation of <see cref="SiloDashboardOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class SiloDashboardOptionsValidator : IValidateOptions<SiloDashboardOptions>
{
}
