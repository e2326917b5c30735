using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Gateway.Operations;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// The steps the bindings that carry whole primitives (MQTT, WebSocket) share around <see cref="RequestDispatcher"/>,
/// so that they answer alike: timing parameters read on arrival, one catch that turns an unexpected exception into
/// 5000 (logged once, no stack trace sent), the request's activity and metrics, and the AE-ID a registration gave.
/// </summary>
internal static partial class PrimitiveExchange
{
    /// <summary>
    /// <c>rqet</c>, <c>rset</c>, <c>oet</c> and <c>rt</c> of <paramref name="parsed"/> read against the clock on arrival
    /// (a broker may have held the message); a bad value turns the request into its error.
    /// </summary>
    public static (MqttRequest Parsed, RequestTiming Timing) WithTiming(RequestDispatcher dispatcher, MqttRequest parsed)
    {
        if (parsed.Request is null)
        {
            return (parsed, RequestTiming.None);
        }

        var timing = dispatcher.ParseTiming(parsed.Timing);
        return timing.IsSuccess ? (parsed, timing.Value) : (parsed with { Request = null, Error = timing.Error }, RequestTiming.None);
    }

    /// <summary>
    /// The response to <paramref name="parsed"/>: its parse error, else the binding's <paramref name="refusal"/>
    /// (authentication, originator), else the dispatcher's answer to the request marked with the binding's
    /// <paramref name="origin"/>. An unexpected exception is logged under <paramref name="protocol"/> and
    /// <paramref name="client"/> (formatted only then) and answered 5000.
    /// </summary>
    public static async Task<ResourceResponse> ExecuteAsync(RequestDispatcher dispatcher, MqttRequest parsed, RequestTiming timing, OneM2MError? refusal,
        BindingOrigin origin, ILogger logger, string protocol, object client, CancellationToken cancellationToken)
    {
        if (parsed.Request is not { } request)
        {
            return ResourceResponse.Error(parsed.Error!);
        }

        if (refusal is not null)
        {
            return ResourceResponse.Error(refusal);
        }

        try
        {
            if (!origin.Mark())
            {
                request = request with { Binding = origin.Origin.Binding };
            }

            return await dispatcher.DispatchAsync(request, parsed.Address, timing, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // One catch per binding, as GatewayExceptionHandler for HTTP: logged once, no stack trace sent.
            var requestIdentifier = parsed.RequestIdentifier ?? "";
            Log.UnhandledException(logger, exception, protocol, requestIdentifier, client);
            return ResourceResponse.Error(ResponseStatusCode.InternalServerError,
                $"internal server error; the CSE log has the details under request identifier {requestIdentifier}");
        }
    }

    /// <summary>Completes the request's activity and records it in the metrics (<paramref name="startTimestamp"/> 0: not timed).</summary>
    public static void Complete(GatewayMetrics metrics, string protocol, Activity? activity, ResourceRequest? request, ResourceResponse response,
        long startTimestamp)
    {
        var operationName = request is null ? "unknown" : GatewayMetrics.OperationName(request.Operation, RequestDispatcher.IsDiscovery(request));
        GatewayTelemetry.Complete(activity, operationName, response.StatusCode);
        if (startTimestamp != 0)
        {
            var resourceType = request?.ResourceType is { } type ? GatewayMetrics.ResourceTypeName(type) : null;
            metrics.RecordRequest(protocol, operationName, resourceType, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), startTimestamp);
        }
    }

    /// <summary>
    /// The AE-ID a successful AE registration (<paramref name="request"/>) gave: <c>aei</c> in <c>{"m2m:ae":{…}}</c>
    /// (rcn 1 and 3 carry it; rcn 0 and 2 do not). Null for any other request or answer.
    /// </summary>
    public static string? RegisteredAeId(ResourceRequest? request, ResourceResponse response)
    {
        if (request?.ResourceType != ResourceType.AE || response.StatusCode != ResponseStatusCode.Created)
        {
            return null;
        }

        var content = response.Content as Dictionary<string, object?>;
        if (content is not null && content.TryGetValue("m2m:rce", out var rce))
        {
            content = rce as Dictionary<string, object?>;
        }

        return content is not null && content.TryGetValue("m2m:ae", out var ae) && ae is Dictionary<string, object?> attributes
            && attributes.TryGetValue("aei", out var aei) ? aei as string : null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3120, Level = LogLevel.Error, Message = "Unhandled exception in {Protocol} request {RequestIdentifier} from client {ClientId}; answered 5000")]
        public static partial void UnhandledException(ILogger logger, Exception exception, string protocol, string requestIdentifier, object clientId);
    }
}
