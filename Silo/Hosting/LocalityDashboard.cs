using System.Diagnostics.Metrics;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Silo.Hosting;

/// <summary>
/// Request locality (<see cref="LocalityMetrics"/>) on the Orleans Dashboard's "Silo Counters" page of each silo:
/// per binding, the requests served on this silo that arrived here (<c>virtualiot-http-served-local</c>) and that
/// arrived at another silo (<c>-remote</c>), and the local share since start in percent
/// (<c>virtualiot-http-locality-percent</c>). That page lists only the instruments of a meter named as Orleans' own
/// (<c>Microsoft.Orleans</c>) and shows one value per instrument name (tags are not shown), so these untagged
/// observable instruments are made on a meter of that name; they are read when the dashboard (or a scrape) collects,
/// never per request. <c>/metrics</c> has the same counts, tagged, as <c>virtualiot_requests_served_total</c>.
/// </summary>
internal sealed class LocalityDashboard(IMeterFactory meters, LocalityMetrics locality) : IHostedService
{
    /// <summary>The meter name the dashboard's counters page reads.</summary>
    public const string DashboardMeterName = "Microsoft.Orleans";

    private static readonly string[] s_bindings = ["http", "mqtt", "ws"];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var meter = meters.Create(DashboardMeterName);
        foreach (var binding in s_bindings)
        {
            meter.CreateObservableCounter($"virtualiot-{binding}-served-local", () => locality.Totals(binding).Local, "{request}",
                $"{binding} requests served on the silo they arrived at");
            meter.CreateObservableCounter($"virtualiot-{binding}-served-remote", () => locality.Totals(binding).Remote, "{request}",
                $"{binding} requests served on this silo that arrived at another silo");
            meter.CreateObservableGauge($"virtualiot-{binding}-locality-percent", () => Share(locality.Totals(binding)), "%",
                $"share of {binding} requests served on the silo they arrived at, since start");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static double Share((long Local, long Remote) totals) =>
        totals.Local + totals.Remote == 0 ? 100 : Math.Round(100.0 * totals.Local / (totals.Local + totals.Remote), 1);
}
