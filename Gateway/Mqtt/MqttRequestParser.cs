using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Json;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// A request primitive received over MQTT, parsed. When <see cref="Error"/> is set the request is answered with it,
/// provided <see cref="RequestIdentifier"/> is known; without a request identifier no answer can be matched by the
/// client, so the message is dropped.
/// </summary>
/// <param name="Request">The request, when parsing succeeded.</param>
/// <param name="Address">The parsed <c>to</c>, when parsing succeeded.</param>
/// <param name="Error">Why the request is refused, or null.</param>
/// <param name="RequestIdentifier"><c>rqi</c> as sent, when it was found.</param>
/// <param name="ReleaseVersion"><c>rvi</c> as sent, when it was found (echoed even when unsupported, like HTTP).</param>
/// <param name="From"><c>fr</c> as sent, echoed as the response's <c>to</c>.</param>
/// <param name="NoResponse">True for <c>rt</c> <c>{"rtv":5}</c> (noResponse): the request is executed and no response published.</param>
public readonly record struct MqttRequest(
    ResourceRequest? Request,
    ParsedAddress Address,
    OneM2MError? Error,
    string? RequestIdentifier,
    string? ReleaseVersion,
    string? From,
    bool NoResponse)
{
    /// <summary><c>rqet</c>, <c>rset</c>, <c>oet</c> and <c>rt</c> as sent, read against the clock by the dispatcher.</summary>
    public TimingParameters Timing { get; init; }

    /// <summary><c>vsi</c> as sent, echoed in the response.</summary>
    public string? VendorInformation { get; init; }
}

