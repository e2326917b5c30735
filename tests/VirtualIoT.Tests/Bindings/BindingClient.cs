using System.Buffers;
using System.Globalization;
using System.Text.Json;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Tests.Bindings;

/// <summary>A request primitive as a test writes it, whatever binding and serialization carry it.</summary>
/// <param name="Operation">1 create, 2 retrieve, 3 update, 4 delete, 5 notify.</param>
/// <param name="To">CSE-relative target (<c>cse-in/app</c>).</param>
/// <param name="From">Originator.</param>
/// <param name="Type">ty of a create.</param>
/// <param name="Content">pc as a tree (<c>{"m2m:cnt":{…}}</c>).</param>
/// <param name="Parameters">Further parameters (<c>rcn</c>, <c>fu</c> …) as their short names and text values.</param>
public sealed record TestPrimitive(int Operation, string To, string? From, int? Type = null, Dictionary<string, object?>? Content = null,
    IReadOnlyDictionary<string, string>? Parameters = null);

/// <summary>What came back: the response status code and the content as a tree.</summary>
public sealed record TestAnswer(int Rsc, string? RequestIdentifier, Dictionary<string, object?>? Content)
{
    /// <summary>The attributes under root key <paramref name="root"/>.</summary>
    public Dictionary<string, object?> Resource(string root) =>
        Content?.GetValueOrDefault(root) as Dictionary<string, object?>
        ?? throw new Xunit.Sdk.XunitException($"no {root} in the answer {Rsc}: {Describe(Content)}");

    /// <summary>The error text of <c>m2m:dbg</c>, when there is one.</summary>
    public string? Debug => Content?.GetValueOrDefault("m2m:dbg") as string;

    public override string ToString() => $"{Rsc} {Describe(Content)}";

    internal static string Describe(object? value) => value switch
    {
        null => "null",
        string text => "\"" + text + "\"",
        Dictionary<string, object?> map => "{" + string.Join(",", map.Select(p => p.Key + ":" + Describe(p.Value))) + "}",
        List<object?> list => "[" + string.Join(",", list.Select(Describe)) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>One binding (HTTP, MQTT, WebSocket, CoAP) speaking one serialization, as a client would.</summary>
public interface IBindingClient : IAsyncDisposable
{
    /// <summary>Sends <paramref name="request"/> with a fresh request identifier and returns the answer.</summary>
    Task<TestAnswer> SendAsync(TestPrimitive request);
}

/// <summary>Decoding helpers shared by the test clients.</summary>
internal static class TestPayloads
{
    private static int s_counter;

    public static string NewRequestId() => "b" + Interlocked.Increment(ref s_counter).ToString(CultureInfo.InvariantCulture);

    /// <summary>A JSON, CBOR or XML document as a tree (JSON read independently of the gateway's reader).</summary>
    public static Dictionary<string, object?>? Decode(ContentSerialization serialization, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return null;
        }

        if (serialization == ContentSerialization.Json)
        {
            using var document = JsonDocument.Parse(bytes.ToArray());
            return (Dictionary<string, object?>?)FromJson(document.RootElement);
        }

        var parsed = Representation.ParseDocument(serialization, new ReadOnlySequence<byte>(bytes.ToArray()));
        Assert.True(parsed.IsSuccess, $"the answer is not {serialization}: {parsed}");
        return parsed.Value;
    }

    /// <summary>A response primitive's tree, its XML root (<c>m2m:rsp</c>) removed.</summary>
    public static Dictionary<string, object?> DecodePrimitive(ContentSerialization serialization, ReadOnlySpan<byte> bytes)
    {
        var tree = Decode(serialization, bytes) ?? [];
        return serialization == ContentSerialization.Xml && tree.GetValueOrDefault(Representation.XmlResponseRoot) is Dictionary<string, object?> inner
            ? inner : tree;
    }

    /// <summary>An answer from a response primitive's tree.</summary>
    public static TestAnswer FromPrimitive(Dictionary<string, object?> primitive) => new(
        Convert.ToInt32(primitive.GetValueOrDefault("rsc") ?? 0, CultureInfo.InvariantCulture),
        primitive.GetValueOrDefault("rqi") as string,
        primitive.GetValueOrDefault("pc") as Dictionary<string, object?>);

    /// <summary>A request primitive's tree.</summary>
    public static Dictionary<string, object?> ToPrimitive(TestPrimitive request, string requestId)
    {
        var primitive = new Dictionary<string, object?>
        {
            ["op"] = (long)request.Operation,
            ["to"] = request.To,
            ["rqi"] = requestId,
            ["rvi"] = "3",
        };
        if (request.From is not null)
        {
            primitive["fr"] = request.From;
        }

        if (request.Type is { } type)
        {
            primitive["ty"] = (long)type;
        }

        if (request.Content is not null)
        {
            primitive["pc"] = request.Content;
        }

        // Parameters of the primitive itself at its top level; the members of the filter criteria under fc
        // (TS-0004 7.3.3.17), lists as lists.
        Dictionary<string, object?>? filter = null;
        foreach (var (name, value) in request.Parameters ?? new Dictionary<string, string>())
        {
            object typed = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : value;
            if (name is "gid" or "rset" or "rqet")
            {
                primitive[name] = value;
            }
            else if (name is "rcn" or "drt" or "rt" or "da" or "sqi" or "rp")
            {
                primitive[name] = typed;
            }
            else
            {
                (filter ??= [])[name] = name is "lbl" or "ty" or "cty" ? new List<object?> { typed } : typed;
            }
        }

        if (filter is not null)
        {
            primitive["fc"] = filter;
        }

        return primitive;
    }

    private static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var number) ? (object)number : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
