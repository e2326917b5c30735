using System.Buffers;
using System.Collections;
using System.Formats.Cbor;
using System.Globalization;
using System.Text;
using VirtualIoT.Gateway.Json;

namespace VirtualIoT.Gateway.Serialization;

/// <summary>
/// The CBOR serialization (TS-0004 8.6: the JSON structure written as CBOR, RFC 8949) over System.Formats.Cbor:
/// reads a body into the neutral value tree (maps with text keys, arrays, text, integers as <see cref="long"/>,
/// floats as <see cref="double"/>, booleans, null; a byte string becomes its base64 text, a tag is read through) and
/// writes a tree back. Malformed input is 4000 with the reader's reason, never an exception.
/// </summary>
public static class CborContent
{
    /// <summary>Reads one CBOR data item, which must be a map, into a tree; trailing bytes are 4000.</summary>
    public static ParseResult<Dictionary<string, object?>> ParseDocument(in ReadOnlySequence<byte> cbor)
    {
        if (cbor.IsEmpty)
        {
            return ParseResult<Dictionary<string, object?>>.BadRequest("the request body is empty");
        }

        var data = cbor.IsSingleSegment ? cbor.First : cbor.ToArray();
        var reader = RentReader(data);
        try
        {
            if (reader.PeekState() != CborReaderState.StartMap)
            {
                return ParseResult<Dictionary<string, object?>>.BadRequest("the CBOR body must be a map");
            }

            var error = ReadValue(reader, 1, out var value);
            if (error is not null)
            {
                return ParseResult<Dictionary<string, object?>>.BadRequest(error);
            }

            if (reader.BytesRemaining != 0)
            {
                return ParseResult<Dictionary<string, object?>>.BadRequest("unexpected data after the CBOR body");
            }

            return (Dictionary<string, object?>)value!;
        }
        catch (Exception exception) when (IsMalformed(exception))
        {
            return ParseResult<Dictionary<string, object?>>.BadRequest("malformed CBOR: " + exception.Message);
        }
        finally
        {
            ReturnReader(reader, data.Length);
        }
    }

    /// <summary>
    /// Reads a resource representation (an HTTP, CoAP or WebSocket body: a map of one text key over a map) with its
    /// root key read in place, as the JSON reader reads it; trailing bytes are 4000.
    /// </summary>
    public static ParseResult<ParsedContent> ParseContent(in ReadOnlySequence<byte> cbor)
    {
        if (cbor.IsEmpty)
        {
            return ParseResult<ParsedContent>.BadRequest("the request body is empty");
        }

        var data = cbor.IsSingleSegment ? cbor.First : cbor.ToArray();
        var reader = RentReader(data);
        try
        {
            if (reader.PeekState() != CborReaderState.StartMap)
            {
                return ParseResult<ParsedContent>.BadRequest("the CBOR body must be a map");
            }

            var content = ReadRoot(reader);
            return content.IsSuccess && reader.BytesRemaining != 0
                ? ParseResult<ParsedContent>.BadRequest("unexpected data after the CBOR body")
                : content;
        }
        catch (Exception exception) when (IsMalformed(exception))
        {
            return ParseResult<ParsedContent>.BadRequest("malformed CBOR: " + exception.Message);
        }
        finally
        {
            ReturnReader(reader, data.Length);
        }
    }

    /// <summary>
    /// Reads the representation <paramref name="reader"/> stands before (the <c>pc</c> of a primitive): a map of one
    /// text key over a map, the root key read in place.
    /// </summary>
    internal static ParseResult<ParsedContent> ParseContent(CborReader reader)
    {
        try
        {
            return reader.PeekState() == CborReaderState.StartMap
                ? ReadRoot(reader)
                : ParseResult<ParsedContent>.BadRequest("the content must be a CBOR map with one root key such as \"m2m:cnt\"");
        }
        catch (Exception exception) when (IsMalformed(exception))
        {
            return ParseResult<ParsedContent>.BadRequest("malformed CBOR: " + exception.Message);
        }
    }

    // The reader stands on a map; the messages are those of a JSON body with the same fault.
    private static ParseResult<ParsedContent> ReadRoot(CborReader reader)
    {
        reader.ReadStartMap();
        switch (reader.PeekState())
        {
            case CborReaderState.TextString:
                break;
            case CborReaderState.EndMap:
                return ParseResult<ParsedContent>.BadRequest("the request body must have exactly one root key such as \"m2m:cnt\"");
            default:
                return ParseResult<ParsedContent>.BadRequest("a CBOR map key is not a text string");
        }

        var root = ReadText(reader);
        var error = ReadValue(reader, 2, out var value);
        if (error is not null)
        {
            return ParseResult<ParsedContent>.BadRequest(error);
        }

        if (value is not Dictionary<string, object?> content)
        {
            return ParseResult<ParsedContent>.BadRequest($"the value of \"{root}\" must be an object");
        }

        if (reader.PeekState() != CborReaderState.EndMap)
        {
            return ParseResult<ParsedContent>.BadRequest("the request body must have exactly one root key such as \"m2m:cnt\"");
        }

        reader.ReadEndMap();
        return new ParsedContent(root, content);
    }

