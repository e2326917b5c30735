using System.Buffers;
using System.Globalization;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Http;

/// <summary>Reads the response of another oneM2M entity to a request this CSE sent over HTTP (a notification, a forwarded request).</summary>
internal static class OneM2MHttpResponse
{
    /// <summary>Largest response body read as content; a larger one is dropped.</summary>
    public const int MaxContentBytes = 1024 * 1024;

    /// <summary>
    /// The response status: <c>X-M2M-RSC</c>; from a receiver that is not a oneM2M entity and answers plain HTTP, a
    /// 2xx counts as 2000, a 5xx as 5000, anything else as 4000.
    /// </summary>
    public static ResponseStatusCode Status(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues(OneM2MHeaders.ResponseStatusCode, out var values)
            && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var rsc))
        {
            return (ResponseStatusCode)rsc;
        }

        return StatusFor((int)response.StatusCode);
    }

    /// <summary>The status of a plain HTTP answer without <c>X-M2M-RSC</c>: a 2xx counts as 2000, a 5xx as 5000, anything else as 4000.</summary>
    public static ResponseStatusCode StatusFor(int httpStatus) => httpStatus is >= 200 and < 300 ? ResponseStatusCode.Ok
        : httpStatus >= 500 ? ResponseStatusCode.InternalServerError : ResponseStatusCode.BadRequest;

    /// <summary>
    /// The response's body as a value tree when it is a oneM2M serialization (by Content-Type) of at most
    /// <see cref="MaxContentBytes"/>; otherwise, or when it is malformed, none: the status alone is the answer.
    /// </summary>
    public static async Task<Dictionary<string, object?>?> ReadContentAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is 0 or > MaxContentBytes
            || content.Headers.ContentType?.MediaType is not { } mediaType
            || !SerializationFormats.TryFromMediaType(mediaType, out var serialization))
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        await using (var stream = await content.ReadAsStreamAsync(cancellationToken))
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer.GetMemory(4096), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > MaxContentBytes)
                {
                    return null;
                }
            }
        }

        if (buffer.WrittenCount == 0)
        {
            return null;
        }

        var document = Representation.ParseAnyDocument(serialization, new ReadOnlySequence<byte>(buffer.WrittenMemory));
        return document.IsSuccess ? document.Value : null;
    }
}
