using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Json;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Mqtt;


/// <summary>
/// Reads a request primitive (TS-0010 6.4, TS-0004 8.3) from an MQTT payload or a WebSocket message, in place: a JSON
/// one with <see cref="Utf8JsonReader"/>, a CBOR one with <see cref="System.Formats.Cbor.CborReader"/>, both through
/// one member mapping (<see cref="Read"/>). The parameters are checked by the rules the HTTP binding applies to the same
/// parameters (<see cref="PrimitiveRules"/>; <c>rcn</c>, <c>drt</c>, <c>rt</c>, <c>atrl</c> and the filter criteria
/// <c>fc</c>, flattened to name and values, by <see cref="RequestParameterParser"/>; <c>pc</c> by
/// <see cref="ContentParser"/> or <see cref="CborContent"/>), so the bindings and serializations accept and refuse alike.
/// Order of checks, the first failure answering: JSON or CBOR (4000), <c>rqi</c> (4000, dropped), value types (4000),
/// <c>rvi</c> (4001), <c>op</c> and <c>ty</c> (4000), <c>to</c> (4000, 4004), parameters (4000, 5001), <c>pc</c>
/// (4000), <c>fr</c> (4000, also when it differs from the topic's originator).
/// </summary>
public static partial class MqttRequestParser
{
    /// <summary>
    /// Parses a JSON <paramref name="payload"/> received on <paramref name="topic"/> (a <see cref="MqttTopicKind.Request"/>
    /// or <see cref="MqttTopicKind.Registration"/> topic).
    /// </summary>
    public static MqttRequest Parse(in ReadOnlySequence<byte> payload, MqttTopic topic, CseIdentity cse) =>
        Parse(payload, topic, cse, ContentSerialization.Json);

    /// <summary>
    /// Parses a request primitive in <paramref name="serialization"/>. JSON and CBOR are read in place; an XML primitive
    /// is read into the neutral tree and handed on as JSON (<see cref="Representation.PrimitiveAsJson"/>).
    /// <paramref name="topic"/> is null for a binding without topics (WebSocket): no originator is named besides
    /// <c>fr</c>, and there is no registration topic. An unreadable XML primitive has no <c>rqi</c> and so cannot be
    /// answered.
    /// </summary>
    public static MqttRequest Parse(in ReadOnlySequence<byte> payload, MqttTopic? topic, CseIdentity cse, ContentSerialization serialization)
    {
        ArgumentNullException.ThrowIfNull(cse);
        switch (serialization)
        {
            case ContentSerialization.Json:
                return ReadJson(payload, topic, cse, contentInPlace: true) ?? ReadJson(payload, topic, cse, contentInPlace: false)!.Value;
            case ContentSerialization.Cbor:
                return ReadCbor(payload, topic, cse, contentInPlace: true) ?? ReadCbor(payload, topic, cse, contentInPlace: false)!.Value;
            default:
                var transcoded = Representation.PrimitiveAsJson(serialization, payload);
                if (!transcoded.IsSuccess)
                {
                    return Fail(transcoded.Error, null, null, null);
                }

                var json = new ReadOnlySequence<byte>(transcoded.Value!);
                return ReadJson(json, topic, cse, contentInPlace: true) ?? ReadJson(json, topic, cse, contentInPlace: false)!.Value;
        }
    }

    // A pc read where it stands (op known before it, the usual order) is walked once; one refused there is read again
    // the way any other order reads it: the primitive once more, pc marked and read after the checks that precede it,
    // so that which refusal answers does not depend on the order of the members. Null: read again.
    private static MqttRequest? ReadJson(in ReadOnlySequence<byte> payload, MqttTopic? topic, CseIdentity cse, bool contentInPlace)
    {
        var reader = new JsonPrimitiveReader(payload);
        return Read(ref reader, topic, cse, contentInPlace);
    }

    private static MqttRequest? ReadCbor(in ReadOnlySequence<byte> payload, MqttTopic? topic, CseIdentity cse, bool contentInPlace)
    {
        var reader = new CborPrimitiveReader(payload);
        try
        {
            return Read(ref reader, topic, cse, contentInPlace);
        }
        finally
        {
            reader.Release();
        }
    }

    // The one mapping of a primitive's members, whatever the serialization.
    private static MqttRequest? Read<TReader>(ref TReader reader, MqttTopic? topic, CseIdentity cse, bool contentInPlace)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
    {
        TReader content = default!;
        try
        {
            return ReadMembers(ref reader, ref content, topic, cse, contentInPlace);
        }
        finally
        {
            content.Release();
        }
    }