    /// <summary>
    /// Reads the map <paramref name="reader"/> stands before (the <c>pc</c> of a primitive) into a tree, nested at most
    /// <see cref="Representation.MaxDepth"/> levels; anything else is 4000.
    /// </summary>
    internal static ParseResult<Dictionary<string, object?>> ParseMap(CborReader reader)
    {
        try
        {
            var error = ReadValue(reader, 1, out var value);
            if (error is not null)
            {
                return ParseResult<Dictionary<string, object?>>.BadRequest(error);
            }

            return value is Dictionary<string, object?> tree ? tree : ParseResult<Dictionary<string, object?>>.BadRequest("a CBOR map was expected");
        }
        catch (Exception exception) when (IsMalformed(exception))
        {
            return ParseResult<Dictionary<string, object?>>.BadRequest("malformed CBOR: " + exception.Message);
        }
    }

    /// <summary>
    /// A lax reader over <paramref name="data"/>: this thread's own when it is free, so that a read allocates no
    /// reader. Give it back with <see cref="ReturnReader"/>; a reader not given back is garbage, nothing worse.
    /// </summary>
    internal static CborReader RentReader(ReadOnlyMemory<byte> data)
    {
        // Two per thread, taken last in first out: a primitive's reader and the reader of its pc.
        var reader = data.Length <= PooledReaderMaxBytes ? t_reader : null;
        if (reader is not null)
        {
            t_reader = t_spareReader;
            t_spareReader = null;
        }
        else
        {
            return new CborReader(data, CborConformanceMode.Lax);
        }

        reader.Reset(data);
        return reader;
    }

    /// <summary>Gives back a reader of <see cref="RentReader"/> that was rented for <paramref name="dataLength"/> bytes.</summary>
    internal static void ReturnReader(CborReader reader, int dataLength)
    {
        // A reader's nesting stack grows with the deepest item it read and never shrinks; a document of n bytes nests at
        // most n levels, so only readers of small documents are kept.
        if (dataLength > PooledReaderMaxBytes)
        {
            return;
        }

        reader.Reset(ReadOnlyMemory<byte>.Empty);
        var top = t_reader;
        if (top is null)
        {
            t_reader = reader;
        }
        else if (t_spareReader is null && !ReferenceEquals(top, reader))
        {
            t_spareReader = top;
            t_reader = reader;
        }
    }

    /// <summary>
    /// A text string, which must be valid UTF-8 (RFC 8949 3.1): the lax reader does not check it, and would put
    /// U+FFFD in place of a bad sequence; this refuses it, as the JSON reader refuses such text.
    /// </summary>
    internal static string ReadText(CborReader reader) => DecodeText(reader.ReadDefiniteLengthTextStringBytes().Span);

