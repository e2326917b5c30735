using System.Buffers;
using System.Formats.Cbor;
using System.Text.Json;
using System.Text.Unicode;
using VirtualIoT.Gateway.Json;

namespace VirtualIoT.Gateway.Serialization;

/// <summary>
/// A CBOR primitive re-encoded as JSON in one pass, item by item from the <see cref="CborReader"/> to a
/// <see cref="Utf8JsonWriter"/>, with no tree between: the same JSON the tree of <see cref="CborContent.ParseDocument"/>
/// would be written as (a byte string as its base64 text, a tag read through, an undefined or unassigned simple value
/// as null), so that a CBOR primitive meets the one JSON primitive reader at little more than the cost of a JSON one.
/// </summary>
public static class CborJson
{
    private const string NotUtf8 = "malformed CBOR: a text string is not valid UTF-8";

    /// <summary>One CBOR data item, which must be a map, as JSON; malformed CBOR or trailing bytes are 4000.</summary>
    public static ParseResult<byte[]> Transcode(in ReadOnlySequence<byte> cbor)
    {
        if (cbor.IsEmpty)
        {
            return ParseResult<byte[]>.BadRequest("the request body is empty");
        }

        var reader = new CborReader(cbor.IsSingleSegment ? cbor.First : cbor.ToArray(), CborConformanceMode.Lax);
        var writer = PooledJsonWriter.Rent(out var buffer);
        try
        {
            var error = reader.PeekState() == CborReaderState.StartMap ? Copy(reader, writer, 1) : "the CBOR body must be a map";
            if (error is null && reader.BytesRemaining != 0)
            {
                error = "unexpected data after the CBOR body";
            }

            if (error is not null)
            {
                return ParseResult<byte[]>.BadRequest(error);
            }

            writer.Flush();
            return buffer.GetReadOnlySequence().ToArray();
        }
        catch (Exception exception) when (exception is CborContentException or InvalidOperationException or FormatException or OverflowException)
        {
            return ParseResult<byte[]>.BadRequest("malformed CBOR: " + exception.Message);
        }
        finally
        {
            PooledJsonWriter.Return(buffer);
        }
    }

    // Copies one data item; null when done, else why the CBOR cannot be read.
    private static string? Copy(CborReader reader, Utf8JsonWriter writer, int depth)
    {
        if (depth > Representation.MaxDepth)
        {
            return $"CBOR nesting deeper than {Representation.MaxDepth} levels";
        }

        var state = reader.PeekState();
        switch (state)
        {
            case CborReaderState.StartMap:
                reader.ReadStartMap();
                writer.WriteStartObject();
                while ((state = reader.PeekState()) != CborReaderState.EndMap)
                {
                    if (state != CborReaderState.TextString)
                    {
                        return "a CBOR map key is not a text string";
                    }

                    var key = reader.ReadDefiniteLengthTextStringBytes().Span;
                    if (!Utf8.IsValid(key))
                    {
                        return NotUtf8;
                    }

                    writer.WritePropertyName(key);
                    if (Copy(reader, writer, depth + 1) is { } inMap)
                    {
                        return inMap;
                    }
                }

                reader.ReadEndMap();
                writer.WriteEndObject();
                return null;
            case CborReaderState.StartArray:
                reader.ReadStartArray();
                writer.WriteStartArray();
                while (reader.PeekState() != CborReaderState.EndArray)
                {
                    if (Copy(reader, writer, depth + 1) is { } inArray)
                    {
                        return inArray;
                    }
                }

                reader.ReadEndArray();
                writer.WriteEndArray();
                return null;
            case CborReaderState.Tag:
                reader.ReadTag();
                return Copy(reader, writer, depth + 1);
            default:
                return CopyScalar(reader, writer, state);
        }
    }

    private static string? CopyScalar(CborReader reader, Utf8JsonWriter writer, CborReaderState state)
    {
        switch (state)
        {
            case CborReaderState.TextString:
                var text = reader.ReadDefiniteLengthTextStringBytes().Span;
                if (!Utf8.IsValid(text))
                {
                    return NotUtf8;
                }

                writer.WriteStringValue(text);
                return null;
            case CborReaderState.ByteString:
                writer.WriteBase64StringValue(reader.ReadDefiniteLengthByteString().Span);
                return null;
            case CborReaderState.UnsignedInteger:
                var unsigned = reader.ReadUInt64();
                if (unsigned > long.MaxValue)
                {
                    return "a CBOR integer is out of range";
                }

                writer.WriteNumberValue((long)unsigned);
                return null;
            case CborReaderState.NegativeInteger:
                writer.WriteNumberValue(reader.ReadInt64());
                return null;
            case CborReaderState.HalfPrecisionFloat or CborReaderState.SinglePrecisionFloat or CborReaderState.DoublePrecisionFloat:
                var real = reader.ReadDouble();
                if (!double.IsFinite(real))
                {
                    return "a CBOR number is not finite";
                }

                writer.WriteNumberValue(real);
                return null;
            case CborReaderState.Boolean:
                writer.WriteBooleanValue(reader.ReadBoolean());
                return null;
            case CborReaderState.Null:
                reader.ReadNull();
                writer.WriteNullValue();
                return null;
            case CborReaderState.SimpleValue:
                reader.ReadSimpleValue();
                writer.WriteNullValue();
                return null;
            case CborReaderState.StartIndefiniteLengthTextString or CborReaderState.StartIndefiniteLengthByteString:
                return "indefinite-length CBOR strings are not supported";
            default:
                return $"unexpected CBOR item {state}";
        }
    }
}
