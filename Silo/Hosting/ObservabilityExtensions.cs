using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using VirtualIoT.Gateway.Operations;

namespace VirtualIoT.Silo.Hosting;

/// <summary>
/// Operations of a silo process: the shared pieces (<see cref="OperationsExtensions"/>: Prometheus metrics, OTLP
/// traces, health endpoints, resource browser) plus what only a silo has: the Orleans Dashboard on the app's own
/// Kestrel, Orleans' activity propagation, and readiness meaning "active cluster member, storage answers".
/// </summary>
internal static class ObservabilityExtensions
{
    /// <summary>Adds the silo's operations; call after <see cref="BackendExtensions.AddVirtualIoTSilo"/>.</summary>
    public static WebApplicationBuilder AddVirtualIoTSiloOperations(this WebApplicationBuilder builder)
    {
        var health = builder.AddVirtualIoTOperations("virtualiot-silo");
        var dashboard = OperationsOptionsBinder.Bind(builder, SiloDashboardOptions.SectionName, new SiloDashboardOptionsValidator());
        var timeout = (builder.Configuration.GetSection(HealthOptions.SectionName).Get<HealthOptions>() ?? new HealthOptions()).CheckTimeout;
        health
            .AddCheck<SiloMembershipHealthCheck>("cluster", HealthStatus.Unhealthy, [OperationsExtensions.ReadyTag], timeout)
            .AddCheck<StorageHealthCheck>("storage", HealthStatus.Unhealthy, [OperationsExtensions.ReadyTag], timeout);

        var tracing = OperationsExtensions.TracingRequested(builder.Configuration);
        // A second UseOrleans call configures the same silo (Orleans applies each delegate to one builder).
        builder.UseOrleans(silo =>
        {
            if (tracing)
            {
                silo.AddActivityPropagation();
            }

            if (dashboard.Enabled)
            {
                silo.AddDashboard(options => options.CounterUpdateIntervalMs = dashboard.CounterUpdateIntervalMs);
            }
        });
        if (dashboard.Enabled)
        {
            builder.Services.AddHostedService<LocalityDashboard>();
        }
        return builder;
    }

    /// <summary>Maps the operations endpoints and, when enabled, the dashboard at <c>Dashboard:Path</c>.</summary>
    public static WebApplication MapVirtualIoTSiloOperations(this WebApplication app)
    {
        app.MapVirtualIoTOperations();
        var dashboard = app.Services.GetRequiredService<IOptions<SiloDashboardOptions>>().Value;
        if (dashboard.Enabled)
        {
            var cse = app.Services.GetRequiredService<IOptions<CseOptions>>().Value;
            app.Services.GetRequiredService<OperationsEndpoints>().Register($"{SiloDashboardOptions.SectionName}:Path", dashboard.Path, cse.CseBaseName);
            // Its routes (/dashboard/, /dashboard/ClusterStats, …) start with a literal segment and so take
            // precedence over the oneM2M binding's catch-all /{**address}.
            app.MapOrleansDashboard(routePrefix: dashboard.Path);
        }

        return app;
    }
}