    /// <summary>The UTF-8 bytes of a text string as a string; not UTF-8 is malformed input.</summary>
    internal static string DecodeText(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return s_strictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw new CborContentException(NotUtf8);
        }
    }

    /// <summary>The reason given for a text string that is not UTF-8.</summary>
    internal const string NotUtf8 = "a text string is not valid UTF-8";

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private const int PooledReaderMaxBytes = 2048;

    [ThreadStatic]
    private static CborReader? t_reader;

    [ThreadStatic]
    private static CborReader? t_spareReader;

    /// <summary>True for the exceptions <see cref="CborReader"/> throws on malformed input.</summary>
    internal static bool IsMalformed(Exception exception) =>
        exception is CborContentException or InvalidOperationException or FormatException or OverflowException;

    /// <summary>Writes <paramref name="value"/> (a tree of maps, lists and scalars) as one CBOR data item.</summary>
    public static void Write(IBufferWriter<byte> output, object? value)
    {
        ArgumentNullException.ThrowIfNull(output);
        // One writer per thread, reset after use: its buffer is kept, so a response costs no encoder allocations.
        var writer = t_writer ??= new CborWriter(CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false, initialCapacity: 1024);
        try
        {
            WriteValue(writer, value);
            var span = output.GetSpan(writer.BytesWritten);
            var written = writer.Encode(span);
            output.Advance(written);
        }
        finally
        {
            // A large answer (a discovery of thousands) would keep its buffer for the thread's life: drop that writer.
            if (writer.BytesWritten > RetainedWriterBytes)
            {
                t_writer = null;
            }

            writer.Reset();
        }
    }

    private const int RetainedWriterBytes = 64 * 1024;

    [ThreadStatic]
    private static CborWriter? t_writer;

    private static string? ReadValue(CborReader reader, int depth, out object? value)
    {
        value = null;
        if (depth > Representation.MaxDepth)
        {
            return $"CBOR nesting deeper than {Representation.MaxDepth} levels";
        }

        switch (reader.PeekState())
        {
            case CborReaderState.StartMap:
                // A definite length sizes the map once (JSON cannot know it): no growth by rehashing as it fills.
                var map = new Dictionary<string, object?>(Capacity(reader.ReadStartMap()));
                while (reader.PeekState() != CborReaderState.EndMap)
                {
                    if (reader.PeekState() != CborReaderState.TextString)
                    {
                        return "a CBOR map key is not a text string";
                    }

                    var key = ReadText(reader);
                    var error = ReadValue(reader, depth + 1, out var item);
                    if (error is not null)
                    {
                        return error;
                    }

                    if (!map.TryAdd(key, item))
                    {
                        return $"duplicate key \"{key}\"";
                    }
                }

                reader.ReadEndMap();
                value = map;
                return null;
            case CborReaderState.StartArray:
                var list = new List<object?>(Capacity(reader.ReadStartArray()));
                while (reader.PeekState() != CborReaderState.EndArray)
                {
                    var error = ReadValue(reader, depth + 1, out var item);
                    if (error is not null)
                    {
                        return error;
                    }

                    list.Add(item);
                }

                reader.ReadEndArray();
                value = list;
                return null;
            case CborReaderState.TextString:
                value = ReadText(reader);
                return null;
            case CborReaderState.ByteString:
                value = Convert.ToBase64String(reader.ReadByteString());
                return null;
            case CborReaderState.UnsignedInteger:
                var unsigned = reader.ReadUInt64();
                if (unsigned > long.MaxValue)
                {
                    return "a CBOR integer is out of range";
                }

                value = (long)unsigned;
                return null;
            case CborReaderState.NegativeInteger:
                value = reader.ReadInt64();
                return null;
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                var real = reader.ReadDouble();
                if (!double.IsFinite(real))
                {
                    return "a CBOR number is not finite";
                }

                value = real;
                return null;
            case CborReaderState.Boolean:
                value = reader.ReadBoolean();
                return null;
            case CborReaderState.Null:
                reader.ReadNull();
                return null;
            case CborReaderState.SimpleValue:
                // undefined and unassigned simple values carry nothing the tree can hold.
                reader.ReadSimpleValue();
                return null;
            case CborReaderState.Tag:
                // Tagged items (an epoch time, a URI) are read as the item they tag.
                reader.ReadTag();
                return ReadValue(reader, depth + 1, out value);
            case CborReaderState.StartIndefiniteLengthTextString:
            case CborReaderState.StartIndefiniteLengthByteString:
                return "indefinite-length CBOR strings are not supported";
            default:
                return $"unexpected CBOR item {reader.PeekState()}";
        }
    }

    // The capacity for a map or array of a definite length (null: indefinite), at most MaxPresized: a length stated by the
    // sender costs at most that much before its items are there.
    private static int Capacity(int? length) => length is { } count ? Math.Min(count, MaxPresized) : 0;

    private const int MaxPresized = 32;

    // A shared part's CBOR: a writer of its own, since it is made while the thread's writer is in use.
    private static readonly Func<Dictionary<string, object?>, byte[]> s_encodeShared = static tree =>
    {
        var writer = new CborWriter(CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false, initialCapacity: 512);
        WriteValue(writer, tree);
        return writer.Encode();
    };

    private static void WriteValue(CborWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNull();
                return;
            case string text:
                writer.WriteTextString(text);
                return;
            case bool flag:
                writer.WriteBoolean(flag);
                return;
            case double or float or decimal:
                writer.WriteDouble(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                return;
            case ulong large:
                writer.WriteUInt64(large);
                return;
            case long or int or short or sbyte or byte or ushort or uint:
                writer.WriteInt64(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                return;
            case Dictionary<string, object?> tree:
                // The neutral tree's own maps: its struct enumerator, no boxing.
                writer.WriteStartMap(tree.Count);
                foreach (var (key, item) in tree)
                {
                    writer.WriteTextString(key);
                    WriteValue(writer, item);
                }

                writer.WriteEndMap();
                return;
            case SharedContent shared:
                // Encoded once per shared part, then copied into every message that carries it.
                writer.WriteEncodedValue(shared.Encoded((int)ContentSerialization.Cbor, s_encodeShared));
                return;
            case List<object?> list:
                writer.WriteStartArray(list.Count);
                foreach (var item in list)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                return;
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                // Definite length when known (every Dictionary), as most CBOR decoders of devices expect.
                writer.WriteStartMap(pairs is ICollection<KeyValuePair<string, object?>> sized ? sized.Count : null);
                foreach (var (key, item) in pairs)
                {
                    writer.WriteTextString(key);
                    WriteValue(writer, item);
                }

                writer.WriteEndMap();
                return;
            case IDictionary map:
                writer.WriteStartMap(map.Count);
                foreach (DictionaryEntry entry in map)
                {
                    writer.WriteTextString(entry.Key as string
                        ?? throw new InvalidOperationException($"A content dictionary key of type {entry.Key.GetType()} is not a string."));
                    WriteValue(writer, entry.Value);
                }

                writer.WriteEndMap();
                return;
            case ICollection collection:
                writer.WriteStartArray(collection.Count);
                foreach (var item in collection)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                return;
            case IEnumerable items:
                writer.WriteStartArray(null);
                foreach (var item in items)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                return;
            default:
                throw new InvalidOperationException($"Response content of type {value.GetType()} cannot be written as CBOR.");
        }
    }
}
