using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// Reads the members of a JSON request primitive whose shape is more than a scalar: the filter criteria <c>fc</c>
/// (flattened to the query fields of the same names), <c>rt</c>, and list-valued parameters; and scalars as text.
/// Errors are collected into the first one found, so that parsing goes on to find <c>rqi</c>.
/// </summary>
internal static class PrimitiveMemberReader
{
    // Filter criteria as a JSON object: each member is the query field of the same name (docs/protocol.md §3.3); list
    // members are arrays; atr is a list of {"nm","val"} (TS-0004 7.3.3.17) or an object of name: value.
    internal static void ReadFilterCriteria(ref Utf8JsonReader reader, ref List<KeyValuePair<string, StringValues>>? parameters, ref OneM2MError? error)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            error ??= OneM2MError.BadRequest("fc (filter criteria) must be a JSON object");
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (name == "atr")
            {
                ReadAttributeConditions(ref reader, ref parameters, ref error);
            }
            else
            {
                AddParameter(ref reader, name, ref parameters, ref error);
            }
        }
    }

    private static void ReadAttributeConditions(ref Utf8JsonReader reader, ref List<KeyValuePair<string, StringValues>>? parameters, ref OneM2MError? error)
    {
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                AddAttributeCondition(name, Scalar(ref reader, "atr", ref error), ref parameters, ref error);
            }

            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            error ??= OneM2MError.BadRequest("fc.atr must be a list of {\"nm\",\"val\"} or an object");
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                error ??= OneM2MError.BadRequest("an fc.atr entry must be an object {\"nm\",\"val\"}");
                reader.Skip();
                continue;
            }

            string? attributeName = null, value = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var member = reader.GetString();
                reader.Read();
                switch (member)
                {
                    case "nm":
                        attributeName = Text(ref reader, "fc.atr.nm", ref error);
                        break;
                    case "val":
                        value = Scalar(ref reader, "fc.atr.val", ref error);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (attributeName is null)
            {
                error ??= OneM2MError.BadRequest("an fc.atr entry has no nm");
                continue;
            }

            AddAttributeCondition(attributeName, value, ref parameters, ref error);
        }
    }

    private static void AddAttributeCondition(string name, string? value, ref List<KeyValuePair<string, StringValues>>? parameters, ref OneM2MError? error)
    {
        if (RequestParameterParser.IsParameterName(name))
        {
            error ??= OneM2MError.BadRequest($"'{name}' cannot be an attribute filter");
            return;
        }

        (parameters ??= []).Add(new(name, value ?? ""));
    }

    // rt is {"rtv":n,"nu":[…]} (TS-0004 6.3.5.16); a bare number is tolerated. The value is read with the other
    // timing parameters (Pipeline/RequestTiming.cs), as over HTTP.
    internal static string? ReadResponseType(ref Utf8JsonReader reader, ref OneM2MError? error, ref List<string>? targets)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return Scalar(ref reader, "rt", ref error);
        }

        string? value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = reader.GetString();
            reader.Read();
            if (member == "rtv")
            {
                value = Scalar(ref reader, "rt.rtv", ref error);
            }
            else if (member == "nu")
            {
                targets = ReadResponseTargets(ref reader, ref error);
            }
            else
            {
                reader.Skip();
            }
        }

        return value;
    }

    // rt.nu (responseTypeNUs): a list of notification URIs; empty entries are dropped (as ACME does).
    private static List<string>? ReadResponseTargets(ref Utf8JsonReader reader, ref OneM2MError? error)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            error ??= OneM2MError.BadRequest("rt.nu must be a list of notification URIs");
            return null;
        }

        var targets = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                reader.Skip();
                error ??= OneM2MError.BadRequest("rt.nu must be a list of notification URIs (strings)");
                continue;
            }

            if (reader.GetString() is { Length: > 0 } target)
            {
                targets.Add(target);
            }
        }

        return targets;
    }

    internal static void AddParameter(ref Utf8JsonReader reader, string name, ref List<KeyValuePair<string, StringValues>>? parameters, ref OneM2MError? error)
    {
        StringValues values;
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            var list = new List<string>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (Scalar(ref reader, name, ref error) is { } item)
                {
                    list.Add(item);
                }
            }

            values = new StringValues(list.ToArray());
        }
        else
        {
            values = Scalar(ref reader, name, ref error);
        }

        (parameters ??= []).Add(new(name, values));
    }

    // A string, number or boolean as text (numbers as sent); null for JSON null. An object or array is a type error.
    internal static string? Scalar(ref Utf8JsonReader reader, string name, ref OneM2MError? error)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Number:
                return reader.HasValueSequence
                    ? Encoding.UTF8.GetString(reader.ValueSequence)
                    : Encoding.UTF8.GetString(reader.ValueSpan);
            case JsonTokenType.True:
                return "true";
            case JsonTokenType.False:
                return "false";
            case JsonTokenType.Null:
                return null;
            default:
                error ??= OneM2MError.BadRequest($"{name} must be a string or a number");
                reader.Skip();
                return null;
        }
    }

    internal static string? Text(ref Utf8JsonReader reader, string name, ref OneM2MError? error)
    {
        if (reader.TokenType is JsonTokenType.String)
        {
            return reader.GetString();
        }

        if (reader.TokenType is not JsonTokenType.Null)
        {
            error ??= OneM2MError.BadRequest($"{name} must be a string");
            reader.Skip();
        }

        return null;
    }

    // The content of a retrieve (or, wrongly, a delete) may be {"m2m:atrl":["ri","lbl"]}: a partial retrieve
    // (TS-0004 8.1.2). Other members carry nothing for these operations and are skipped.
    internal static OneM2MError? ReadAttributeList(ref Utf8JsonReader reader, out List<string>? attributeList)
    {
        attributeList = null;
        try
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return OneM2MError.BadRequest("pc must be a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isList = reader.ValueTextEquals("m2m:atrl"u8);
                reader.Read();
                if (!isList)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return OneM2MError.BadRequest("m2m:atrl must be a list of attribute names");
                }

                attributeList ??= [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String || reader.GetString() is not { Length: > 0 } name)
                    {
                        return OneM2MError.BadRequest("m2m:atrl must be a list of attribute names");
                    }

                    attributeList.Add(name);
                }
            }

            return null;
        }
        catch (InvalidOperationException exception)
        {
            return OneM2MError.BadRequest("malformed JSON: " + exception.Message);
        }
    }
}
