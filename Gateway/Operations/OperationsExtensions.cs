using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace VirtualIoT.Gateway.Operations;

/// <summary>
/// What an operator looks at, for silos and standalone gateways alike: OpenTelemetry metrics on a Prometheus scrape
/// endpoint, traces and logs over OTLP when a collector is configured, liveness and readiness endpoints, and the
/// resource browser page. Each piece is on by default and switched off through its own options section.
/// </summary>
public static class OperationsExtensions
{
    /// <summary>Health check tag of the checks that make up readiness.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Meters exported besides our own: Orleans', the .NET runtime's (built into .NET 9+) and Npgsql's.</summary>
    private static readonly string[] s_meters = [GatewayMetrics.MeterName, "Microsoft.Orleans", "System.Runtime", "Npgsql"];

    /// <summary>
    /// Activity sources traced besides ASP.NET Core's: ours, Orleans' grain calls and storage operations, Npgsql's
    /// commands. Orleans' <c>Microsoft.Orleans.Runtime</c> (membership pings, directory traffic) is left out: it
    /// would bury the requests under background chatter.
    /// </summary>
    private static readonly string[] s_sources =
        [GatewayTelemetry.ActivitySourceName, "Microsoft.Orleans.Application", "Microsoft.Orleans.Storage", "Npgsql"];

    /// <summary>
    /// Adds metrics, tracing, health checks and the resource browser, configured from the sections
    /// <c>OpenTelemetry</c>, <c>Health</c> and <c>ResourceBrowser</c>; <paramref name="serviceName"/> names this
    /// process kind in exported telemetry. Readiness checks are added by the host (silo or cluster client).
    /// </summary>
    public static IHealthChecksBuilder AddVirtualIoTOperations(this WebApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        var telemetry = OperationsOptionsBinder.Bind(builder, TelemetryOptions.SectionName,
            new TelemetryOptionsValidator(), new TelemetryOtlpEndpointValidator());
        OperationsOptionsBinder.Bind(builder, HealthOptions.SectionName, new HealthOptionsValidator());
        OperationsOptionsBinder.Bind(builder, ResourceBrowserOptions.SectionName, new ResourceBrowserOptionsValidator());

        var endpoints = new OperationsEndpoints();
        builder.Services.AddSingleton(endpoints);

        var otlp = OtlpConfigured(telemetry, builder.Configuration);
        var tracing = telemetry.TracingEnabled && otlp;
        if (telemetry.MetricsEnabled || otlp)
        {
            var openTelemetry = builder.Services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService(serviceName));
            if (telemetry.MetricsEnabled)
            {
                openTelemetry.WithMetrics(metrics => metrics
                    .AddMeter(s_meters)
                    .AddAspNetCoreInstrumentation()
                    // Scrapes are rare (every 15 s or so); a cached answer would only hide fresh counts.
                    .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0));
            }

            if (telemetry.MetricsEnabled)
            {
                var limit = telemetry.MetricCardinalityLimit;
                builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) =>
                    metrics.AddView(OwnMetersOnly(services.GetRequiredService<IMeterFactory>(), limit)));
            }

            if (tracing)
            {
                openTelemetry.WithTracing(traces => traces
                    .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(telemetry.TraceSamplingRatio)))
                    .AddSource(s_sources)
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => !endpoints.Contains(context.Request.Path)));
            }

            if (otlp)
            {
                // One exporter for every signal; it also exports logs, so they carry trace IDs to the collector.
                if (telemetry.OtlpEndpoint is { } endpoint)
                {
                    openTelemetry.UseOtlpExporter(
                        telemetry.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc, endpoint);
                }
                else
                {
                    openTelemetry.UseOtlpExporter();
                }
            }
        }

        return builder.Services.AddHealthChecks();
    }

    /// <summary>
    /// True when traces should be propagated through grain calls (the host adds Orleans' activity propagation): when
    /// tracing is on and an OTLP endpoint is configured, as for the traces themselves. Without an exporter nothing
    /// reads the traces, and the propagation's grain call filters cost every grain call a little (BENCHMARKS.md,
    /// "Cost of metrics, dashboard and tracing").
    /// </summary>
    internal static bool TracingRequested(IConfiguration configuration)
    {
        var telemetry = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        return telemetry.TracingEnabled && OtlpConfigured(telemetry, configuration);
    }

    /// <summary>
    /// Maps the enabled operations endpoints: the Prometheus scrape endpoint, <c>/health/live</c>,
    /// <c>/health/ready</c> and the resource browser. They are literal routes, so they win over the oneM2M binding's
    /// catch-all route; a path whose first segment is the CSEBase name would hide resources and stops the start.
    /// </summary>
    public static WebApplication MapVirtualIoTOperations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var telemetry = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        var health = app.Services.GetRequiredService<IOptions<HealthOptions>>().Value;
        var browser = app.Services.GetRequiredService<IOptions<ResourceBrowserOptions>>().Value;
        var cse = app.Services.GetRequiredService<IOptions<CseOptions>>().Value;

        var endpoints = app.Services.GetRequiredService<OperationsEndpoints>();
        if (telemetry.MetricsEnabled)
        {
            endpoints.Register($"{TelemetryOptions.SectionName}:MetricsPath", telemetry.MetricsPath, cse.CseBaseName);
        }

        if (health.Enabled)
        {
            endpoints.Register($"{HealthOptions.SectionName}:LivePath", health.LivePath, cse.CseBaseName);
            endpoints.Register($"{HealthOptions.SectionName}:ReadyPath", health.ReadyPath, cse.CseBaseName);
        }

        if (browser.Enabled)
        {
            endpoints.Register($"{ResourceBrowserOptions.SectionName}:Path", browser.Path, cse.CseBaseName);
        }

        if (telemetry.MetricsEnabled)
        {
            app.MapPrometheusScrapingEndpoint(telemetry.MetricsPath).WithDisplayName("Prometheus scrape endpoint");
        }

        if (health.Enabled)
        {
            app.MapHealthChecks(health.LivePath, new HealthCheckOptions
            {
                Predicate = static _ => false,
                ResponseWriter = HealthResponseWriter.WriteAsync,
            }).WithDisplayName("liveness");
            app.MapHealthChecks(health.ReadyPath, new HealthCheckOptions
            {
                Predicate = static check => check.Tags.Contains(ReadyTag),
                ResponseWriter = HealthResponseWriter.WriteAsync,
            }).WithDisplayName("readiness");
        }

        if (browser.Enabled)
        {
            ResourceBrowser.Map(app, browser.Path, cse.CseBaseName);
        }

        return app;
    }

    /// <summary>
    /// Drops instruments of meters made by another host's <see cref="IMeterFactory"/>. A meter provider listens to
    /// meters by name across the whole process, so with several hosts in one process (tests, or an app hosting two)
    /// it would mix their counts, and when one host stops, its disposed instruments end the shared stream. Every
    /// other instrument keeps its name, description and advice, with at most <paramref name="cardinalityLimit"/>
    /// series (<see cref="TelemetryOptions.MetricCardinalityLimit"/>).
    /// </summary>
    private static Func<Instrument, MetricStreamConfiguration?> OwnMetersOnly(IMeterFactory own, int cardinalityLimit) =>
        instrument => instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, own)
            ? MetricStreamConfiguration.Drop
            : new MetricStreamConfiguration { CardinalityLimit = cardinalityLimit };

    private static bool OtlpConfigured(TelemetryOptions telemetry, IConfiguration configuration) =>
        telemetry.OtlpEndpoint is not null || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
}
