using System.Globalization;
using System.Net.Http.Headers;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Tests.Bindings;

/// <summary>The HTTP binding (TS-0009) in one serialization: Content-Type and Accept name it.</summary>
public sealed class HttpBindingClient(HttpClient http, ContentSerialization serialization) : IBindingClient
{
    // Request parameters the HTTP binding carries as headers (TS-0009 6.4); the rest go in the query.
    private static readonly Dictionary<string, string> s_headers = new()
    {
        ["gid"] = "X-M2M-GID",
        ["rset"] = "X-M2M-RST",
        ["rqet"] = "X-M2M-RET",
    };

    public async Task<TestAnswer> SendAsync(TestPrimitive request)
    {
        var requestId = TestPayloads.NewRequestId();
        var method = request.Operation switch
        {
            1 or 5 => HttpMethod.Post,
            2 => HttpMethod.Get,
            3 => HttpMethod.Put,
            _ => HttpMethod.Delete,
        };
        var queried = request.Parameters?.Where(p => !s_headers.ContainsKey(p.Key)).ToList() ?? [];
        var query = queried.Count > 0
            ? "?" + string.Join("&", queried.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)))
            : "";
        using var message = new HttpRequestMessage(method, "/" + request.To + query);
        foreach (var (name, value) in request.Parameters ?? new Dictionary<string, string>())
        {
            if (s_headers.TryGetValue(name, out var header))
            {
                message.Headers.TryAddWithoutValidation(header, value);
            }
        }

        if (request.From is not null)
        {
            message.Headers.TryAddWithoutValidation("X-M2M-Origin", request.From);
        }

        message.Headers.TryAddWithoutValidation("X-M2M-RI", requestId);
        message.Headers.TryAddWithoutValidation("X-M2M-RVI", "3");
        var mediaType = SerializationFormats.MediaType(serialization);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        if (request.Content is not null)
        {
            message.Content = new ByteArrayContent(Representation.ToArray(serialization, request.Content));
            message.Content.Headers.TryAddWithoutValidation("Content-Type",
                request.Type is { } type ? $"{mediaType};ty={type.ToString(CultureInfo.InvariantCulture)}" : mediaType);
        }

        using var response = await http.SendAsync(message);
        var body = await response.Content.ReadAsByteArrayAsync();
        var rsc = response.Headers.TryGetValues("X-M2M-RSC", out var values) ? int.Parse(values.First(), CultureInfo.InvariantCulture) : 0;
        var echoed = response.Headers.TryGetValues("X-M2M-RI", out var ri) ? ri.First() : null;
        if (body.Length > 0)
        {
            Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        }

        return new TestAnswer(rsc, echoed, TestPayloads.Decode(serialization, body));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
