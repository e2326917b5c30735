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
    /// How often the dashboard's counters are refreshed, in milliseconds. Default 1000 (the dashboard's own): live
    /// enough to watch a load test, cheap enough to leave on.
    /// </summary>
    [Range(100, 60_000)]
    public int CounterUpdateIntervalMs { get; set; } = 1000;
}

/// <summary>Source-generated DataAnnotations validation of <see cref="SiloDashboardOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class SiloDashboardOptionsValidator : IValidateOptions<SiloDashboardOptions>
{
}
