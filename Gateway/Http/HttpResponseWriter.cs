using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using VirtualIoT.Gateway.Json;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Http;

/// <summary>
/// Writes a <see cref="ResourceResponse"/> as an HTTP response (TS-0009 6.4, 6.6): status from
/// <see cref="StatusCodeMapping"/>, <c>X-M2M-RSC</c> always, <c>X-M2M-RI</c> and <c>X-M2M-RVI</c> echoed,
/// <c>Content-Location</c> on 2001, <c>Retry-After</c> when the response says to retry later, and the content
/// (or <c>{"m2m:dbg":…}</c> for an error) in the negotiated serialization.
/// </summary>
public static class HttpResponseWriter
{
    /// <summary>
    /// Writes <paramref name="response"/>, echoing the request's identifier and release version when known, with its
    /// content in <paramref name="serialization"/> labelled <paramref name="mediaType"/> (default: the plain type).
    /// </summary>
    public static ValueTask WriteAsync(HttpContext context, ResourceResponse response, string? requestIdentifier, string? releaseVersion,
        ContentSerialization serialization = ContentSerialization.Json, string? mediaType = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(response);

        var http = context.Response;
        var code = response.StatusCode;
        http.StatusCode = StatusCodeMapping.ToHttpStatus(code);
        var headers = http.Headers;
        headers[OneM2MHeaders.ResponseStatusCode] = StatusCodeMapping.ToHeaderValue(code);
        if (!string.IsNullOrEmpty(requestIdentifier))
        {
            headers[OneM2MHeaders.RequestIdentifier] = requestIdentifier;
        }

        if (!string.IsNullOrEmpty(releaseVersion))
        {
            headers[OneM2MHeaders.ReleaseVersion] = releaseVersion;
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
            http.ContentLength = buffer.WrittenCount;
            http.BodyWriter.Write(buffer.WrittenSpan);
        }
        finally
        {
            PooledJsonWriter.Return(buffer);
        }
    }
}
