using System.Buffers;
using System.Text.Json;

namespace VirtualIoT.Gateway.Json;

/// <summary>A request body split into its one root key and the attributes under it.</summary>
/// <param name="Root">The root key (<c>m2m:cnt</c>).</param>
/// <param name="Content">The object under the root key as a neutral value tree.</param>
public readonly record struct ParsedContent(string Root, Dictionary<string, object?> Content);

/// <summary>
/// Reads a oneM2M JSON body (TS-0004 8.4: one root key whose value is an object) into the neutral value tree the
/// grains take: null, bool, long (integers), double (other numbers), string, <c>List&lt;object?&gt;</c> and
/// <c>Dictionary&lt;string, object?&gt;</c>. No reflection serializer is involved; malformed input is 4000.
/// </summary>
public static class ContentParser
{
    /// <summary>
    /// Deepest nesting accepted, counting the outer object. oneM2M representations nest a few levels
    /// (<c>m2m:acp</c> → <c>pv</c> → <c>acr</c> → rule → <c>acco</c> → …); 32 leaves room and keeps recursion bounded.
    /// </summary>
    public const int MaxDepth = 32;

    private static readonly JsonReaderOptions s_options = new()
    {
        MaxDepth = MaxDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>Parses a body held in one contiguous buffer.</summary>
    public static ParseResult<ParsedContent> Parse(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, s_options);
        return Parse(ref reader);
    }

    /// <summary>Parses a body as read from a pipe, possibly in several segments.</summary>
    public static ParseResult<ParsedContent> Parse(in ReadOnlySequence<byte> utf8Json)
    {
        if (utf8Json.IsSingleSegment)
        {
            return Parse(utf8Json.FirstSpan);
        }

        var reader = new Utf8JsonReader(utf8Json, s_options);
        return Parse(ref reader);
    }

    private static ParseResult<ParsedContent> Parse(ref Utf8JsonReader reader)
    {
        try
        {
            if (!reader.Read())
            {
                return ParseResult<ParsedContent>.BadRequest("the request body is empty");
            }

            var parsed = ParseRootObject(ref reader);
            if (!parsed.IsSuccess)
            {
                return parsed;
            }

            // Anything after the root object makes the final Read throw (the reader sees the whole body).
            if (reader.Read())
            {
                return ParseResult<ParsedContent>.BadRequest("unexpected data after the JSON body");
            }

            return parsed;
        }
        catch (JsonException exception)
        {
            return ParseResult<ParsedContent>.BadRequest("malformed JSON: " + exception.Message);
        }
        catch (InvalidOperationException exception)
        {
            // GetString on text that is not valid UTF-8.
            return ParseResult<ParsedContent>.BadRequest("malformed JSON: " + exception.Message);
        }
    }

    /// <summary>
    /// Parses a representation embedded in a larger document (the <c>pc</c> of an MQTT request primitive): the
    /// reader stands on the object's start; on success it is left on the object's end.
    /// </summary>
    public static ParseResult<ParsedContent> ParseEmbedded(ref Utf8JsonReader reader)
    {
        try
        {
            return ParseRootObject(ref reader);
        }
        catch (JsonException exception)
        {
            return ParseResult<ParsedContent>.BadRequest("malformed JSON: " + exception.Message);
        }
        catch (InvalidOperationException exception)
        {
            return ParseResult<ParsedContent>.BadRequest("malformed JSON: " + exception.Message);
        }
    }

