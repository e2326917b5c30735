using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Json;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Mqtt;


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
public static partial class MqttRequestParser
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
         "rqet", "rset", "oet", "vsi", "gid", "ot"];

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
        string? originatingTimestamp = null;
        string? groupRequestIdentifier = null;
        List<string>? responseTargets = null;
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
                        op = PrimitiveMemberReader.Scalar(ref reader, name, ref fieldError);
                        break;
                    case "to":
                        to = PrimitiveMemberReader.Text(ref reader, name, ref fieldError);
                        break;
                    case "fr":
                        from = PrimitiveMemberReader.Text(ref reader, name, ref fieldError);
                        break;
                    case "rqi":
                        requestIdentifier = PrimitiveMemberReader.Scalar(ref reader, name, ref fieldError);
                        break;
                    case "rvi":
                        // A string ("3"); a number is tolerated (docs/protocol.md §12).
                        releaseVersion = PrimitiveMemberReader.Scalar(ref reader, name, ref fieldError);
                        break;
                    case "ty":
                        type = PrimitiveMemberReader.Scalar(ref reader, name, ref fieldError);
                        break;
                    case "pc":
                        // Kept as a copy of the reader and parsed once op and ty are known, wherever they stand.
                        content = reader;
                        hasContent = reader.TokenType != JsonTokenType.Null;
                        reader.Skip();
                        break;
                    case "fc":
                        PrimitiveMemberReader.ReadFilterCriteria(ref reader, ref parameters, ref fieldError);
                        break;
                    case "rt":
                        responseType = PrimitiveMemberReader.ReadResponseType(ref reader, ref fieldError, ref responseTargets);
                        noResponse = WireEnum.TryParse<ResponseType>(responseType, out var rt) && rt == ResponseType.NoResponse;
                        break;
                    case "rqet":
                        requestExpiration = PrimitiveMemberReader.Scalar(ref reader, name, ref fieldError);
                        break;
                    case "rset":
                        resultExpiration = PrimitiveMemberReader.Scalar(ref reader, name, ref fieldError);
                        break;
                    case "oet":
                        executionTime = PrimitiveMemberReader.Scalar(ref reader, name, ref fieldError);
                        break;
                    case "ot":
                        originatingTimestamp = PrimitiveMemberReader.Scalar(ref reader, name, ref fieldError);
                        break;
                    case "vsi":
                        vendorInformation = PrimitiveMemberReader.Text(ref reader, name, ref fieldError);
                        break;
                    case "gid":
                        groupRequestIdentifier = PrimitiveMemberReader.Text(ref reader, name, ref fieldError);
                        break;
                    default:
                        if (RequestParameterParser.IsPrimitiveMember(name))
                        {
                            // rcn, drt, atrl…: read by the shared pipeline, as the same fields of the HTTP query are.
                            PrimitiveMemberReader.AddParameter(ref reader, name, ref parameters, ref fieldError);
                        }
                        else
                        {
                            // ot, ec, tkns…: carried but not acted on, as over HTTP.
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
            : new MqttRequest(string.IsNullOrEmpty(groupRequestIdentifier) ? request : request with { GroupRequestIdentifier = groupRequestIdentifier },
                address, null, requestIdentifier, releaseVersion, from, noResponse)
            {
                Timing = new TimingParameters(requestExpiration, resultExpiration, executionTime, responseType, responseTargets, originatingTimestamp),
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
                            requestIdentifier = PrimitiveMemberReader.Scalar(ref reader, "rqi", ref ignored);
                            break;
                        case 2:
                            releaseVersion = PrimitiveMemberReader.Scalar(ref reader, "rvi", ref ignored);
                            break;
                        case 3:
                            from = PrimitiveMemberReader.Text(ref reader, "fr", ref ignored);
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

    private static MqttRequest Fail(OneM2MError error, string? requestIdentifier, string? releaseVersion, string? from) =>
        new(null, default, error, string.IsNullOrEmpty(requestIdentifier) ? null : requestIdentifier, releaseVersion, from, false);
}
