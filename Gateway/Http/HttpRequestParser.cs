using System.Buffers;
using Microsoft.AspNetCore.Http;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Json;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Http;

/// <summary>An HTTP request turned into a oneM2M request primitive and the address it targets.</summary>
/// <param name="Request">The request, without <see cref="ResourceRequest.SubTarget"/> (known only once the address is resolved).</param>
/// <param name="Address">The parsed target address.</param>
public readonly record struct ParsedHttpRequest(ResourceRequest Request, ParsedAddress Address)
{
    /// <summary>True for a discovery (<c>fu=1</c>).</summary>
    public bool IsDiscovery => Request.Filter?.Usage == FilterUsage.Discovery;
}

/// <summary>
/// Maps an HTTP request of the oneM2M binding (TS-0009) to a <see cref="ResourceRequest"/>. Pure: the body is
/// passed in already read, so tests can drive it with a <c>DefaultHttpContext</c>. Checks run in this order, the
/// first failure answering: X-M2M-RI (4000), X-M2M-RVI (4001), Accept (5207), Content-Type (4015, bad ty 4000),
/// method (4005, ty outside POST 4000), address (4004), query (4000, 5001), body (4000), From (4000).
/// </summary>
public static class HttpRequestParser
{
    /// <summary>True for the methods whose body is read (POST, PUT).</summary>
    public static bool HasBody(string method) => HttpMethods.IsPost(method) || HttpMethods.IsPut(method);

    /// <summary>Parses <paramref name="request"/> with its body <paramref name="body"/> (empty for GET and DELETE).</summary>
    public static ParseResult<ParsedHttpRequest> Parse(HttpRequest request, in ReadOnlySequence<byte> body, CseIdentity cse)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Parse(request, body, cse, new OneM2MEcho(request.Headers));
    }

    /// <summary>Parses <paramref name="request"/> whose X-M2M-RI and X-M2M-RVI the caller has read already (<paramref name="echo"/>).</summary>
    internal static ParseResult<ParsedHttpRequest> Parse(HttpRequest request, in ReadOnlySequence<byte> body, CseIdentity cse, in OneM2MEcho echo)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cse);
        var headers = request.Headers;

        var requestIdentifier = HeaderParser.ParseRequestIdentifier(echo.RequestIdentifier);
        if (!requestIdentifier.IsSuccess)
        {
            return requestIdentifier.Error;
        }

        var releaseVersion = HeaderParser.ParseReleaseVersion(echo.ReleaseVersion);
        if (!releaseVersion.IsSuccess)
        {
            return releaseVersion.Error;
        }

        if (!HeaderParser.IsAcceptable(headers.Accept))
        {
            return new OneM2MError(ResponseStatusCode.NotAcceptable,
                "Accept admits no supported serialization; use application/json, application/cbor or application/xml");
        }

        var method = request.Method;
        var hasBody = HasBody(method);
        var contentType = HeaderParser.ParseContentType(request.ContentType);
        if (!contentType.IsSuccess)
        {
            // A body-less request's media type is irrelevant, but its ty still is (ty outside a create is 4000).
            if (hasBody || contentType.Error.Code != ResponseStatusCode.UnsupportedMediaType)
            {
                return contentType.Error;
            }

            contentType = new ContentTypeInfo(true, null);
        }

        var operation = HeaderParser.ParseOperation(method, contentType.Value.ResourceType);
        if (!operation.IsSuccess)
        {
            return operation.Error;
        }

        var address = AddressParser.Parse(request.Path.Value ?? "/", cse);
        if (!address.IsSuccess)
        {
            return address.Error;
        }

        var query = RequestParameters.Empty;
        if (request.QueryString.HasValue)
        {
            var parsedQuery = QueryParser.Parse(request.Query, operation.Value);
            if (!parsedQuery.IsSuccess)
            {
                return parsedQuery.Error;
            }

            query = parsedQuery.Value!;
            if (PrimitiveRules.CheckAttributeList(operation.Value, query.ResultContent, query.Filter, query.AttributeList) is { } partialError)
            {
                return partialError;
            }
        }

        string? contentRoot = null;
        Dictionary<string, object?>? content = null;
        if (hasBody)
        {
            if (!contentType.Value.IsPresent)
            {
                return new OneM2MError(ResponseStatusCode.UnsupportedMediaType, "Content-Type is missing; use application/json, application/cbor or application/xml");
            }

            if (body.IsEmpty)
            {
                return ParseResult<ParsedHttpRequest>.BadRequest("the request body is empty");
            }

            var parsedContent = Representation.ParseContent(contentType.Value.Serialization, body);
            if (!parsedContent.IsSuccess)
            {
                return parsedContent.Error;
            }

            (contentRoot, content) = parsedContent.Value;
            if (PrimitiveRules.CheckContentRoot(contentType.Value.ResourceType, contentRoot) is { } rootError)
            {
                return rootError;
            }
        }

        // From is mandatory except when an AE registers (TS-0004 7.4.5.2.1: the CSE then assigns the AE-ID).
        var originator = HeaderParser.NormalizeOriginator(headers[OneM2MHeaders.Origin].ToString(), cse);
        if (originator.Length == 0 && !PrimitiveRules.OriginatorMayBeEmpty(operation.Value, contentType.Value.ResourceType))
        {
            return ParseResult<ParsedHttpRequest>.BadRequest("X-M2M-Origin is missing");
        }

        var resourceRequest = new ResourceRequest
        {
            Binding = RequestOrigins.HttpBinding,
            Operation = operation.Value,
            Originator = originator,
            RequestIdentifier = requestIdentifier.Value!,
            ReleaseVersion = releaseVersion.Value,
            ResourceType = contentType.Value.ResourceType,
            ContentRoot = contentRoot,
            Content = content,
            ResultContent = query.ResultContent,
            IdentifierForm = query.IdentifierForm,
            Filter = query.Filter,
            AttributeList = query.AttributeList,
            OriginatorAddress = request.HttpContext.Connection.RemoteIpAddress?.ToString(),
            GroupRequestIdentifier = headers[OneM2MHeaders.GroupRequestIdentifier] is { Count: > 0 } gid && gid.ToString() is { Length: > 0 } text ? text : null,
        };
        return new ParsedHttpRequest(resourceRequest, address.Value);
    }
}

/// <summary>The headers a response echoes (X-M2M-RI, X-M2M-RVI, X-M2M-VSI), read once per request: by the handler for the echo, and by the parser.</summary>
internal readonly struct OneM2MEcho(IHeaderDictionary headers)
{
    /// <summary>X-M2M-RI as sent (empty when absent).</summary>
    public string RequestIdentifier { get; } = headers[OneM2MHeaders.RequestIdentifier].ToString();

    /// <summary>X-M2M-RVI as sent (empty when absent).</summary>
    public string ReleaseVersion { get; } = headers[OneM2MHeaders.ReleaseVersion].ToString();

    /// <summary>X-M2M-VSI as sent (empty when absent).</summary>
    public string VendorInformation { get; } = headers[OneM2MHeaders.VendorInformation].ToString();
}
