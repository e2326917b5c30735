using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Http;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Gateway.Coap.CoapOptionNumbers;

namespace VirtualIoT.Gateway.Coap;

/// <summary>A CoAP request turned into the pipeline's request primitive, with how to answer it.</summary>
/// <param name="Primitive">The request (or the error to answer), its echoes and timing parameters.</param>
/// <param name="Serialization">The serialization of the answer's payload.</param>
/// <param name="ContentFormat">The Content-Format number the answer carries.</param>
/// <param name="Legacy">True when the request numbered the oneM2M options as before TS-0008 V3.7.0: the answer does too.</param>
public readonly record struct CoapRequest(MqttRequest Primitive, ContentSerialization Serialization, ushort ContentFormat, bool Legacy)
{
    /// <summary>
    /// True when the request carried oneM2M-RVI, which every client of Release 2A and later sends: the answer then
    /// carries the oneM2M options (oneM2M-RSC, -RQI, -OT …). TS-0008 V3.7.0 made them critical, so a client that
    /// does not know them must reject the whole response (RFC 7252 5.4.1); a request without oneM2M-RVI (a Release 1
    /// device, or a generic CoAP tool such as libcoap's coap-client) is answered without them: the CoAP code and the
    /// payload (<c>m2m:dbg</c> for an error) carry the outcome.
    /// </summary>
    public bool WithOneM2MOptions => !string.IsNullOrEmpty(Primitive.ReleaseVersion);

    /// <summary>The operation, when parsing got that far.</summary>
    public Operation? Operation { get; init; }
}

/// <summary>
/// Maps a CoAP request of the oneM2M binding (TS-0008 6.2) to a <see cref="ResourceRequest"/>: the method to the
/// operation (POST with oneM2M-TY is a create, without it a notify; <c>op</c> in Uri-Query for non-blocking requests),
/// Uri-Path to the target as the HTTP binding maps its path (<c>~</c> SP-relative, <c>_</c> absolute), Uri-Query to the
/// request parameters as the HTTP query (<see cref="QueryParser"/>), the oneM2M options to From, request identifier,
/// release version, timing and group request parameters, Content-Format and Accept to the serializations. Checks run
/// in the HTTP binding's order, the first failure answering: request identifier (4000), release version (4001),
/// Accept (5207), Content-Format (4015), oneM2M-TY (4000), method (4005), address, query, payload, From.
/// </summary>
public static class CoapRequestParser
{
    /// <summary>Parses <paramref name="message"/> (its payload already reassembled from Block1 blocks) sent from <paramref name="remoteAddress"/>.</summary>
    public static CoapRequest Parse(CoapMessage message, string? remoteAddress, CseIdentity cse)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(cse);

        string? from = null, requestIdentifier = null, releaseVersion = null, vendorInformation = null, requestExpiration = null;
        string? originatingTimestamp = null;
        string? resultExpiration = null, executionTime = null, responseTargets = null, groupRequestIdentifier = null;
        uint? contentFormat = null, accept = null, resourceType = null;
        var legacy = false;
        var path = new StringBuilder();
        List<KeyValuePair<string, string>>? query = null;
        foreach (var option in message.Options)
        {
            switch (option.Number)
            {
                case UriPath:
                    path.Append('/').Append(option.AsString());
                    break;
                case UriQuery:
                    var text = option.AsString();
                    var equals = text.IndexOf('=', StringComparison.Ordinal);
                    (query ??= []).Add(equals < 0 ? new(text, "") : new(text[..equals], text[(equals + 1)..]));
                    break;
                case ContentFormat:
                    contentFormat = option.TryGetUInt(out var format) ? format : uint.MaxValue;
                    break;
                case Accept:
                    accept = option.TryGetUInt(out var accepted) ? accepted : uint.MaxValue;
                    break;
                case TypeOfResource:
                    resourceType = option.TryGetUInt(out var type) ? type : uint.MaxValue;
                    break;
                case From or LegacyFrom:
                    from = option.AsString();
                    legacy |= option.Number == LegacyFrom;
                    break;
                case RequestIdentifier or LegacyRequestIdentifier:
                    requestIdentifier = option.AsString();
                    legacy |= option.Number == LegacyRequestIdentifier;
                    break;
                case ReleaseVersion:
                    releaseVersion = option.AsString();
                    break;
                case VendorInformation:
                    vendorInformation = option.AsString();
                    break;
                case RequestExpiration or LegacyRequestExpiration:
                    requestExpiration = option.AsString();
                    break;
                case OriginatingTimestamp:
                    originatingTimestamp = option.AsString();
                    break;
                case ResultExpiration or LegacyResultExpiration:
                    resultExpiration = option.AsString();
                    break;
                case OperationExecutionTime or LegacyOperationExecutionTime:
                    executionTime = option.AsString();
                    break;
                case ResponseTypeUri:
                    responseTargets = option.AsString();
                    break;
                case GroupRequestIdentifier or LegacyGroupRequestIdentifier:
                    groupRequestIdentifier = option.AsString();
                    break;
            }
        }

