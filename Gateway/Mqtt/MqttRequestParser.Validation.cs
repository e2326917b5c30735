using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Json;
using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Gateway.Mqtt;

// The primitive's members, read, checked in the order the class summary gives and turned into a ResourceRequest.
public static partial class MqttRequestParser
{
    private static OneM2MError? Validate<TReader>(MqttTopic? topic, CseIdentity cse, string? op, string? to, string? from, string requestIdentifier, string? type,
        string? releaseVersion, OneM2MError? fieldError, List<KeyValuePair<string, StringValues>>? parameters,
        bool hasContent, ParsedContent? contentRead, ref TReader content, out ResourceRequest request, out ParsedAddress address)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
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

        if (!WireEnum.TryParse<Operation>(op, out var operation))
        {
            return OneM2MError.BadRequest($"invalid op '{op}' (1 create, 2 retrieve, 3 update, 4 delete, 5 notify)");
        }

        ResourceType? resourceType = null;
        if (type is not null)
        {
            if (!WireEnum.TryParse<ResourceType>(type, out var ty))
            {
                return OneM2MError.BadRequest($"unknown resource type ty={type}");
            }

            if (operation != Operation.Create)
            {
                return OneM2MError.BadRequest("ty is only allowed on a create (op 1)");
            }

            resourceType = ty;
        }
        else if (operation == Operation.Create)
        {
            return OneM2MError.BadRequest("ty is missing; a create (op 1) names the type of the resource to create");
        }

        if (topic?.Kind == MqttTopicKind.Registration && !(operation == Operation.Create && resourceType is ResourceType.AE or ResourceType.RemoteCSE))
        {
            // As ACME: the registration topic carries AE and remote CSE registrations only.
            return OneM2MError.BadRequest("a reg_req topic carries only registrations (op 1, ty 2 or 16)");
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

            // contentRead: pc already read where it stood (a representation, op known before it).
            var parsedContent = contentRead is { } read ? read : content.ReadContent();
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
            if (PrimitiveMemberReader.ReadAttributeList(ref content, out var listed) is { } listError)
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
        // AE-ID (fr empty, C or S) and the reg_req topic (whose segment is a credential) are exempt, and so is a
        // request another CSE relays (Mcc): the topic names that CSE, the sender of the hop, and fr the originator,
        // an entity of another CSE (SP-relative or absolute), never one of this CSE's own.
        if (topic is { Kind: MqttTopicKind.Request } named && !(registers && PrimitiveRules.AsksForAssignedAeId(originator))
            && !PrimitiveRules.IsRelayed(originator, cse)
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

}
