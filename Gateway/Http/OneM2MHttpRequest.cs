using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Http;

/// <summary>A request this CSE sends to another CSE over HTTP (TS-0009: a forwarded request, a registration), and its answer.</summary>
internal static class OneM2MHttpRequest
{
    /// <summary>A request to <paramref name="uri"/> with the oneM2M headers and, when given, JSON content (with <c>ty</c> for a create).</summary>
    public static HttpRequestMessage Create(HttpMethod method, Uri uri, string originator, string requestId, string releaseVersion,
        Dictionary<string, object?>? content = null, ResourceType? type = null)
    {
        var message = new HttpRequestMessage(method, uri);
        message.Headers.TryAddWithoutValidation(OneM2MHeaders.Origin, originator);
        message.Headers.TryAddWithoutValidation(OneM2MHeaders.RequestIdentifier, requestId);
        message.Headers.TryAddWithoutValidation(OneM2MHeaders.ReleaseVersion, releaseVersion);
        if (content is not null)
        {
            var body = new ArrayBufferWriter<byte>(512);
            Representation.Write(ContentSerialization.Json, body, content);
            message.Content = new ReadOnlyMemoryContent(body.WrittenMemory);
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type is { } ty
                ? string.Create(CultureInfo.InvariantCulture, $"{OneM2MHeaders.JsonMediaType};ty={(int)ty}")
                : OneM2MHeaders.JsonMediaType);
        }

        return message;
    }

    /// <summary>
    /// Sends <paramref name="message"/> and reads the answer's status, content and <c>Content-Location</c>, waiting at
    /// most <paramref name="timeout"/>; null when the other CSE could not be reached or did not answer in time.
    /// </summary>
    public static async Task<OneM2MHttpAnswer?> ExchangeAsync(HttpClient client, HttpRequestMessage message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var exchange = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        exchange.CancelAfter(timeout);
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, exchange.Token);
            var content = await OneM2MHttpResponse.ReadContentAsync(response.Content, exchange.Token);
            var location = response.Headers.TryGetValues("Content-Location", out var values) ? values.FirstOrDefault() : null;
            return new OneM2MHttpAnswer(OneM2MHttpResponse.Status(response), content, location);
        }
        catch (Exception exception) when (exception is HttpRequestException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}

/// <summary>Another CSE's answer to a request sent over HTTP.</summary>
/// <param name="Status">Its <c>X-M2M-RSC</c>.</param>
/// <param name="Content">Its content as a value tree, when it is a oneM2M serialization.</param>
/// <param name="Location">Its <c>Content-Location</c> (a created resource), if any.</param>
internal sealed record OneM2MHttpAnswer(ResponseStatusCode Status, Dictionary<string, object?>? Content, string? Location);