/// <summary>
/// Reads a JSON request primitive (TS-0010 6.4, TS-0004 8.3) from an MQTT payload with <see cref="Utf8JsonReader"/>,
/// in place. The parameters are checked by the rules the HTTP binding applies to the same parameters
/// (<see cref="PrimitiveRules"/>; <c>rcn</c>, <c>drt</c>, <c>rt</c>, <c>atrl</c> and the filter criteria <c>fc</c>,
/// flattened to name and values, by <see cref="RequestParameterParser"/>; <c>pc</c> by <see cref="ContentParser"/>),
/// so the bindings accept and refuse alike.
/// Order of checks, the first failure answering: JSON (4000), <c>rqi</c> (4000, dropped), value types (4000),
/// <c>rvi</c> (4001), <c>op</c> and <c>ty</c> (4000), <c>to</c> (4000, 4004), parameters (4000, 5001), <c>pc</c>
/// (4000), <c>fr</c> (4000, also when it differs from the topic's originator).
/// </summary>
public static class MqttRequestParser
{
    // The primitive is one level above pc, whose depth ContentParser bounds.
    private static readonly JsonReaderOptions s_options = new()
    {
        MaxDepth = ContentParser.MaxDepth + 1,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    // Top-level members checked for duplicates (an unknown member is skipped, never compared). IndexOf gives -1
    // for other names, and 1 << -1 is negative.
    private static readonly string[] s_primitiveNames =
        ["op", "to", "fr", "rqi", "rvi", "ty", "pc", "fc", "rt", "rcn", "drt", "atrl", "da", "sqi", "rp", "rids", "tids", "ltids", "tqi", "asi", "auri",
         "rqet", "rset", "oet", "vsi"];

    /// <summary>
    /// Parses <paramref name="payload"/> received on <paramref name="topic"/> (a <see cref="MqttTopicKind.Request"/> or
    /// <see cref="MqttTopicKind.Registration"/> topic).
    /// </summary>
    public static MqttRequest Parse(in ReadOnlySequence<byte> payload, MqttTopic topic, CseIdentity cse) => ParseJson(payload, topic, cse);

    /// <summary>
    /// Parses a request primitive in <paramref name="serialization"/>: a CBOR or XML primitive is read into the neutral
    /// tree and handed on as JSON (<see cref="Representation.PrimitiveAsJson"/>), so every serialization meets the same
    /// checks. <paramref name="topic"/> is null for a binding without topics (WebSocket): no originator is named
    /// besides <c>fr</c>, and there is no registration topic. An unreadable CBOR or XML primitive has no <c>rqi</c>
    /// and so cannot be answered.
    /// </summary>
    public static MqttRequest Parse(in ReadOnlySequence<byte> payload, MqttTopic? topic, CseIdentity cse, ContentSerialization serialization)
    {
        if (serialization == ContentSerialization.Json)
        {
            return ParseJson(payload, topic, cse);
        }

        var json = Representation.PrimitiveAsJson(serialization, payload);
        return json.IsSuccess ? ParseJson(new ReadOnlySequence<byte>(json.Value!), topic, cse) : Fail(json.Error, null, null, null);
    }

    private static MqttRequest ParseJson(in ReadOnlySequence<byte> payload, MqttTopic? topic, CseIdentity cse)
    {
        ArgumentNullException.ThrowIfNull(cse);
        var reader = new Utf8JsonReader(payload, s_options);
        string? op = null, to = null, from = null, requestIdentifier = null, releaseVersion = null, type = null;
        string? requestExpiration = null, resultExpiration = null, executionTime = null, responseType = null, vendorInformation = null;
        var content = default(Utf8JsonReader);
        var hasContent = false;
        var noResponse = false;
        OneM2MError? fieldError = null;
        List<KeyValuePair<string, StringValues>>? parameters = null;
        var seen = 0;

        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Fail(OneM2MError.BadRequest("the payload must be a JSON object (a request primitive)"), null, null, null);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                var bit = 1 << Array.IndexOf(s_primitiveNames, name);
                if (bit > 0 && (seen & bit) != 0)
                {
                    fieldError ??= OneM2MError.BadRequest($"duplicate key \"{name}\" in the request primitive");
                    reader.Skip();
                    continue;
                }

                seen |= bit;
                switch (name)
                {
                    case "op":
                        op = Scalar(ref reader, name, ref fieldError);
                        break;
                    case "to":
                        to = Text(ref reader, name, ref fieldError);
                        break;
                    case "fr":
                        from = Text(ref reader, name, ref fieldError);
                        break;
                    case "rqi":
                        requestIdentifier = Scalar(ref reader, name, ref fieldError);
                        break;
                    case "rvi":
                        // A string ("3"); a number is tolerated (docs/protocol.md §12).
                        releaseVersion = Scalar(ref reader, name, ref fieldError);
                        break;
                    case "ty":
                        type = Scalar(ref reader, name, ref fieldError);
                        break;
                    case "pc":
                        // Kept as a copy of the reader and parsed once op and ty are known, wherever they stand.
                        content = reader;
                        hasContent = reader.TokenType != JsonTokenType.Null;
                        reader.Skip();
                        break;
                    case "fc":
                        ReadFilterCriteria(ref reader, ref parameters, ref fieldError);
                        break;
                    case "rt":
                        responseType = ReadResponseType(ref reader, ref fieldError);
                        noResponse = responseType == "5";
                        break;
                    case "rqet":
                        requestExpiration = Scalar(ref reader, name, ref fieldError);
                        break;
                    case "rset":
                        resultExpiration = Scalar(ref reader, name, ref fieldError);
                        break;
                    case "oet":
                        executionTime = Scalar(ref reader, name, ref fieldError);
                        break;
                    case "vsi":
                        vendorInformation = Text(ref reader, name, ref fieldError);
                        break;
                    default:
                        if (RequestParameterParser.IsPrimitiveMember(name))
                        {
                            // rcn, drt, atrl…: read by the shared pipeline, as the same fields of the HTTP query are.
                            AddParameter(ref reader, name, ref parameters, ref fieldError);
                        }
                        else
                        {
                            // ot, ec, gid, tkns…: carried but not acted on, as over HTTP.
                            reader.Skip();
                        }

                        break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return Fail(OneM2MError.BadRequest("unexpected data after the request primitive"), requestIdentifier, releaseVersion, from);
            }
        }
        catch (JsonException exception)
        {
            return Fail(OneM2MError.BadRequest("malformed JSON: " + exception.Message), requestIdentifier, releaseVersion, from);
        }
        catch (InvalidOperationException exception)
        {
            // GetString on text that is not valid UTF-8.
            return Fail(OneM2MError.BadRequest("malformed JSON: " + exception.Message), requestIdentifier, releaseVersion, from);
        }

        if (string.IsNullOrEmpty(requestIdentifier))
        {
            return Fail(OneM2MError.BadRequest("rqi (request identifier) is missing"), null, releaseVersion, from);
        }

        var error = Validate(topic, cse, op, to, from, requestIdentifier, type, releaseVersion, fieldError, parameters, hasContent,
            ref content, out var request, out var address);
        var parsed = error is not null
            ? Fail(error, requestIdentifier, releaseVersion, from)
            : new MqttRequest(request, address, null, requestIdentifier, releaseVersion, from, noResponse)
            {
                Timing = new TimingParameters(requestExpiration, resultExpiration, executionTime, responseType),
            };
        return parsed with { VendorInformation = vendorInformation };
    }

