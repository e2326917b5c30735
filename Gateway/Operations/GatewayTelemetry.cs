using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace VirtualIoT.Gateway.Operations;

/// <summary>
/// Per-request tracing and log scope of the protocol bindings: one activity per oneM2M request on the source
/// <c>VirtualIoT.Gateway</c>, tagged with the request identifier (<c>rqi</c>) and originator, and a logging scope
/// carrying <c>rqi</c> (which the bindings open through <see cref="GatewayMetrics.BeginRequestScope"/>: only when a log
/// sink shows scopes). The activity is current while the grain call runs, so Orleans' activity propagation makes
/// the grain calls and storage operations its children.
/// </summary>
public static class GatewayTelemetry
{
    /// <summary>Name of the gateway's <see cref="ActivitySource"/>.</summary>
    public const string ActivitySourceName = "VirtualIoT.Gateway";

    /// <summary>Activity tag holding the request identifier (<c>rqi</c>).</summary>
    public const string RequestIdentifierTag = "onem2m.rqi";

    /// <summary>Activity tag holding the originator (<c>X-M2M-Origin</c> / <c>fr</c>).</summary>
    public const string OriginatorTag = "onem2m.originator";

    /// <summary>Activity tag holding the operation (as in the metrics: create, retrieve, discovery, ...).</summary>
    public const string OperationTag = "onem2m.operation";

    /// <summary>Activity tag holding the response status code.</summary>
    public const string ResponseStatusCodeTag = "onem2m.rsc";

    private static readonly ActivitySource s_source = new(ActivitySourceName);

    private static readonly Func<ILogger, string, IDisposable?> s_requestScope =
        LoggerMessage.DefineScope<string>("oneM2M request {RequestIdentifier}");

    /// <summary>
    /// Starts the request's activity, or returns null when nobody listens (tracing off: one volatile read).
    /// The originator is passed unconverted so that an unsampled request does not turn it into a string.
    /// </summary>
    public static Activity? StartRequest(string protocol, string requestIdentifier, StringValues originator)
    {
        if (!s_source.HasListeners())
        {
            return null;
        }

        var activity = s_source.StartActivity("oneM2M request", ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("onem2m.protocol", protocol);
            activity.SetTag(RequestIdentifierTag, requestIdentifier);
            activity.SetTag(OriginatorTag, originator.ToString());
        }

        return activity;
    }

    /// <summary>Names the activity after the operation and records the outcome; 5xxx codes mark it as an error.</summary>
    public static void Complete(Activity? activity, string operation, ResponseStatusCode responseStatusCode)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        activity.DisplayName = "oneM2M " + operation;
        activity.SetTag(OperationTag, operation);
        activity.SetTag(ResponseStatusCodeTag, (int)responseStatusCode);
        if (responseStatusCode.IsReceiverError())
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>A logging scope naming the request identifier, for every log line written while handling it.</summary>
    public static IDisposable? BeginRequestScope(ILogger logger, string requestIdentifier) => s_requestScope(logger, requestIdentifier);
}
