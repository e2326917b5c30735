using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Silo.Hosting;

/// <summary>The Orleans Dashboard of this silo. Section <c>Dashboard</c> of configuration.</summary>
public sealed class SiloDashboardOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Dashboard";

    /// <summary>
    /// Serve the dashboard. Default false: switch it on with <c>Dashboard:Enabled=true</c> to watch a silo. While on
    /// it costs CPU whether anyone looks or not: it reads every Orleans instrument once a second (a reader of its own,
    /// not <see cref="CounterUpdateIntervalMs"/>), two of which walk every activation and every grain directory cache
    /// entry, so the cost grows with the grains a silo holds (with about 100,000 activations, 13–17 % of the CPU of a
    /// create or an <c>la</c> retrieve); it also adds a call filter to every grain call and keeps
    /// recent log lines for its log view (BENCHMARKS.md, "Cost of metrics, dashboard and tracing"). The Prometheus
    /// endpoint (<c>/metrics</c>) has the same counters and reads them only when scraped.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>Path the dashboard is served at, on the app's own HTTP port. Default <c>/dashboard</c>.</summary>
    [Required, RegularExpression("^(/[A-Za-z0-9._~-]+)+$")]
    public string Path { get; set; } = "/dashboard";

    /// <summary>
    /// How often the dashboard's grain gathers the silos' counters and grain statistics for its pages, in
    /// milliseconds. Default 10,000 (the dashboard's own default is 1,000). The dashboard's once-a-second reading of
    /// the Orleans instruments (<see cref="Enabled"/>) is fixed by the dashboard and not changed by this setting.
    /// Lower it to watch a load test live.
    /// </summary>
    [Range(1_000, 600_000)]
    public int CounterUpdateIntervalMs { get; set; } = 10_000;
}

/// <summary>Source-generated DataAnnotations validation of <see cref="SiloDashboardOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class SiloDashboardOptionsValidator : IValidateOptions<SiloDashboardOptions>
{
}
