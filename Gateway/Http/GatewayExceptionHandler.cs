using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Gateway.Http;

/// <summary>
/// Turns an unexpected exception (a bug or broken infrastructure, never an expected oneM2M outcome) into a 5000
/// response with <c>X-M2M-RSC</c> and a short <c>m2m:dbg</c> naming the request's trace identifier. The exception is
/// logged here, once, at Error; no stack trace goes on the wire. ASP.NET Core 10 does not log exceptions an
/// <see cref="IExceptionHandler"/> handled, so this is the only log entry. An exception saying the cluster could not
/// reach a grain (<see cref="ClusterFailurePolicy.IsUnavailable"/>; <see cref="RequestDispatcher"/> handles those of
/// its own calls) is answered 5000 with <c>Retry-After</c> and logged at Warning.
/// </summary>
public sealed partial class GatewayExceptionHandler : IExceptionHandler
{
    private readonly ILogger _logger;
    private readonly GatewayMetrics _metrics;
    private readonly int _retryAfterSeconds;

    /// <summary>Creates the handler.</summary>
    public GatewayExceptionHandler(ILogger<GatewayExceptionHandler> logger, GatewayMetrics metrics, IOptions<GatewayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        _metrics = metrics;
        _retryAfterSeconds = options.Value.RetryAfterSeconds;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var request = httpContext.Request;
        if (exception is BadHttpRequestException badRequest)
        {
            // Kestrel could not read the request (a body shorter than its Content-Length, a client that hung up
            // mid-body): the request is malformed, not the CSE broken.
            Log.ClientAborted(_logger, request.Method, request.Path, httpContext.TraceIdentifier);
            if (!httpContext.Response.HasStarted && !httpContext.RequestAborted.IsCancellationRequested)
            {
                var headers = request.Headers;
                await HttpResponseWriter.WriteAsync(httpContext, ResourceResponse.Error(ResponseStatusCode.BadRequest, badRequest.Message),
                    headers[OneM2MHeaders.RequestIdentifier].ToString(), headers[OneM2MHeaders.ReleaseVersion].ToString());
            }

            return true;
        }

        if (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-request (its body cut short, the connection reset): nobody is left to
            // answer and nothing is wrong with the CSE.
            Log.ClientAborted(_logger, request.Method, request.Path, httpContext.TraceIdentifier);
            return true;
        }

        if (ClusterFailurePolicy.IsUnavailable(exception))
        {
            Log.ClusterUnavailable(_logger, request.Method, request.Path, exception.GetType().Name, httpContext.TraceIdentifier);
            if (!httpContext.Response.HasStarted)
            {
                var headers = request.Headers;
                var unavailable = ResourceResponse.Error(ResponseStatusCode.InternalServerError,
                    $"the cluster could not reach a grain ({exception.GetType().Name}); a silo may have failed: retry after {_retryAfterSeconds} s")
                    with { RetryAfterSeconds = _retryAfterSeconds };
                await HttpResponseWriter.WriteAsync(httpContext, unavailable,
                    headers[OneM2MHeaders.RequestIdentifier].ToString(), headers[OneM2MHeaders.ReleaseVersion].ToString());
            }
        }
        else
        {
            Log.UnhandledException(_logger, exception, request.Method, request.Path, httpContext.TraceIdentifier);
            await WriteInternalErrorAsync(httpContext);
        }

        if (_metrics.Enabled)
        {
            _metrics.RecordRequest("http", HttpGateway.MethodOperationName(request.Method), null,
                StatusCodeMapping.ToHeaderValue(ResponseStatusCode.InternalServerError), startTimestamp: 0);
        }

        return true;
    }

    /// <summary>Writes a bare 5000 response; also the middleware's fallback should no handler run.</summary>
    public static Task WriteInternalErrorAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var headers = httpContext.Request.Headers;
        var response = ResourceResponse.Error(ResponseStatusCode.InternalServerError,
            $"internal server error; the CSE log has the details under trace identifier {httpContext.TraceIdentifier}");
        return HttpResponseWriter.WriteAsync(httpContext, response,
            headers[OneM2MHeaders.RequestIdentifier].ToString(), headers[OneM2MHeaders.ReleaseVersion].ToString()).AsTask();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3000, Level = LogLevel.Error, Message = "Unhandled exception in {Method} {Path} (trace identifier {TraceIdentifier}); answered 5000")]
        public static partial void UnhandledException(ILogger logger, Exception exception, string method, PathString path, string traceIdentifier);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "{Method} {Path} failed: the cluster could not reach a grain ({Exception}; trace identifier {TraceIdentifier}); answered 5000 with Retry-After")]
        public static partial void ClusterUnavailable(ILogger logger, string method, PathString path, string exception, string traceIdentifier);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Client aborted {Method} {Path} (trace identifier {TraceIdentifier}) or sent a request that could not be read")]
        public static partial void ClientAborted(ILogger logger, string method, PathString path, string traceIdentifier);
    }
}
