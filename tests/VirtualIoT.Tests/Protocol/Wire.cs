using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>What came back over either binding: the oneM2M status and the content (<c>pc</c> / HTTP body).</summary>
public sealed record WireResponse(int Rsc, JsonNode? Content, string Text)
{
    /// <summary>The attributes under <paramref name="rootKey"/>.</summary>
    public JsonObject Resource(string rootKey) => Content?[rootKey]?.AsObject()
        ?? throw new Xunit.Sdk.XunitException($"no {rootKey} in {Rsc}: {Text}");

    /// <summary>Asserts the status, and an <c>m2m:dbg</c> message on an error.</summary>
    public WireResponse Is(int rsc)
    {
        Assert.True(Rsc == rsc, $"expected {rsc}, got {Rsc}: {Text}");
        if (rsc >= 4000)
        {
            Assert.True(Content?["m2m:dbg"] is JsonValue, $"error {rsc} without an m2m:dbg message: '{Text}'");
        }

        return this;
    }
}

/// <summary>
/// One binding for scenarios that must hold over HTTP and MQTT alike: a request (op, CSE-relative target without the
/// leading slash, originator, ty, body) goes out, the response comes back. The MQTT wire connects one client per
/// originator, whose client ID is that originator, on first use.
/// </summary>
public abstract class Wire : IAsyncDisposable
{
    public abstract string Name { get; }

    public abstract Task<WireResponse> Send(int op, string to, string originator, int? ty = null, string? body = null);

    public Task<WireResponse> Create(string to, string originator, int ty, string body) => Send(1, to, originator, ty, body);

    public Task<WireResponse> Retrieve(string to, string originator) => Send(2, to, originator);

    public Task<WireResponse> Update(string to, string originator, string body) => Send(3, to, originator, null, body);

    public Task<WireResponse> Delete(string to, string originator) => Send(4, to, originator);

    /// <summary>A retrieve whose originating timestamp (<c>ot</c>, <c>X-M2M-OT</c>) is <paramref name="originatingTimestamp"/>.</summary>
    public abstract Task<WireResponse> RetrieveSentAt(string to, string originator, string originatingTimestamp);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The HTTP binding.</summary>
internal sealed class HttpWire(OneM2MClient client) : Wire
{
    public override string Name => "http";

    public override async Task<WireResponse> Send(int op, string to, string originator, int? ty = null, string? body = null)
    {
        var method = op switch { 1 => HttpMethod.Post, 2 => HttpMethod.Get, 3 => HttpMethod.Put, _ => HttpMethod.Delete };
        var response = await client.Send(method, "/" + to, originator, body, ty is { } t ? $"application/json;ty={t}" : "application/json");
        return new WireResponse(response.Rsc, response.Json, response.Body);
    }

    public override async Task<WireResponse> RetrieveSentAt(string to, string originator, string originatingTimestamp)
    {
        var response = await client.Send(HttpMethod.Get, "/" + to, originator, headers: new Dictionary<string, string> { ["X-M2M-OT"] = originatingTimestamp });
        return new WireResponse(response.Rsc, response.Json, response.Body);
    }
}

/// <summary>The MQTT binding.</summary>
internal sealed class MqttWire(MqttFixture fixture) : Wire
{
    private readonly ConcurrentDictionary<string, Task<MqttTestClient>> _clients = new(StringComparer.Ordinal);

    public override string Name => "mqtt";

    public override Task<WireResponse> Send(int op, string to, string originator, int? ty = null, string? body = null) =>
        Send(op, to, originator, ty, body, null);

    public override Task<WireResponse> RetrieveSentAt(string to, string originator, string originatingTimestamp) =>
        Send(2, to, originator, null, null, new JsonObject { ["ot"] = originatingTimestamp });

    private async Task<WireResponse> Send(int op, string to, string originator, int? ty, string? body, JsonObject? extra)
    {
        var client = await _clients.GetOrAdd(originator, o => MqttBindingTests.ConnectDeviceAsync(fixture, o));
        var rqi = MqttBindingTests.NewRqi();
        var (target, parameters) = QueryAsParameters(to);
        if (extra is not null)
        {
            var merged = parameters is null ? new JsonObject() : JsonNode.Parse(parameters)!.AsObject();
            foreach (var (key, value) in extra)
            {
                merged[key] = value?.DeepClone();
            }

            parameters = merged.ToJsonString();
        }

        var response = await client.RequestAsync(MqttBindingTests.RequestTopic(originator),
            MqttBindingTests.Primitive(op, target, originator, rqi, ty, body, parameters), rqi);
        return new WireResponse(response.Rsc, response.Content, response.Text);
    }

    /// <summary>
    /// An HTTP-style query (<c>?fu=1&amp;ty=60&amp;lbl=a&amp;rcn=4</c>) as the primitive parameters MQTT carries them in:
    /// <c>rcn</c> and <c>drt</c> at the top, <c>rt</c> as <c>rt.rtv</c>, filter criteria under <c>fc</c> (<c>ty</c> and <c>lbl</c> as lists).
    /// </summary>
    private static (string Target, string? Parameters) QueryAsParameters(string to)
    {
        var question = to.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            return (to, null);
        }

        var primitive = new System.Text.Json.Nodes.JsonObject();
        var filter = new System.Text.Json.Nodes.JsonObject();
        foreach (var pair in to[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = (pair.Split('=')[0], Uri.UnescapeDataString(pair.Split('=')[1]));
            switch (name)
            {
                case "rcn" or "drt":
                    primitive[name] = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "rt":
                    primitive[name] = new System.Text.Json.Nodes.JsonObject { ["rtv"] = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture) };
                    break;
                case "ty":
                    filter[name] = new System.Text.Json.Nodes.JsonArray(long.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "lbl":
                    filter[name] = new System.Text.Json.Nodes.JsonArray(value);
                    break;
                default:
                    filter[name] = long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : value;
                    break;
            }
        }

        if (filter.Count > 0)
        {
            primitive["fc"] = filter;
        }

        return (to[..question], primitive.ToJsonString());
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            await (await client).DisposeAsync();
        }
    }
}