        // The answer's serialization: Accept when it names a supported one, else the request's own, else JSON.
        var own = contentFormat is { } ownFormat && SerializationFormats.TryFromCoapFormat(ownFormat, out var ownSerialization)
            ? ownSerialization : ContentSerialization.Json;
        var answerSerialization = own;
        var answerFormat = SerializationFormats.CoapFormat(own);
        var acceptable = true;
        if (accept is { } acceptFormat)
        {
            acceptable = SerializationFormats.TryFromCoapFormat(acceptFormat, out answerSerialization);
            answerFormat = acceptable ? (ushort)acceptFormat : SerializationFormats.CoapFormat(own);
            answerSerialization = acceptable ? answerSerialization : own;
        }

        CoapRequest Fail(OneM2MError error, Operation? operation = null) =>
            new(new MqttRequest(null, default, error, requestIdentifier, releaseVersion, from, false) { VendorInformation = vendorInformation },
                answerSerialization, answerFormat, legacy) { Operation = operation };

        var identifier = HeaderParser.ParseRequestIdentifier(requestIdentifier);
        if (!identifier.IsSuccess)
        {
            return Fail(OneM2MError.BadRequest("oneM2M-RQI (request identifier, option 283) is missing"));
        }

        var release = PrimitiveRules.ParseReleaseVersion(releaseVersion);
        if (!release.IsSuccess)
        {
            return Fail(release.Error);
        }

        if (!acceptable)
        {
            return Fail(new OneM2MError(ResponseStatusCode.NotAcceptable,
                $"Accept {accept} names no supported content format; use 50 (JSON), 60 (CBOR), 41 (XML) or a oneM2M format of TS-0008"));
        }

        var serialization = ContentSerialization.Json;
        if (contentFormat is { } requestFormat && !SerializationFormats.TryFromCoapFormat(requestFormat, out serialization))
        {
            return Fail(new OneM2MError(ResponseStatusCode.UnsupportedMediaType,
                $"Content-Format {requestFormat} is not supported; use 50 (JSON), 60 (CBOR), 41 (XML) or a oneM2M format of TS-0008"));
        }

        ResourceType? ty = null;
        if (resourceType is { } typeNumber)
        {
            if (!WireEnum.TryParse<ResourceType>(typeNumber.ToString(CultureInfo.InvariantCulture), out var known))
            {
                return Fail(OneM2MError.BadRequest($"unknown resource type oneM2M-TY={typeNumber}"));
            }

            ty = known;
        }

        var operation = ParseOperation(message.Code, ty, ref query);
        if (!operation.IsSuccess)
        {
            return Fail(operation.Error);
        }

        var op = operation.Value;
        var address = AddressParser.Parse(path.Length == 0 ? "/" : path.ToString(), cse);
        if (!address.IsSuccess)
        {
            return Fail(address.Error, op);
        }

        var parameters = RequestParameters.Empty;
        string? responseType = null;
        if (query is not null)
        {
            var parsedQuery = QueryParser.Parse(Grouped(query, out responseType), op);
            if (!parsedQuery.IsSuccess)
            {
                return Fail(parsedQuery.Error, op);
            }

            parameters = parsedQuery.Value!;
            if (PrimitiveRules.CheckAttributeList(op, parameters.ResultContent, parameters.Filter, parameters.AttributeList) is { } partialError)
            {
                return Fail(partialError, op);
            }
        }

        string? contentRoot = null;
        Dictionary<string, object?>? content = null;
        if (op is Operation.Create or Operation.Update or Operation.Notify)
        {
            if (contentFormat is null)
            {
                return Fail(new OneM2MError(ResponseStatusCode.UnsupportedMediaType,
                    "Content-Format is missing; use 50 (JSON), 60 (CBOR) or 41 (XML)"), op);
            }

            if (message.Payload.IsEmpty)
            {
                return Fail(OneM2MError.BadRequest("the request payload is empty"), op);
            }

            var parsedContent = Representation.ParseContent(serialization, new ReadOnlySequence<byte>(message.Payload));
            if (!parsedContent.IsSuccess)
            {
                return Fail(parsedContent.Error, op);
            }

            (contentRoot, content) = parsedContent.Value;
            if (PrimitiveRules.CheckContentRoot(ty, contentRoot) is { } rootError)
            {
                return Fail(rootError, op);
            }
        }

