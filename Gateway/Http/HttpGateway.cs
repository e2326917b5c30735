using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Operations;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Security;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Http;

/// <summary>
/// The oneM2M HTTP binding's request handler: parse (<see cref="HttpRequestParser"/>), resolve the address
/// and make one grain call (<see cref="RequestDispatcher"/>, shared with the MQTT binding), write the response
/// (<see cref="HttpResponseWriter"/>).
/// The handler is static; this object carries its singletons, bound into the endpoint once at startup.
/// </summary>
public sealed partial class HttpGateway
{
    private const string Protocol = "http";

    private readonly CseIdentity _cse;
    private readonly RequestDispatcher _dispatcher;
    private readonly OriginatorAuthenticator _authenticator;
    private readonly GatewayMetrics _metrics;
    private readonly RequestOrigins _origins;
    private readonly ILogger _logger;
    private readonly int _maxBodyBytes;

    /// <summary>Creates the handler's state.</summary>
    public HttpGateway(
        CseIdentity cse,
        RequestDispatcher dispatcher,
        OriginatorAuthenticator authenticator,
        GatewayMetrics metrics,
        RequestOrigins origins,
        IOptions<GatewayOptions> options,
        ILogger<HttpGateway> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cse = cse;
        _dispatcher = dispatcher;
        _authenticator = authenticator;
        _metrics = metrics;
        _origins = origins;
        _logger = logger;
        _maxBodyBytes = options.Value.MaxBodyBytes;
    }

    /// <summary>Handles one request of the oneM2M HTTP binding.</summary>
    public static async Task HandleAsync(HttpContext context, HttpGateway gateway)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(gateway);

        var startTimestamp = gateway._metrics.Enabled ? Stopwatch.GetTimestamp() : 0;
        var request = context.Request;
        var headers = request.Headers;
        var echo = new OneM2MEcho(headers);
        var requestIdentifier = echo.RequestIdentifier;
        var noResponse = false;
        using var activity = GatewayTelemetry.StartRequest(Protocol, requestIdentifier, headers[OneM2MHeaders.Origin]);
        using var logScope = gateway._metrics.BeginRequestScope(gateway._logger, requestIdentifier);
        var operationName = MethodOperationName(request.Method);
        string? resourceTypeName = null;

        ResourceResponse response;
        var parsed = HttpRequestParser.HasBody(request.Method)
            ? await ReadAndParseAsync(context, gateway, echo)
            : HttpRequestParser.Parse(request, ReadOnlySequence<byte>.Empty, gateway._cse, echo);

        if (!parsed.IsSuccess)
        {
            response = ResourceResponse.Error(parsed.Error);
        }
        else
        {
            var (resourceRequest, address) = parsed.Value;
            var discovery = parsed.Value.IsDiscovery;
            operationName = GatewayMetrics.OperationName(resourceRequest.Operation, discovery);
            if (resourceRequest.ResourceType is { } type)
            {
                resourceTypeName = GatewayMetrics.ResourceTypeName(type);
            }

            var timing = gateway._dispatcher.ParseTiming(new TimingParameters(
                Header(headers, OneM2MHeaders.RequestExpiration), Header(headers, OneM2MHeaders.ResultExpiration),
                Header(headers, OneM2MHeaders.OperationExecutionTime), request.QueryString.HasValue ? request.Query["rt"].FirstOrDefault() : null,
                ResponseTargets(headers), Header(headers, OneM2MHeaders.OriginatingTimestamp)));
            if (!timing.IsSuccess)
            {
                response = ResourceResponse.Error(timing.Error);
            }
            else
            {
                noResponse = timing.Value.NoResponse;
                gateway._origins.Http.Mark();
                response = await gateway.AnswerAsync(context, resourceRequest, address, timing.Value);
            }
        }

        var (serialization, mediaType) = ResponseFormat(request);
        await HttpResponseWriter.WriteAsync(context, response, new ResponseEcho(requestIdentifier, echo.ReleaseVersion, echo.VendorInformation, noResponse),
            serialization, mediaType);
        GatewayTelemetry.Complete(activity, operationName, response.StatusCode);

        if (response.StatusCode.IsError())
        {
            Log.RequestFailed(gateway._logger, request.Method, request.Path, (int)response.StatusCode, response.Message);
        }