    /// <summary>
    /// Parses a JSON document that is one object with any keys (a response's content, such as <c>{"m2m:dbg": "…"}</c>,
    /// whose root value need not be an object), held in <paramref name="utf8Json"/>.
    /// </summary>
    public static ParseResult<Dictionary<string, object?>> ParseDocument(in ReadOnlySequence<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, s_options);
        try
        {
            if (!reader.Read())
            {
                return ParseResult<Dictionary<string, object?>>.BadRequest("the document is empty");
            }

            var document = ParseObject(ref reader);
            return document.IsSuccess && reader.Read() ? ParseResult<Dictionary<string, object?>>.BadRequest("unexpected data after the JSON document") : document;
        }
        catch (JsonException exception)
        {
            return ParseResult<Dictionary<string, object?>>.BadRequest("malformed JSON: " + exception.Message);
        }
    }

    /// <summary>
    /// Parses the JSON object the reader stands on (any keys, any values) into a value tree; on success the reader is
    /// left on the object's end.
    /// </summary>
    public static ParseResult<Dictionary<string, object?>> ParseObject(ref Utf8JsonReader reader)
    {
        try
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return ParseResult<Dictionary<string, object?>>.BadRequest("a JSON object was expected");
            }

            return TryReadObject(ref reader, out var result, out var error) ? result : ParseResult<Dictionary<string, object?>>.BadRequest(error);
        }
        catch (JsonException exception)
        {
            return ParseResult<Dictionary<string, object?>>.BadRequest("malformed JSON: " + exception.Message);
        }
        catch (InvalidOperationException exception)
        {
            return ParseResult<Dictionary<string, object?>>.BadRequest("malformed JSON: " + exception.Message);
        }
    }

    // Called with the reader on the token that should start the representation; leaves it on its end.
    private static ParseResult<ParsedContent> ParseRootObject(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return ParseResult<ParsedContent>.BadRequest("the request body must be a JSON object with one root key such as \"m2m:cnt\"");
        }

        if (!reader.Read() || reader.TokenType != JsonTokenType.PropertyName)
        {
            return ParseResult<ParsedContent>.BadRequest("the request body must have one root key such as \"m2m:cnt\"");
        }

        var root = reader.GetString()!;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return ParseResult<ParsedContent>.BadRequest($"the value of \"{root}\" must be a JSON object");
        }

        if (!TryReadObject(ref reader, out var content, out var error))
        {
            return ParseResult<ParsedContent>.BadRequest(error);
        }

        if (!reader.Read() || reader.TokenType != JsonTokenType.EndObject)
        {
            return ParseResult<ParsedContent>.BadRequest("the request body must have exactly one root key");
        }

        return new ParsedContent(root, content);
    }

    // Called with the reader on StartObject; leaves it on the matching EndObject.
    private static bool TryReadObject(ref Utf8JsonReader reader, out Dictionary<string, object?> result, out string error)
    {
        result = new Dictionary<string, object?>();
        error = "";
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            var name = reader.GetString()!;
            reader.Read();
            if (!TryReadValue(ref reader, out var value, out error))
            {
                return false;
            }

            if (!result.TryAdd(name, value))
            {
                error = $"duplicate key \"{name}\"";
                return false;
            }
        }

        error = "unterminated JSON object";
        return false;
    }

    private static bool TryReadValue(ref Utf8JsonReader reader, out object? value, out string error)
    {
        error = "";
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var succeeded = TryReadObject(ref reader, out var dictionary, out error);
                value = dictionary;
                return succeeded;
            case JsonTokenType.StartArray:
                var list = new List<object?>();
                value = list;
                while (reader.Read())
                {
                    if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        return true;
                    }

                    if (!TryReadValue(ref reader, out var item, out error))
                    {
                        return false;
                    }

                    list.Add(item);
                }

                error = "unterminated JSON array";
                return false;
            case JsonTokenType.String:
                value = reader.GetString();
                return true;
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var integer))
                {
                    value = integer;
                    return true;
                }

                if (reader.TryGetDouble(out var real) && double.IsFinite(real))
                {
                    value = real;
                    return true;
                }

                value = null;
                error = "a JSON number is out of range";
                return false;
            case JsonTokenType.True:
                value = true;
                return true;
            case JsonTokenType.False:
                value = false;
                return true;
            case JsonTokenType.Null:
                value = null;
                return true;
            default:
                value = null;
                error = $"unexpected JSON token {reader.TokenType}";
                return false;
        }
    }
}