        var originator = PrimitiveRules.NormalizeOriginator(from, cse);
        if (originator.Length == 0 && !PrimitiveRules.OriginatorMayBeEmpty(op, ty))
        {
            return Fail(OneM2MError.BadRequest("oneM2M-FR (From, option 279) is missing"), op);
        }

        var request = new ResourceRequest
        {
            Binding = RequestOrigins.CoapBinding,
            Operation = op,
            Originator = originator,
            RequestIdentifier = identifier.Value!,
            ReleaseVersion = release.Value,
            ResourceType = ty,
            ContentRoot = contentRoot,
            Content = content,
            ResultContent = parameters.ResultContent,
            IdentifierForm = parameters.IdentifierForm,
            Filter = parameters.Filter,
            AttributeList = parameters.AttributeList,
            OriginatorAddress = remoteAddress,
            GroupRequestIdentifier = string.IsNullOrEmpty(groupRequestIdentifier) ? null : groupRequestIdentifier,
        };
        var timing = new TimingParameters(requestExpiration, resultExpiration, executionTime, responseType,
            responseTargets?.Split('&', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), originatingTimestamp);
        var primitive = new MqttRequest(request, address.Value, null, identifier.Value, releaseVersion, from, false)
        {
            Timing = timing,
            VendorInformation = vendorInformation,
        };
        return new CoapRequest(primitive, answerSerialization, answerFormat, legacy) { Operation = op };
    }

    /// <summary>
    /// The operation of a request (TS-0008 table 6.2.1-1): GET retrieve, PUT update, DELETE delete, POST create with a
    /// resource type and notify without; a POST may name any operation in Uri-Query <c>op</c> (non-blocking and flex
    /// blocking requests, TS-0008 6.2.1), which is then taken out of the query. Other methods are 4005.
    /// </summary>
    private static ParseResult<Operation> ParseOperation(byte code, ResourceType? resourceType, ref List<KeyValuePair<string, string>>? query)
    {
        string? op = null;
        if (query is not null)
        {
            var index = query.FindIndex(static p => p.Key == "op");
            if (index >= 0)
            {
                op = query[index].Value;
                query.RemoveAt(index);
            }
        }

        Operation operation;
        switch (code)
        {
            case 1:
                operation = Operation.Retrieve;
                break;
            case 2 when op is not null:
                if (!WireEnum.TryParse<Operation>(op, out operation))
                {
                    return ParseResult<Operation>.BadRequest($"invalid op '{op}' (1 to 5)");
                }

                return resourceType is not null && operation != Operation.Create
                    ? ParseResult<Operation>.BadRequest("oneM2M-TY is only allowed on a create")
                    : resourceType is null && operation == Operation.Create
                        ? ParseResult<Operation>.BadRequest("a create (op=1) needs oneM2M-TY")
                        : operation;
            case 2:
                return resourceType is null ? Operation.Notify : Operation.Create;
            case 3:
                operation = Operation.Update;
                break;
            case 4:
                operation = Operation.Delete;
                break;
            default:
                return OneM2MError.NotAllowed($"CoAP method {CoapMessage.FormatCode(code)} is not part of the oneM2M binding");
        }

        if (op is not null)
        {
            return ParseResult<Operation>.BadRequest("op in Uri-Query is only allowed on a POST");
        }

        return resourceType is null ? operation : ParseResult<Operation>.BadRequest("oneM2M-TY is only allowed on a create (POST)");
    }

    // Uri-Query fields grouped by name, as ASP.NET Core gives a query (repeated names merged); rt taken aside for the timing.
    private static List<KeyValuePair<string, StringValues>> Grouped(List<KeyValuePair<string, string>> query, out string? responseType)
    {
        responseType = null;
        var grouped = new List<KeyValuePair<string, StringValues>>(query.Count);
        foreach (var (name, value) in query)
        {
            if (name == "rt")
            {
                responseType ??= value;
            }

            var index = grouped.FindIndex(p => p.Key == name);
            if (index < 0)
            {
                grouped.Add(new(name, value));
            }
            else
            {
                grouped[index] = new(name, StringValues.Concat(grouped[index].Value, value));
            }
        }

        return grouped;
    }
}