    /// <summary>
    /// For a payload too large to parse: finds the top-level <c>rqi</c> and <c>rvi</c> (skipping every other value
    /// without materialising it), so that the refusal can still be answered.
    /// </summary>
    public static MqttRequest TooLarge(in ReadOnlySequence<byte> payload, int limit)
    {
        var error = OneM2MError.BadRequest($"request primitive exceeds {limit} bytes");
        string? requestIdentifier = null, releaseVersion = null, from = null;
        var reader = new Utf8JsonReader(payload, s_options);
        try
        {
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                OneM2MError? ignored = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName
                    && (requestIdentifier is null || releaseVersion is null || from is null))
                {
                    var name = reader.ValueTextEquals("rqi"u8) ? 1 : reader.ValueTextEquals("rvi"u8) ? 2 : reader.ValueTextEquals("fr"u8) ? 3 : 0;
                    reader.Read();
                    switch (name)
                    {
                        case 1:
                            requestIdentifier = Scalar(ref reader, "rqi", ref ignored);
                            break;
                        case 2:
                            releaseVersion = Scalar(ref reader, "rvi", ref ignored);
                            break;
                        case 3:
                            from = Text(ref reader, "fr", ref ignored);
                            break;
                        default:
                            reader.Skip();
                            break;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // What was found before the malformed part is used.
        }
        catch (InvalidOperationException)
        {
        }

        return Fail(error, string.IsNullOrEmpty(requestIdentifier) ? null : requestIdentifier, releaseVersion, from);
    }

    private static OneM2MError? Validate(MqttTopic? topic, CseIdentity cse, string? op, string? to, string? from, string requestIdentifier, string? type,
        string? releaseVersion, OneM2MError? fieldError, List<KeyValuePair<string, StringValues>>? parameters,
        bool hasContent, ref Utf8JsonReader content, out ResourceRequest request, out ParsedAddress address)
    {
        request = null!;
        address = default;
        if (fieldError is not null)
        {
            return fieldError;
        }

        var version = PrimitiveRules.ParseReleaseVersion(releaseVersion);
        if (!version.IsSuccess)
        {
            return version.Error;
        }

        if (op is null)
        {
            return OneM2MError.BadRequest("op (operation) is missing");
        }

        if (!int.TryParse(op, NumberStyles.None, CultureInfo.InvariantCulture, out var opNumber) || opNumber is < 1 or > 5)
        {
            return OneM2MError.BadRequest($"invalid op '{op}' (1 create, 2 retrieve, 3 update, 4 delete, 5 notify)");
        }

        var operation = (Operation)opNumber;
        ResourceType? resourceType = null;
        if (type is not null)
        {
            if (!int.TryParse(type, NumberStyles.None, CultureInfo.InvariantCulture, out var ty) || !Enum.IsDefined((ResourceType)ty))
            {
                return OneM2MError.BadRequest($"unknown resource type ty={type}");
            }

            if (operation != Operation.Create)
            {
                return OneM2MError.BadRequest("ty is only allowed on a create (op 1)");
            }

            resourceType = (ResourceType)ty;
        }
        else if (operation == Operation.Create)
        {
            return OneM2MError.BadRequest("ty is missing; a create (op 1) names the type of the resource to create");
        }

        if (topic?.Kind == MqttTopicKind.Registration && !(operation == Operation.Create && resourceType == ResourceType.AE))
        {
            // As ACME: the registration topic carries AE registrations only.
            return OneM2MError.BadRequest("a reg_req topic carries only AE registrations (op 1, ty 2)");
        }

        if (string.IsNullOrEmpty(to))
        {
            return OneM2MError.BadRequest("to is missing");
        }

        // A partial retrieve may name its attribute as a fragment of the target (TS-0004 8.1.2: to "…#lbl").
        IReadOnlyList<string>? attributeList = null;
        var fragment = to.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            if (fragment == to.Length - 1)
            {
                return OneM2MError.BadRequest($"to '{to}' has an empty attribute fragment");
            }

            attributeList = [to[(fragment + 1)..]];
            to = to[..fragment];
        }

        var parsedAddress = AddressParser.ParseTo(to, cse);
        if (!parsedAddress.IsSuccess)
        {
            return parsedAddress.Error;
        }

        var query = RequestParameters.Empty;
        if (parameters is not null)
        {
            var parsedQuery = RequestParameterParser.Parse(parameters, operation);
            if (!parsedQuery.IsSuccess)
            {
                return parsedQuery.Error;
            }

            query = parsedQuery.Value!;
        }

        string? contentRoot = null;
        Dictionary<string, object?>? attributes = null;
        if (operation is Operation.Create or Operation.Update or Operation.Notify)
        {
            if (!hasContent)
            {
                return OneM2MError.BadRequest("pc (content) is missing");
            }

            var parsedContent = ContentParser.ParseEmbedded(ref content);
            if (!parsedContent.IsSuccess)
            {
                return parsedContent.Error;
            }

            (contentRoot, attributes) = parsedContent.Value;
            if (PrimitiveRules.CheckContentRoot(resourceType, contentRoot) is { } rootError)
            {
                return rootError;
            }
        }
        else if (hasContent)
        {
            if (ReadAttributeList(ref content, out var listed) is { } listError)
            {
                return listError;
            }

            attributeList = listed ?? attributeList;
        }

        attributeList ??= query.AttributeList;
        if (PrimitiveRules.CheckAttributeList(operation, query.ResultContent, query.Filter, attributeList) is { } partialError)
        {
            return partialError;
        }

        var originator = PrimitiveRules.NormalizeOriginator(from, cse);
        var registers = operation == Operation.Create && resourceType == ResourceType.AE;
        if (originator.Length == 0 && !PrimitiveRules.OriginatorMayBeEmpty(operation, resourceType))
        {
            return OneM2MError.BadRequest("fr (originator) is missing");
        }

        // TS-0010 6.4: the topic names the originator; a primitive claiming another is malformed (4000, not an
        // access decision: no originator has been established to deny). A registration asking for an assigned
        // AE-ID (fr empty, C or S) and the reg_req topic (whose segment is a credential) are exempt.
        if (topic is { Kind: MqttTopicKind.Request } named && !(registers && PrimitiveRules.AsksForAssignedAeId(originator))
            && !string.Equals(MqttTopic.ToTopicId(originator), named.Originator, StringComparison.Ordinal)
            && !string.Equals(MqttTopic.ToTopicId(from!), named.Originator, StringComparison.Ordinal))
        {
            return OneM2MError.BadRequest($"fr '{from}' differs from the originator '{named.Originator}' of the topic");
        }

        address = parsedAddress.Value;
        request = new ResourceRequest
        {
            Operation = operation,
            Originator = originator,
            RequestIdentifier = requestIdentifier,
            ReleaseVersion = version.Value,
            ResourceType = resourceType,
            ContentRoot = contentRoot,
            Content = attributes,
            ResultContent = query.ResultContent,
            IdentifierForm = query.IdentifierForm,
            Filter = query.Filter,
            AttributeList = attributeList,
        };
        return null;
    }