        if (startTimestamp != 0)
        {
            gateway._metrics.RecordRequest(Protocol, operationName, resourceTypeName,
                StatusCodeMapping.ToHeaderValue(response.StatusCode), startTimestamp);
        }
    }

    // The answer to a parsed request: the originator authenticated first when that is required, then the dispatcher.
    // Not an async method unless authentication is required, so HandleAsync's state machine keeps neither the request,
    // its address and timing nor an authentication awaiter across its one await of the answer.
    private ValueTask<ResourceResponse> AnswerAsync(HttpContext context, ResourceRequest request, ParsedAddress address, RequestTiming timing) =>
        _authenticator.Required
            ? AuthenticateAndDispatchAsync(context, request, address, timing)
            : _dispatcher.DispatchAsync(request, address, timing, context.RequestAborted);

    private async ValueTask<ResourceResponse> AuthenticateAndDispatchAsync(HttpContext context, ResourceRequest request, ParsedAddress address, RequestTiming timing) =>
        await _authenticator.AuthenticateHttpAsync(context.Request.Headers.Authorization, request) is { } unauthenticated
            ? ResourceResponse.Error(unauthenticated)
            : await _dispatcher.DispatchAsync(request, address, timing, context.RequestAborted);

    /// <summary>
    /// The response's serialization: what <c>Accept</c> asks for, the request body's own when it leaves the choice
    /// open (<c>*/*</c>, none), and JSON when neither is known or <c>Accept</c> admits nothing (that request is
    /// answered 5207 by the parser, in JSON).
    /// </summary>
    internal static (ContentSerialization Serialization, string MediaType) ResponseFormat(HttpRequest request)
    {
        var own = HeaderParser.ParseContentType(request.ContentType) is { IsSuccess: true } contentType
            ? contentType.Value.Serialization : ContentSerialization.Json;
        return SerializationFormats.TryNegotiate(request.Headers.Accept, own, out var chosen, out var mediaType)
            ? (chosen, mediaType)
            : (ContentSerialization.Json, SerializationFormats.JsonMediaType);
    }

    // A header's value, or null when absent or empty.
    private static string? Header(IHeaderDictionary headers, string name)
    {
        var value = headers[name];
        return StringValues.IsNullOrEmpty(value) ? null : value.ToString();
    }

    // X-M2M-RTU: the rtu entries joined by '&' (TS-0009), empty entries dropped (as ACME does); null when absent.
    private static string[]? ResponseTargets(IHeaderDictionary headers) =>
        Header(headers, OneM2MHeaders.ResponseTypeUris)?.Split('&', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The operation tag for a request whose operation is not known yet (or that failed to parse).</summary>
    internal static string MethodOperationName(string method) =>
        HttpMethods.IsGet(method) ? "retrieve"
        : HttpMethods.IsPost(method) ? "create"
        : HttpMethods.IsPut(method) ? "update"
        : HttpMethods.IsDelete(method) ? "delete"
        : "unknown";

    private static async ValueTask<ParseResult<ParsedHttpRequest>> ReadAndParseAsync(HttpContext context, HttpGateway gateway, OneM2MEcho echo)
    {
        var request = context.Request;
        var limit = gateway._maxBodyBytes;
        if (request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        if (request.ContentLength == 0)
        {
            return HttpRequestParser.Parse(request, ReadOnlySequence<byte>.Empty, gateway._cse, echo);
        }

        // Kestrel's pipe holds the body in pooled segments; the parser reads them in place and copies out only
        // the strings it keeps, so the body is never copied into an array.
        var reader = request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(context.RequestAborted);
            if (read.Buffer.Length > limit)
            {
                reader.AdvanceTo(read.Buffer.End);
                return TooLarge(limit);
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                break;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        try
        {
            return HttpRequestParser.Parse(request, read.Buffer, gateway._cse, echo);
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    // 4000 rather than HTTP 413: oneM2M has no "too large" code for requests (5207 NOT_ACCEPTABLE is about the
    // response or a container's mbs), and clients key on X-M2M-RSC.
    private static OneM2MError TooLarge(int limit) => OneM2MError.BadRequest($"request body exceeds {limit} bytes");

    private static partial class Log
    {
        // One line per failed request, at Information (operators want to see denials and misses); no body, ever.
        // Unexpected exceptions are logged once, at Error, by GatewayExceptionHandler.
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{Method} {Path} answered {ResponseStatusCode}: {Reason}")]
        public static partial void RequestFailed(ILogger logger, string method, PathString path, int responseStatusCode, string? reason);
    }
}
