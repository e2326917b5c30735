using System.Formats.Cbor;
using System.Text;
using System.Text.Json;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>
/// A request's content (<see cref="RequestSpec.Content"/>, JSON text) as the bytes a channel sends: UTF-8 JSON, or the
/// same structure written as CBOR (TS-0004 8.6: the JSON structure in CBOR, RFC 8949). The last content is kept, so
/// a channel that sends the same content again and again (the benchmarks) converts it once.
/// </summary>
internal sealed class RequestBodies(BodySerialization serialization)
{
    private string? _content;
    private byte[] _bytes = [];

    /// <summary>The bytes of <paramref name="content"/> (empty for none).</summary>
    public ReadOnlyMemory<byte> Of(string? content)
    {
        if (content is null)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (!ReferenceEquals(content, _content))
        {
            _bytes = serialization == BodySerialization.Cbor ? JsonToCbor(content) : Encoding.UTF8.GetBytes(content);
            _content = content;
        }

        return _bytes;
    }

    /// <summary>JSON text written as CBOR: objects as maps, arrays as arrays, integral numbers as integers, others as doubles.</summary>
    public static byte[] JsonToCbor(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        var writer = new CborWriter(CborConformanceMode.Lax, convertIndefiniteLengthEncodings: true);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject: writer.WriteStartMap(null); break;
                case JsonTokenType.EndObject: writer.WriteEndMap(); break;
                case JsonTokenType.StartArray: writer.WriteStartArray(null); break;
                case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                case JsonTokenType.PropertyName or JsonTokenType.String: writer.WriteTextString(reader.GetString()!); break;
                case JsonTokenType.Number when reader.TryGetInt64(out var integer): writer.WriteInt64(integer); break;
                case JsonTokenType.Number: writer.WriteDouble(reader.GetDouble()); break;
                case JsonTokenType.True or JsonTokenType.False: writer.WriteBoolean(reader.GetBoolean()); break;
                case JsonTokenType.Null: writer.WriteNull(); break;
            }
        }

        return writer.Encode();
    }
}