    // The content of a retrieve (or, wrongly, a delete) may be {"m2m:atrl":["ri","lbl"]}: a partial retrieve
    // (TS-0004 8.1.2). Other members carry nothing for these operations and are skipped.
    private static OneM2MError? ReadAttributeList(ref Utf8JsonReader reader, out List<string>? attributeList)
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

    private static MqttRequest Fail(OneM2MError error, string? requestIdentifier, string? releaseVersion, string? from) =>
        new(null, default, error, string.IsNullOrEmpty(requestIdentifier) ? null : requestIdentifier, releaseVersion, from, false);

    // Filter criteria as a JSON object: each member is the query field of the same name (docs/protocol.md §3.3); list
    // members are arrays; atr is a list of {"nm","val"} (TS-0004 7.3.3.17) or an object of name: value.
    private static void ReadFilterCriteria(ref Utf8JsonReader reader, ref List<KeyValuePair<string, StringValues>>? parameters, ref OneM2MError? error)
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
    private static string? ReadResponseType(ref Utf8JsonReader reader, ref OneM2MError? error)
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
            else
            {
                reader.Skip();
            }
        }

        return value;
    }

    private static void AddParameter(ref Utf8JsonReader reader, string name, ref List<KeyValuePair<string, StringValues>>? parameters, ref OneM2MError? error)
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
    private static string? Scalar(ref Utf8JsonReader reader, string name, ref OneM2MError? error)
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

    private static string? Text(ref Utf8JsonReader reader, string name, ref OneM2MError? error)
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
}
