using System.Buffers;
using System.Text.Json;
using VirtualIoT.Gateway.Json;

namespace VirtualIoT.Gateway.Serialization;

/// <summary>
/// The one representation layer of every binding: reads request bodies and primitives in any supported serialization
/// into the neutral value tree the grains take, and writes response content, response primitives and notifications
/// from it. No binding and no grain knows more of a wire format than the <see cref="ContentSerialization"/> it names.
/// </summary>
public static class Representation
{
    /// <summary>Deepest nesting accepted in any serialization (as <see cref="ContentParser.MaxDepth"/>).</summary>
    public const int MaxDepth = ContentParser.MaxDepth;

    /// <summary>Root element of a request primitive in XML (TS-0004 8.5; JSON and CBOR have no wrapper).</summary>
    public const string XmlRequestRoot = "m2m:rqp";

    /// <summary>Root element of a response primitive in XML.</summary>
    public const string XmlResponseRoot = "m2m:rsp";

    /// <summary>
    /// Reads a resource representation (an HTTP or CoAP body, one root key such as <c>m2m:cnt</c> over an object).
    /// </summary>
    public static ParseResult<ParsedContent> ParseContent(ContentSerialization serialization, in ReadOnlySequence<byte> body)
    {
        switch (serialization)
        {
            case ContentSerialization.Json:
                return ContentParser.Parse(body);
            case ContentSerialization.Cbor:
                return CborContent.ParseContent(body);
        }

        var document = ParseDocument(serialization, body);
        if (!document.IsSuccess)
        {
            return document.Error;
        }

        return AsContent(document.Value!);
    }

    /// <summary>A document read into a tree as a resource representation: exactly one root key over an object.</summary>
    internal static ParseResult<ParsedContent> AsContent(Dictionary<string, object?> tree)
    {
        if (tree.Count != 1)
        {
            return ParseResult<ParsedContent>.BadRequest("the request body must have exactly one root key such as \"m2m:cnt\"");
        }

        foreach (var (root, value) in tree)
        {
            return value is Dictionary<string, object?> content
                ? new ParsedContent(root, content)
                : ParseResult<ParsedContent>.BadRequest($"the value of \"{root}\" must be an object");
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>
    /// A document in any serialization as a tree (a response's content, whose root value need not be an object; an
    /// XML document is one key: its root element).
    /// </summary>
    public static ParseResult<Dictionary<string, object?>> ParseAnyDocument(ContentSerialization serialization, in ReadOnlySequence<byte> body) =>
        serialization == ContentSerialization.Json ? ContentParser.ParseDocument(body) : ParseDocument(serialization, body);

    /// <summary>A CBOR or XML document as a tree (an XML document is one key: its root element).</summary>
    public static ParseResult<Dictionary<string, object?>> ParseDocument(ContentSerialization serialization, in ReadOnlySequence<byte> body) =>
        serialization switch
        {
            ContentSerialization.Cbor => CborContent.ParseDocument(body),
            ContentSerialization.Xml => XmlContent.ParseDocument(body),
            _ => throw new ArgumentOutOfRangeException(nameof(serialization), "JSON documents are read in place by their readers"),
        };

    /// <summary>
    /// A primitive (MQTT payload, WebSocket message) in XML, re-encoded as the JSON primitive the one primitive reader
    /// takes (<c>MqttRequestParser</c>; JSON and CBOR primitives it reads in place): read into the tree, its root
    /// (<c>m2m:rqp</c>, <c>m2m:rsp</c>) removed, written as JSON.
    /// </summary>
    public static ParseResult<byte[]> PrimitiveAsJson(ContentSerialization serialization, in ReadOnlySequence<byte> payload)
    {
        if (serialization != ContentSerialization.Xml)
        {
            throw new ArgumentOutOfRangeException(nameof(serialization), "JSON and CBOR primitives are read in place by their readers");
        }

        var document = ParseDocument(serialization, payload);
        if (!document.IsSuccess)
        {
            return document.Error;
        }

        var primitive = document.Value!;
        if (!primitive.TryGetValue(XmlRequestRoot, out var inner) && !primitive.TryGetValue(XmlResponseRoot, out inner))
        {
            return ParseResult<byte[]>.BadRequest($"an XML primitive's root element is <{XmlRequestRoot}> or <{XmlResponseRoot}>");
        }

        return ToArray(ContentSerialization.Json, inner as Dictionary<string, object?> ?? []);
    }

    /// <summary>Writes <paramref name="content"/> (one root key for XML) to <paramref name="output"/>.</summary>
    public static void Write(ContentSerialization serialization, IBufferWriter<byte> output, object? content)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (serialization)
        {
            case ContentSerialization.Cbor:
                CborContent.Write(output, content);
                break;
            case ContentSerialization.Xml:
                XmlContent.Write(output, content as Dictionary<string, object?>
                    ?? throw new InvalidOperationException("XML content must be a tree with one root key."));
                break;
            default:
                using (var writer = new Utf8JsonWriter(output, ContentWriter.WriterOptions))
                {
                    ContentWriter.WriteValue(writer, content);
                }

                break;
        }
    }

    /// <summary><paramref name="content"/> serialized into a new array.</summary>
    public static byte[] ToArray(ContentSerialization serialization, object? content)
    {
        if (serialization == ContentSerialization.Json)
        {
            var writer = PooledJsonWriter.Rent(out var pooled);
            try
            {
                ContentWriter.WriteValue(writer, content);
                writer.Flush();
                return pooled.GetReadOnlySequence().ToArray();
            }
            finally
            {
                PooledJsonWriter.Return(pooled);
            }
        }

        return ThreadBuffer.ToArray((serialization, content), static (item, buffer) => Write(item.serialization, buffer, item.content));
    }

    /// <summary>
    /// A primitive (<c>op</c>/<c>rsc</c>, <c>rqi</c>, … <c>pc</c>) serialized; in XML under <c>m2m:rqp</c> or
    /// <c>m2m:rsp</c> as <paramref name="request"/> says.
    /// </summary>
    public static byte[] PrimitiveToArray(ContentSerialization serialization, Dictionary<string, object?> primitive, bool request) =>
        ToArray(serialization, serialization == ContentSerialization.Xml
            ? new Dictionary<string, object?> { [request ? XmlRequestRoot : XmlResponseRoot] = primitive }
            : primitive);

    /// <summary>The debug-message content of an error response without content: <c>{"m2m:dbg": message}</c>.</summary>
    public static Dictionary<string, object?> DebugContent(string message) => new() { ["m2m:dbg"] = message };
}
