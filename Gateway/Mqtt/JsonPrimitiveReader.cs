using System.Buffers;
using System.Text;
using System.Text.Json;
using VirtualIoT.Gateway.Json;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// A JSON request primitive read in place with <see cref="Utf8JsonReader"/>. "Before a value" is the reader standing
/// on the value's first token; a value is consumed when the reader stands on its last token.
/// </summary>
internal ref struct JsonPrimitiveReader : IPrimitiveReader<JsonPrimitiveReader>
{
    // The primitive is one level above pc, whose depth ContentParser bounds.
    private static readonly JsonReaderOptions s_options = new()
    {
        MaxDepth = ContentParser.MaxDepth + 1,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private Utf8JsonReader _reader;

    public JsonPrimitiveReader(in ReadOnlySequence<byte> payload) => _reader = new Utf8JsonReader(payload, s_options);

    /// <summary>A reader that accepts nesting down to <paramref name="maxDepth"/> levels.</summary>
    public JsonPrimitiveReader(in ReadOnlySequence<byte> payload, int maxDepth) =>
        _reader = new Utf8JsonReader(payload, s_options with { MaxDepth = maxDepth });

    public static string NotAnObject => "the payload must be a JSON object (a request primitive)";

    public static bool IsMalformed(Exception exception, out string message)
    {
        // InvalidOperationException: GetString on text that is not valid UTF-8.
        var malformed = exception is JsonException or InvalidOperationException;
        message = malformed ? "malformed JSON: " + exception.Message : "";
        return malformed;
    }

    public bool Start() => _reader.Read();

    // Past the last token, Read is false; anything else after it throws (the reader sees the whole payload).
    public bool AtEnd() => !_reader.Read();

    public readonly PrimitiveValueKind Peek() => _reader.TokenType switch
    {
        JsonTokenType.StartObject => PrimitiveValueKind.Object,
        JsonTokenType.StartArray => PrimitiveValueKind.Array,
        JsonTokenType.String => PrimitiveValueKind.String,
        JsonTokenType.Number => PrimitiveValueKind.Number,
        JsonTokenType.True or JsonTokenType.False => PrimitiveValueKind.Boolean,
        JsonTokenType.Null => PrimitiveValueKind.Null,
        _ => PrimitiveValueKind.Other,
    };

    public readonly void EnterObject()
    {
        // Standing on StartObject is being inside it: the next Read gives its first member.
    }

    public readonly void EnterArray()
    {
    }

    public bool NextMember(out string name)
    {
        if (!_reader.Read() || _reader.TokenType != JsonTokenType.PropertyName)
        {
            name = "";
            return false;
        }

        name = (_reader.ValueIsEscaped || _reader.HasValueSequence ? null : PrimitiveNames.Find(_reader.ValueSpan)) ?? _reader.GetString()!;
        _reader.Read();
        return true;
    }

    public bool NextItem() => _reader.Read() && _reader.TokenType != JsonTokenType.EndArray;

    public readonly string? ReadScalar() => _reader.TokenType switch
    {
        JsonTokenType.String => _reader.GetString(),
        JsonTokenType.Number => _reader.HasValueSequence ? Encoding.UTF8.GetString(_reader.ValueSequence) : Encoding.UTF8.GetString(_reader.ValueSpan),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        _ => null,
    };

    public void Skip() => _reader.Skip();

    public readonly JsonPrimitiveReader Mark() => this;

    public ParseResult<ParsedContent> ReadContent() => ContentParser.ParseEmbedded(ref _reader);

    public ParseResult<Dictionary<string, object?>> ReadObject() => ContentParser.ParseObject(ref _reader);

    public readonly void Release()
    {
        // Utf8JsonReader holds nothing to give back.
    }
}
