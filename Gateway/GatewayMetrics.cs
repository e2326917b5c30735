using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Logs;
using VirtualIoT.Gateway.Operations;

namespace VirtualIoT.Gateway;

/// <summary>
/// Request metrics of the protocol bindings, on the process-wide meter <c>VirtualIoT</c>: a duration histogram tagged
/// with protocol, operation, resource type (creates only) and response status code, whose count is the number of
/// requests answered (<c>virtualiot_request_duration_seconds_count</c>); for the MQTT binding also dropped messages (by
/// reason) and connected clients, for the WebSocket binding open connections. Tags are low-cardinality by
/// construction; no IDs or paths. Also the request's logging scope (<see cref="BeginRequestScope"/>), opened only
/// when a log sink shows scopes.
/// </summary>
public sealed class GatewayMetrics
{
    /// <summary>Name of the meter shared by all VirtualIoT components.</summary>
    public const string MeterName = "VirtualIoT";

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _mqttDropped;
    private readonly UpDownCounter<long> _mqttConnections;
    private readonly Counter<long> _mqttMoved;
    private readonly UpDownCounter<long> _webSocketConnections;

    private readonly Func<bool> _scopesShown;
    private volatile bool _requestScopes;

    /// <summary>
    /// Creates the instruments. The console formatters' and OpenTelemetry's logging options, when given, say whether
    /// any log sink shows scopes (<c>IncludeScopes</c>), followed when they change.
    /// </summary>
    public GatewayMetrics(
        IMeterFactory meterFactory,
        IOptionsMonitor<SimpleConsoleFormatterOptions>? simpleConsole = null,
        IOptionsMonitor<JsonConsoleFormatterOptions>? jsonConsole = null,
        IOptionsMonitor<ConsoleFormatterOptions>? systemdConsole = null,
        IOptionsMonitor<OpenTelemetryLoggerOptions>? openTelemetryLogs = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _scopesShown = () => simpleConsole?.CurrentValue.IncludeScopes == true || jsonConsole?.CurrentValue.IncludeScopes == true
            || systemdConsole?.CurrentValue.IncludeScopes == true || openTelemetryLogs?.CurrentValue.IncludeScopes == true;
        _requestScopes = _scopesShown();
        simpleConsole?.OnChange(_ => _requestScopes = _scopesShown());
        jsonConsole?.OnChange(_ => _requestScopes = _scopesShown());
        systemdConsole?.OnChange(_ => _requestScopes = _scopesShown());
        openTelemetryLogs?.OnChange(_ => _requestScopes = _scopesShown());

        // Bucket boundaries as ASP.NET Core's http.server.request.duration: grain calls take from well under a
        // millisecond (cached address, in-memory state) to seconds (storage stalls, silo failover).
        _duration = meter.CreateHistogram("virtualiot.request.duration", unit: "s",
            description: "Time from receiving a oneM2M request to writing its response.",
            advice: new InstrumentAdvice<double>
            {
                HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
            });
        _mqttDropped = meter.CreateCounter<long>("virtualiot.mqtt.dropped", unit: "{message}",
            description: "Messages on oneM2M MQTT topics dropped without an answer, by reason.");
        _mqttConnections = meter.CreateUpDownCounter<long>("virtualiot.mqtt.connections", unit: "{connection}",
            description: "Clients connected to the embedded MQTT broker.");
        _mqttMoved = meter.CreateCounter<long>("virtualiot.mqtt.moved", unit: "{connection}",
            description: "MQTT clients the broker sent to another silo's broker, by reason (a silo joined, this one stopped).");
        _webSocketConnections = meter.CreateUpDownCounter<long>("virtualiot.ws.connections", unit: "{connection}",
            description: "Open connections of the oneM2M WebSocket binding.");
    }

    /// <summary>
    /// Counts an MQTT message of a oneM2M topic that was dropped without an answer (malformed topic, unsupported
    /// serialization, no request identifier, another client's originator…), tagged with the reason.
    /// </summary>
    public void RecordMqttDropped(string reason)
    {
        if (_mqttDropped.Enabled)
        {
            _mqttDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    /// <summary>Counts a client connecting to (+1) or leaving (-1) the embedded MQTT broker.</summary>
    public void RecordMqttConnection(int change) => _mqttConnections.Add(change);

    /// <summary>Counts an MQTT client sent to another broker (<c>join</c> or <c>handover</c>).</summary>
    public void RecordMqttMoved(string reason)
    {
        if (_mqttMoved.Enabled)
        {
            _mqttMoved.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    /// <summary>Counts a WebSocket connection opening (+1) or closing (-1).</summary>
    public void RecordWebSocketConnection(int change) => _webSocketConnections.Add(change);

    /// <summary>True when any listener wants the measurements; check before taking timestamps.</summary>
    public bool Enabled => _duration.Enabled;

    /// <summary>Whether a log sink shows scopes (a console formatter's or OpenTelemetry's <c>IncludeScopes</c>).</summary>
    public bool RequestScopes => _requestScopes;

    /// <summary>
    /// The request's logging scope, naming its request identifier for every line logged while handling it; none
    /// (null) when no log sink shows scopes: a scope costs every request an allocation and an execution-context switch
    /// (BENCHMARKS.md, "`la` retrieve: the request's metrics and logging scope").
    /// </summary>
    public IDisposable? BeginRequestScope(ILogger logger, string requestIdentifier) =>
        _requestScopes ? GatewayTelemetry.BeginRequestScope(logger, requestIdentifier) : null;

    /// <summary>
    /// Records one answered request (the histogram's count is the request count). <paramref name="startTimestamp"/> is
    /// a <see cref="Stopwatch.GetTimestamp"/> value, or 0 when the duration is unknown.
    /// </summary>
    public void RecordRequest(string protocol, string operation, string? resourceType, string responseStatusCode, long startTimestamp)
    {
        var tags = new TagList
        {
            { "protocol", protocol },
            { "operation", operation },
            { "rsc", responseStatusCode },
        };
        if (resourceType is not null)
        {
            tags.Add("resource_type", resourceType);
        }

        // A request without a known start still counts, in the histogram's lowest bucket.
        if (_duration.Enabled)
        {
            _duration.Record(startTimestamp == 0 ? 0 : Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
        }
    }

    /// <summary>The operation tag value.</summary>
    public static string OperationName(Operation operation, bool discovery) => operation switch
    {
        Operation.Create => "create",
        Operation.Retrieve => discovery ? "discovery" : "retrieve",
        Operation.Update => "update",
        Operation.Delete => "delete",
        Operation.Notify => "notify",
        _ => "unknown",
    };

    /// <summary>The resource type tag value for a create (<c>cnt</c>), or <c>other</c> when it has no short name.</summary>
    public static string ResourceTypeName(ResourceType type) => ResourceTypeRegistry.ShortName(type) ?? "other";
}
