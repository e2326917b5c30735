using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using VirtualIoT.Gateway.Json;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Http;

/// <summary>What an HTTP response repeats of its request, and whether the originator wanted an answer at all.</summary>
/// <param name="RequestIdentifier"><c>X-M2M-RI</c>, echoed when known.</param>
/// <param name="ReleaseVersion"><c>X-M2M-RVI</c>, echoed when sent.</param>
/// <param name="VendorInformation"><c>X-M2M-VSI</c>, echoed when sent.</param>
/// <param name="NoResponse">True for <c>rt=5</c> (noResponse): 204 without a body, whatever the outcome.</param>
public readonly record struct ResponseEcho(string? RequestIdentifier, string? ReleaseVersion, string? VendorInformation = null, bool NoResponse = false);

/// <summary>
/// Writes a <see cref="ResourceResponse"/> as an HTTP response (TS-0009 6.4, 6.6): status from
/// <see cref="StatusCodeMapping"/>, <c>X-M2M-RSC</c> and <c>X-M2M-OT</c> always, <c>X-M2M-RI</c>, <c>X-M2M-RVI</c> and <c>X-M2M-VSI</c> echoed,
/// <c>Content-Location</c> on 2001, <c>Retry-After</c> when the response says to retry later, and the content
/// (or <c>{"m2m:dbg":…}</c> for an error) in the negotiated serialization.
/// </summary>
public static class HttpResponseWriter
{
    /// <summary>Writes <paramref name="response"/>, echoing the request's identifier and release version when known.</summary>
    public static ValueTask WriteAsync(HttpContext context, ResourceResponse response, string? requestIdentifier, string? releaseVersion) =>
        WriteAsync(context, response, new ResponseEcho(requestIdentifier, releaseVersion));

    /// <summary>
    /// Writes <paramref name="response"/> with what <paramref name="echo"/> repeats of the request, its content in
    /// <paramref name="serialization"/> labelled <paramref name="mediaType"/> (default: the plain type).
    /// </summary>
    public static ValueTask WriteAsync(HttpContext context, ResourceResponse response, ResponseEcho echo,
        ContentSerialization serialization = ContentSerialization.Json, string? mediaType = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(response);

        var http = context.Response;
        var code = response.StatusCode;
        http.StatusCode = echo.NoResponse ? StatusCodes.Status204NoContent : StatusCodeMapping.ToHttpStatus(code);
        var headers = http.Headers;
        headers[OneM2MHeaders.ResponseStatusCode] = StatusCodeMapping.ToHeaderValue(code);
        headers[OneM2MHeaders.OriginatingTimestamp] = OneM2MTime.Format(DateTime.UtcNow);
        if (!string.IsNullOrEmpty(echo.RequestIdentifier))
        {
            headers[OneM2MHeaders.RequestIdentifier] = echo.RequestIdentifier;
        }

        if (!string.IsNullOrEmpty(echo.ReleaseVersion))
        {
            headers[OneM2MHeaders.ReleaseVersion] = echo.ReleaseVersion;
        }

        if (!string.IsNullOrEmpty(echo.VendorInformation))
        {
            headers[OneM2MHeaders.VendorInformation] = echo.VendorInformation;
        }

        if (echo.NoResponse)
        {
            // rt=5 (noResponse): the request was carried out; the originator asked for no result.
            http.ContentLength = 0;
            return ValueTask.CompletedTask;
        }

        if (response.RetryAfterSeconds is { } retryAfter)
        {
            headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (code == ResponseStatusCode.Created && !string.IsNullOrEmpty(response.Location))
        {
            headers.ContentLocation = response.Location;
        }

        var content = response.Content;
        var debugMessage = content is null && (int)code >= 4000 ? response.Message : null;
        if (content is null && debugMessage is null)
        {
            http.ContentLength = 0;
            return ValueTask.CompletedTask;
        }

        http.ContentType = mediaType ?? SerializationFormats.MediaType(serialization);
        if (serialization != ContentSerialization.Json)
        {
            var bytes = Representation.ToArray(serialization, content ?? Representation.DebugContent(debugMessage!));
            http.ContentLength = bytes.Length;
            http.BodyWriter.Write(bytes);
        }
        else
        {
            WriteJson(http, content, debugMessage);
        }

        var flush = http.BodyWriter.FlushAsync(context.RequestAborted);
        return flush.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitFlush(flush);

        static async ValueTask AwaitFlush(ValueTask<System.IO.Pipelines.FlushResult> flush) => await flush;
    }

    private static void WriteJson(HttpResponse http, object? content, string? debugMessage)
    {
        // Serialized into a per-thread buffer first so that Content-Length can be sent (no chunking).
        var writer = PooledJsonWriter.Rent(out var buffer);
        try
        {
            if (debugMessage is not null)
            {
                writer.WriteStartObject();
                writer.WriteString("m2m:dbg", debugMessage);
                writer.WriteEndObject();
            }
            else
            {
                ContentWriter.WriteValue(writer, content);
            }

            writer.Flush();
            http.ContentLength = buffer.Length;
            foreach (var block in buffer.GetReadOnlySequence())
            {
                http.BodyWriter.Write(block.Span);
            }
        }
        finally
        {
            PooledJsonWriter.Return(buffer);
        }
    }
}
