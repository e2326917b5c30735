using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Operations;

/// <summary>
/// Metrics and traces through OpenTelemetry. Section <c>OpenTelemetry</c> of configuration.
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "OpenTelemetry";

    /// <summary>
    /// Collect metrics (the <c>VirtualIoT</c> meter, Orleans', ASP.NET Core's and the .NET runtime's) and serve them
    /// for Prometheus at <see cref="MetricsPath"/>. Default true: an operator expects a scrape endpoint; turning it
    /// off also stops the instruments' recording, which is what a benchmark of "metrics off" measures.
    /// </summary>
    public bool MetricsEnabled { get; set; } = true;

    /// <summary>
    /// Most series (distinct tag combinations) kept per metric stream; measurements with further combinations are
    /// counted in one overflow series (tag <c>otel.metric.overflow</c>). Default 200. OpenTelemetry reserves the
    /// points of every stream up front: its own default of 2,000 cost a silo about 23 MB of managed heap for some
    /// 140 streams whose largest holds a few dozen series.
    /// </summary>
    [Range(10, 100_000)]
    public int MetricCardinalityLimit { get; set; } = 200;

    /// <summary>Path of the Prometheus scrape endpoint. Default <c>/metrics</c>, where Prometheus looks by default.</summary>
    [Required, RegularExpression(OperationsPaths.Pattern)]
    public string MetricsPath { get; set; } = "/metrics";

    /// <summary>
    /// Record traces: one activity per oneM2M request (source <c>VirtualIoT.Gateway</c>, tagged with <c>rqi</c> and
    /// originator), carried into grain calls and storage by Orleans' activity propagation. Default true. Traces are
    /// collected only while an OTLP endpoint is configured (<see cref="OtlpEndpoint"/>): there is no local place to
    /// read them, so without one they would cost time for nothing.
    /// </summary>
    public bool TracingEnabled { get; set; } = true;

    /// <summary>
    /// Share of root traces kept, from 0 to 1 (a request arriving with a sampled <c>traceparent</c> is always kept).
    /// Default 1: every request, as a development default; lower it under heavy load.
    /// </summary>
    [Range(0.0, 1.0)]
    public double TraceSamplingRatio { get; set; } = 1.0;

    /// <summary>
    /// OTLP collector to export traces, metrics and logs to, e.g. <c>http://127.0.0.1:4317</c>. Default unset: no
    /// OTLP export. The standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> setting is honoured when this is unset.
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>OTLP transport: <c>grpc</c> (default, port 4317) or <c>http/protobuf</c> (port 4318).</summary>
    [Required, RegularExpression("^(grpc|http/protobuf)$")]
    public string OtlpProtocol { get; set; } = "grpc";
}

/// <summary>Liveness and readiness endpoints for an orchestrator. Section <c>Health</c> of configuration.</summary>
public sealed class HealthOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Health";

    /// <summary>Serve the health endpoints. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Liveness: 200 as long as the process answers HTTP; checks nothing else, so that an orchestrator restarts the
    /// process only when it is wedged, never because a database is down. Default <c>/health/live</c>.
    /// </summary>
    [Required, RegularExpression(OperationsPaths.Pattern)]
    public string LivePath { get; set; } = "/health/live";

    /// <summary>
    /// Readiness: 200 when this silo is an active cluster member and its grain storage answers (a standalone gateway:
    /// when its Orleans client reaches the cluster), 503 otherwise. Default <c>/health/ready</c>.
    /// </summary>
    [Required, RegularExpression(OperationsPaths.Pattern)]
    public string ReadyPath { get; set; } = "/health/ready";

    /// <summary>
    /// Longest a single readiness check may take before it counts as failed. Default 5 s: below the usual 10 s
    /// probe period of an orchestrator, above any healthy database round trip.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The resource browser page. Section <c>ResourceBrowser</c> of configuration.</summary>
public sealed class ResourceBrowserOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "ResourceBrowser";

    /// <summary>
    /// Serve the page. Default true: it reads through the public oneM2M API with the originator the user types, so
    /// it shows nothing that originator could not fetch with curl.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Path of the page. Default <c>/browser</c>.</summary>
    [Required, RegularExpression(OperationsPaths.Pattern)]
    public string Path { get; set; } = "/browser";
}

/// <summary>Rules shared by the operations endpoints' paths.</summary>
internal static class OperationsPaths
{
    /// <summary>An absolute path of URL-safe segments, not the root, without a trailing slash.</summary>
    public const string Pattern = "^(/[A-Za-z0-9._~-]+)+$";
}

/// <summary>Source-generated DataAnnotations validation of <see cref="TelemetryOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
}

/// <summary>The OTLP endpoint must be an absolute http(s) URI: a typo should stop the start, not lose every trace.</summary>
internal sealed class TelemetryOtlpEndpointValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options) =>
        options.OtlpEndpoint is not { } endpoint || (endpoint.IsAbsoluteUri && endpoint.Scheme is "http" or "https")
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{TelemetryOptions.SectionName}:OtlpEndpoint '{endpoint}' is not an absolute http or https URI such as http://127.0.0.1:4317.");
}

/// <summary>Source-generated DataAnnotations validation of <see cref="HealthOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class HealthOptionsValidator : IValidateOptions<HealthOptions>
{
}

/// <summary>Source-generated DataAnnotations validation of <see cref="ResourceBrowserOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class ResourceBrowserOptionsValidator : IValidateOptions<ResourceBrowserOptions>
{
}
