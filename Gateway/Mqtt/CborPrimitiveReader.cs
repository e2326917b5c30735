using System.Buffers;
using System.Formats.Cbor;
using System.Globalization;
using VirtualIoT.Gateway.Json;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// A CBOR request primitive (TS-0004 8.6: the JSON structure as CBOR) read straight from a <see cref="CborReader"/>,
/// with the values the CBOR body reader (<see cref="CborContent"/>) gives: a byte string as its base64 text, a tag
/// read through, an undefined or unassigned simple value as null; map keys must be text, text must be UTF-8, numbers
/// finite, strings of definite length. Numbers read as text take their shortest round-trip form. The reader and each
/// mark's are the thread's own while they are free (<see cref="CborContent.RentReader"/>), given back by
/// <see cref="Release"/>.
/// </summary>
internal readonly struct CborPrimitiveReader : IPrimitiveReader<CborPrimitiveReader>
{
    private readonly CborReader? _reader;
    private readonly ReadOnlyMemory<byte> _data;

    public CborPrimitiveReader(in ReadOnlySequence<byte> payload)
        : this(payload.IsSingleSegment ? payload.First : payload.ToArray())
    {
    }

    private CborPrimitiveReader(ReadOnlyMemory<byte> data)
    {
        _data = data;
        _reader = CborContent.RentReader(data);
    }

    private CborReader Reader => _reader ?? throw new InvalidOperationException("A default CborPrimitiveReader reads nothing.");

    public static string NotAnObject => "the payload must be a CBOR map (a request primitive)";

    public static bool IsMalformed(Exception exception, out string message)
    {
        var malformed = CborContent.IsMalformed(exception);
        message = malformed ? "malformed CBOR: " + exception.Message : "";
        return malformed;
    }

    public bool Start() => !_data.IsEmpty;

    public bool AtEnd() => Reader.BytesRemaining == 0;

    public PrimitiveValueKind Peek()
    {
        var reader = Reader;
        var state = reader.PeekState();
        while (state == CborReaderState.Tag)
        {
            // Tagged items (an epoch time, a URI) are read as the item they tag.
            reader.ReadTag();
            state = reader.PeekState();
        }

        return state switch
        {
            CborReaderState.StartMap => PrimitiveValueKind.Object,
            CborReaderState.StartArray => PrimitiveValueKind.Array,
            CborReaderState.TextString or CborReaderState.ByteString => PrimitiveValueKind.String,
            CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger or CborReaderState.HalfPrecisionFloat
                or CborReaderState.SinglePrecisionFloat or CborReaderState.DoublePrecisionFloat => PrimitiveValueKind.Number,
            CborReaderState.Boolean => PrimitiveValueKind.Boolean,
            CborReaderState.Null or CborReaderState.SimpleValue => PrimitiveValueKind.Null,
            CborReaderState.StartIndefiniteLengthTextString or CborReaderState.StartIndefiniteLengthByteString =>
                throw new CborContentException("indefinite-length CBOR strings are not supported"),
            _ => PrimitiveValueKind.Other,
        };
    }

    public void EnterObject()
    {
        Peek();
        Reader.ReadStartMap();
    }

    public void EnterArray()
    {
        Peek();
        Reader.ReadStartArray();
    }

    public bool NextMember(out string name)
    {
        switch (Reader.PeekState())
        {
            case CborReaderState.EndMap:
                Reader.ReadEndMap();
                name = "";
                return false;
            case CborReaderState.TextString:
                var utf8 = Reader.ReadDefiniteLengthTextStringBytes().Span;
                name = PrimitiveNames.Find(utf8) ?? CborContent.DecodeText(utf8);
                return true;
            default:
                throw new CborContentException("a CBOR map key is not a text string");
        }
    }

    public bool NextItem()
    {
        if (Reader.PeekState() != CborReaderState.EndArray)
        {
            return true;
        }

        Reader.ReadEndArray();
        return false;
    }

    public string? ReadScalar()
    {
        switch (Peek())
        {
            case PrimitiveValueKind.String:
                return Reader.PeekState() == CborReaderState.TextString ? CborContent.ReadText(Reader) : Convert.ToBase64String(Reader.ReadByteString());
            case PrimitiveValueKind.Number:
                return ReadNumber();
            case PrimitiveValueKind.Boolean:
                return Reader.ReadBoolean() ? "true" : "false";
            case PrimitiveValueKind.Null:
                if (Reader.PeekState() == CborReaderState.Null)
                {
                    Reader.ReadNull();
                }
                else
                {
                    Reader.ReadSimpleValue();
                }

                return null;
            default:
                throw new InvalidOperationException("ReadScalar on a CBOR map or array.");
        }
    }

    private string ReadNumber()
    {
        switch (Reader.PeekState())
        {
            case CborReaderState.UnsignedInteger:
                var unsigned = Reader.ReadUInt64();
                return unsigned <= long.MaxValue
                    ? unsigned.ToString(CultureInfo.InvariantCulture)
                    : throw new CborContentException("a CBOR integer is out of range");
            case CborReaderState.NegativeInteger:
                return Reader.ReadInt64().ToString(CultureInfo.InvariantCulture);
            default:
                var real = Reader.ReadDouble();
                return double.IsFinite(real)
                    ? real.ToString("R", CultureInfo.InvariantCulture)
                    : throw new CborContentException("a CBOR number is not finite");
        }
    }

    public void Skip() => Reader.SkipValue();

    // The members after pc are still to be read by this reader: pc is read again by a reader of its own.
    public CborPrimitiveReader Mark() => new(_data[(_data.Length - Reader.BytesRemaining)..]);

    public ParseResult<ParsedContent> ReadContent() =>
        Peek() == PrimitiveValueKind.Object
            ? CborContent.ParseContent(Reader)
            : ParseResult<ParsedContent>.BadRequest("the content must be a CBOR map with one root key such as \"m2m:cnt\"");

    public ParseResult<Dictionary<string, object?>> ReadObject() => CborContent.ParseMap(Reader);

    public void Release()
    {
        if (_reader is not null)
        {
            CborContent.ReturnReader(_reader, _data.Length);
        }
    }
}