    // content: the mark of pc, once found.
    private static MqttRequest? ReadMembers<TReader>(ref TReader reader, ref TReader content, MqttTopic? topic, CseIdentity cse, bool contentInPlace)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
    {
        string? op = null, to = null, from = null, requestIdentifier = null, releaseVersion = null, type = null;
        string? requestExpiration = null, resultExpiration = null, executionTime = null, responseType = null, vendorInformation = null;
        string? originatingTimestamp = null;
        string? groupRequestIdentifier = null;
        List<string>? responseTargets = null;
        var hasContent = false;
        ParsedContent? contentRead = null;
        var noResponse = false;
        OneM2MError? fieldError = null;
        List<KeyValuePair<string, StringValues>>? parameters = null;
        var seen = 0;

        try
        {
            if (!reader.Start() || reader.Peek() != PrimitiveValueKind.Object)
            {
                return Fail(OneM2MError.BadRequest(TReader.NotAnObject), null, null, null);
            }

            reader.EnterObject();
            while (reader.NextMember(out var name))
            {
                // IndexOf gives -1 for a name not checked for duplicates, and 1 << -1 is negative.
                var bit = 1 << PrimitiveNames.IndexOf(name);
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
                        // Read here when op says it is a representation, else marked and read once op and ty are known.
                        hasContent = reader.Peek() != PrimitiveValueKind.Null;
                        if (contentInPlace && hasContent && CarriesRepresentation(op))
                        {
                            var read = reader.ReadContent();
                            if (!read.IsSuccess)
                            {
                                return null;
                            }

                            contentRead = read.Value;
                        }
                        else
                        {
                            content = reader.Mark();
                            reader.Skip();
                        }

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
                            // ec, tkns…: carried but not acted on, as over HTTP.
                            reader.Skip();
                        }

                        break;
                }
            }

            if (!reader.AtEnd())
            {
                return Fail(OneM2MError.BadRequest("unexpected data after the request primitive"), requestIdentifier, releaseVersion, from);
            }
        }
        catch (Exception exception) when (TReader.IsMalformed(exception, out var message))
        {
            return Fail(OneM2MError.BadRequest(message), requestIdentifier, releaseVersion, from);
        }

        if (string.IsNullOrEmpty(requestIdentifier))
        {
            return Fail(OneM2MError.BadRequest("rqi (request identifier) is missing"), null, releaseVersion, from);
        }

        var error = Validate(topic, cse, op, to, from, requestIdentifier, type, releaseVersion, fieldError, parameters, hasContent,
            contentRead, ref content, out var request, out var address);
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
        var reader = new JsonPrimitiveReader(payload);
        try
        {
            if (reader.Start() && reader.Peek() == PrimitiveValueKind.Object)
            {
                OneM2MError? ignored = null;
                reader.EnterObject();
                while ((requestIdentifier is null || releaseVersion is null || from is null) && reader.NextMember(out var name))
                {
                    switch (name)
                    {
                        case "rqi":
                            requestIdentifier = PrimitiveMemberReader.Scalar(ref reader, name, ref ignored);
                            break;
                        case "rvi":
                            releaseVersion = PrimitiveMemberReader.Scalar(ref reader, name, ref ignored);
                            break;
                        case "fr":
                            from = PrimitiveMemberReader.Text(ref reader, name, ref ignored);
                            break;
                        default:
                            reader.Skip();
                            break;
                    }
                }
            }
        }
        catch (Exception exception) when (JsonPrimitiveReader.IsMalformed(exception, out _))
        {
            // What was found before the malformed part is used.
        }

        return Fail(error, string.IsNullOrEmpty(requestIdentifier) ? null : requestIdentifier, releaseVersion, from);
    }

    // A create, update or notify: pc is a resource representation (a retrieve's or delete's is an attribute list).
    private static bool CarriesRepresentation(string? op) =>
        WireEnum.TryParse<Operation>(op, out var operation) && operation is Operation.Create or Operation.Update or Operation.Notify;

    private static MqttRequest Fail(OneM2MError error, string? requestIdentifier, string? releaseVersion, string? from) =>
        new(null, default, error, string.IsNullOrEmpty(requestIdentifier) ? null : requestIdentifier, releaseVersion, from, false);
}
