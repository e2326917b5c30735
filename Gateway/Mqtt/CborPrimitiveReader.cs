using System.Buffers;
using System.Formats.Cbor;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using VirtualIoT.Gateway.Json;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// A CBOR request primitive (TS-0004 8.6: the JSON structure as CBOR) read straight from a <see cref="CborReader"/>,
/// with the values the CBOR body reader (<see cref="CborContent"/>) gives: a byte string as its base64 text, a tag
/// read through, an undefined or unassigned simple value as null; map keys must be text, numbers finite, strings of
/// definite length. Numbers read as text take their shortest round-trip form.
/// </summary>
internal readonly struct CborPrimitiveReader : IPrimitiveReader<CborPrimitiveReader>
{
    private readonly CborReader _reader;
    private readonly ReadOnlyMemory<byte> _data;

    public CborPrimitiveReader(in ReadOnlySequence<byte> payload)
        : this(payload.IsSingleSegment ? payload.First : payload.ToArray())
    {
    }

    private CborPrimitiveReader(ReadOnlyMemory<byte> data)
    {
        _data = data;
        _reader = new CborReader(data, CborConformanceMode.Lax);
    }

    public static string NotAnObject => "the payload must be a CBOR map (a request primitive)";

    public static bool IsMalformed(Exception exception, out string message)
    {
        var malformed = CborContent.IsMalformed(exception);
        message = malformed ? "malformed CBOR: " + exception.Message : "";
        return malformed;
    }

    public bool Start() => !_data.IsEmpty;

    public bool AtEnd() => _reader.BytesRemaining == 0;

    public PrimitiveValueKind Peek()
    {
        var state = _reader.PeekState();
        while (state == CborReaderState.Tag)
        {
            // Tagged items (an epoch time, a URI) are read as the item they tag.
            _reader.ReadTag();
            state = _reader.PeekState();
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
        _reader.ReadStartMap();
    }

    public void EnterArray()
    {
        Peek();
        _reader.ReadStartArray();
    }

    public bool NextMember(out string name)
    {
        switch (_reader.PeekState())
        {
            case CborReaderState.EndMap:
                _reader.ReadEndMap();
                name = "";
                return false;
            case CborReaderState.TextString:
                name = ReadText();
                return true;
            default:
                throw new CborContentException("a CBOR map key is not a text string");
        }
    }

    public bool NextItem()
    {
        if (_reader.PeekState() != CborReaderState.EndArray)
        {
            return true;
        }

        _reader.ReadEndArray();
        return false;
    }

    public string? ReadScalar()
    {
        switch (Peek())
        {
            case PrimitiveValueKind.String:
                return _reader.PeekState() == CborReaderState.TextString ? ReadText() : Convert.ToBase64String(_reader.ReadByteString());
            case PrimitiveValueKind.Number:
                return ReadNumber();
            case PrimitiveValueKind.Boolean:
                return _reader.ReadBoolean() ? "true" : "false";
            case PrimitiveValueKind.Null:
                if (_reader.PeekState() == CborReaderState.Null)
                {
                    _reader.ReadNull();
                }
                else
                {
                    _reader.ReadSimpleValue();
                }

                return null;
            default:
                throw new InvalidOperationException("ReadScalar on a CBOR map or array.");
        }
    }

    // The lax reader does not check UTF-8 (RFC 8949 3.1 requires it); JSON text that is not UTF-8 is refused, and so is this.
    private string ReadText()
    {
        var bytes = _reader.ReadDefiniteLengthTextStringBytes().Span;
        return Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : throw new CborContentException("a text string is not valid UTF-8");
    }

    private string ReadNumber()
    {
        switch (_reader.PeekState())
        {
            case CborReaderState.UnsignedInteger:
                var unsigned = _reader.ReadUInt64();
                return unsigned <= long.MaxValue
                    ? unsigned.ToString(CultureInfo.InvariantCulture)
                    : throw new CborContentException("a CBOR integer is out of range");
            case CborReaderState.NegativeInteger:
                return _reader.ReadInt64().ToString(CultureInfo.InvariantCulture);
            default:
                var real = _reader.ReadDouble();
                return double.IsFinite(real)
                    ? real.ToString("R", CultureInfo.InvariantCulture)
                    : throw new CborContentException("a CBOR number is not finite");
        }
    }

    public void Skip() => _reader.SkipValue();

    // The members after pc are still to be read by this reader: pc is read again by a reader of its own.
    public CborPrimitiveReader Mark() => new(_data[(_data.Length - _reader.BytesRemaining)..]);

    public ParseResult<ParsedContent> ReadContent()
    {
        var tree = CborContent.ParseMap(_reader);
        return tree.IsSuccess ? Representation.AsContent(tree.Value!) : tree.Error;
    }

    public ParseResult<Dictionary<string, object?>> ReadObject() => CborContent.ParseMap(_reader);
}
