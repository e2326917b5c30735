using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>The benchmark's resources and how requests to them are built; shared by setup and load.</summary>
internal static class BenchmarkHttp
{
    public const string CseBase = "cse-in";
    public const string ContainerName = "cnt";

    /// <summary>The contentInstance every benchmark create sends.</summary>
    public const string ContentInstanceJson = """{"m2m:cin":{"con":"21.5"}}""";

    public static readonly byte[] ContentInstanceBody = Encoding.UTF8.GetBytes(ContentInstanceJson);

    private static readonly MediaTypeHeaderValue[] ContentTypes =
    [
        MediaTypeHeaderValue.Parse("application/json;ty=0"), // unused
        MediaTypeHeaderValue.Parse("application/json;ty=1"), // unused
        MediaTypeHeaderValue.Parse("application/json;ty=2"),
        MediaTypeHeaderValue.Parse("application/json;ty=3"),
        MediaTypeHeaderValue.Parse("application/json;ty=4"),
    ];

    /// <summary>AE-ID, resource name and originator of benchmark AE <paramref name="index"/>.</summary>
    public static string AeId(int index) => $"Cbench{index:D4}";

    /// <summary>One HTTP/1.1 client whose pool keeps up to <paramref name="connections"/> connections.</summary>
    public static HttpClient CreateClient(Uri baseUri, int connections) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        {
            BaseAddress = baseUri,
            Timeout = TimeSpan.FromSeconds(10),
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

    /// <summary>A oneM2M request: originator, request ID, release 3, and a JSON body of resource type <paramref name="resourceType"/>.</summary>
    public static HttpRequestMessage Request(HttpMethod method, Uri uri, string originator, string requestId, int resourceType = 0, byte[]? body = null)
    {
        var request = new HttpRequestMessage(method, uri);
        var headers = request.Headers;
        headers.TryAddWithoutValidation("X-M2M-Origin", originator);
        headers.TryAddWithoutValidation("X-M2M-RI", requestId);
        headers.TryAddWithoutValidation("X-M2M-RVI", "3");
        headers.TryAddWithoutValidation("Accept", "application/json");
        if (body is not null)
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = resourceType < ContentTypes.Length
                ? ContentTypes[resourceType]
                : MediaTypeHeaderValue.Parse($"application/json;ty={resourceType}");
            request.Content = content;
        }

        return request;
    }

    /// <summary>The response's <c>X-M2M-RSC</c>, or "" when absent.</summary>
    public static string ResponseStatusCode(HttpResponseMessage response) =>
        response.Headers.NonValidated.TryGetValues("X-M2M-RSC", out var values) ? values.ToString() : "";
}
