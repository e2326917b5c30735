using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VirtualIoT.Tests.Infrastructure;

/// <summary>A minimal oneM2M HTTP client for black-box tests: sets the X-M2M headers and returns what came back.</summary>
public sealed class OneM2MClient(HttpClient http)
{
    private static int s_requestCounter;

    public const string Admin = "CAdmin";

    public HttpClient Http { get; } = http;

    public Task<OneM2MResponse> Create(string path, string originator, int ty, string body, string? query = null) =>
        Send(HttpMethod.Post, path + query, originator, body, $"application/json;ty={ty}");

    public Task<OneM2MResponse> Retrieve(string path, string originator) => Send(HttpMethod.Get, path, originator);

    public Task<OneM2MResponse> Update(string path, string originator, string body) =>
        Send(HttpMethod.Put, path, originator, body, "application/json");

    public Task<OneM2MResponse> Delete(string path, string originator) => Send(HttpMethod.Delete, path, originator);

    /// <summary>Registers an AE with a fresh AE-ID and name; returns its AE-ID (also its resource name).</summary>
    public async Task<string> RegisterAe(string? aeId = null)
    {
        aeId ??= "Ctest" + Guid.NewGuid().ToString("N")[..12];
        var response = await Create("/cse-in", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Ntest","rr":true,"srv":["3"]}}""");
        Assert.Equal(2001, response.Rsc);
        return aeId;
    }

    /// <summary>Creates a container under <paramref name="parentPath"/>; returns its structured path.</summary>
    public async Task<string> CreateContainer(string parentPath, string originator, string? name = null, string extra = "")
    {
        name ??= "cnt" + Guid.NewGuid().ToString("N")[..8];
        var response = await Create(parentPath, originator, 3, $$$"""{"m2m:cnt":{"rn":"{{{name}}}"{{{extra}}}}}""");
        Assert.Equal(2001, response.Rsc);
        return parentPath + "/" + name;
    }

    public async Task<OneM2MResponse> Send(HttpMethod method, string path, string? originator, string? body = null,
        string? contentType = null, IDictionary<string, string>? headers = null, string? rvi = "3")
    {
        using var request = new HttpRequestMessage(method, path);
        var rqi = "t" + Interlocked.Increment(ref s_requestCounter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (originator is not null)
        {
            request.Headers.TryAddWithoutValidation("X-M2M-Origin", originator);
        }

        request.Headers.TryAddWithoutValidation("X-M2M-RI", rqi);
        if (rvi is not null)
        {
            request.Headers.TryAddWithoutValidation("X-M2M-RVI", rvi);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (headers is not null)
        {
            foreach (var (name, value) in headers)
            {
                request.Headers.Remove(name);
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType ?? "application/json");
        }

        return await Send(request, rqi);
    }

    /// <summary>
    /// Sends a hand-built request as is (no headers added), for tests of missing or malformed headers;
    /// <paramref name="sentRequestId"/> is what the test put in X-M2M-RI, if anything.
    /// </summary>
    public async Task<OneM2MResponse> Send(HttpRequestMessage request, string? sentRequestId)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var rsc = response.Headers.TryGetValues("X-M2M-RSC", out var values) ? int.Parse(values.First(), System.Globalization.CultureInfo.InvariantCulture) : 0;
        var echoed = response.Headers.TryGetValues("X-M2M-RI", out var ri) ? ri.First() : null;
        var location = response.Headers.TryGetValues("Content-Location", out var loc) ? loc.First()
            : response.Content.Headers.ContentLocation?.ToString();
        JsonNode? json = null;
        if (text.Length > 0)
        {
            try
            {
                json = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                json = null;
            }
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, headerValues) in response.Headers.Concat(response.Content.Headers))
        {
            headers[name] = string.Join(",", headerValues);
        }

        return new OneM2MResponse(response.StatusCode, rsc, sentRequestId ?? "", echoed, text, json, location) { Headers = headers };
    }

    /// <summary>A fresh resource name with <paramref name="prefix"/>, unique across tests.</summary>
    public static string NewName(string prefix = "r") => prefix + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Discovery (<c>fu=1</c>) below <paramref name="path"/> with the extra query fields <paramref name="query"/>.</summary>
    public Task<OneM2MResponse> Discover(string path, string originator, string query = "") =>
        Retrieve(path + "?fu=1" + (query.Length > 0 ? "&" + query : ""), originator);

    /// <summary>Creates a content instance with content <paramref name="con"/>; returns its attributes.</summary>
    public async Task<JsonObject> CreateInstance(string containerPath, string originator, string con = "21.5", string extra = "")
    {
        var response = await Create(containerPath, originator, 4,
            $$$"""{"m2m:cin":{"con":{{{JsonSerializer.Serialize(con)}}}{{{extra}}}}}""");
        Assert.True(response.Rsc == 2001, $"creating a contentInstance under {containerPath} answered {response.Rsc}: {response.Body}");
        return response.Resource("m2m:cin");
    }
}

/// <summary>What a oneM2M HTTP request got back.</summary>
public sealed record OneM2MResponse(HttpStatusCode Status, int Rsc, string SentRequestId, string? EchoedRequestId,
    string Body, JsonNode? Json, string? ContentLocation)
{
    /// <summary>Every response header (content headers included), by case-insensitive name.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The attributes under the single root key (<c>m2m:cnt</c> …).</summary>
    public JsonObject Resource(string rootKey) => Json?[rootKey]?.AsObject()
        ?? throw new Xunit.Sdk.XunitException($"no {rootKey} in response {(int)Status}/{Rsc}: {Body}");
}
