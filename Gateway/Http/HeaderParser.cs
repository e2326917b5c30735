using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Http;

/// <summary>The media type and <c>ty</c> parameter of a request's <c>Content-Type</c>.</summary>
/// <param name="IsPresent">False when the request has no <c>Content-Type</c>.</param>
/// <param name="ResourceType">The <c>ty</c> parameter, or null.</param>
/// <param name="Serialization">The body's serialization (JSON when there is no <c>Content-Type</c>).</param>
public readonly record struct ContentTypeInfo(bool IsPresent, ResourceType? ResourceType, ContentSerialization Serialization = ContentSerialization.Json);

/// <summary>Pure parsers of the oneM2M HTTP request headers (TS-0009 6.4) and of the method.</summary>
public static class HeaderParser
{
    /// <summary>
    /// From (<c>X-M2M-Origin</c>), normalised: this CSE's SP-relative or absolute prefix is removed from an AE-ID
    /// (<c>/id-in/Cmyapp</c> and <c>//sp/id-in/Cmyapp</c> become <c>Cmyapp</c>); empty when absent.
    /// </summary>
    public static string NormalizeOriginator(string? value, CseIdentity cse) => PrimitiveRules.NormalizeOriginator(value, cse);

    /// <summary>Request identifier (<c>X-M2M-RI</c>): mandatory, 4000 when absent or empty.</summary>
    public static ParseResult<string> ParseRequestIdentifier(string? value) =>
        string.IsNullOrEmpty(value)
            ? ParseResult<string>.BadRequest("X-M2M-RI (request identifier) is missing")
            : value;

    /// <summary>
    /// Release version indicator (<c>X-M2M-RVI</c>): absent or empty is accepted (answered as release 3, see
    /// docs/protocol.md §0); <c>2a</c>, <c>3</c>, <c>4</c> are supported; anything else is 4001.
    /// </summary>
    public static ParseResult<string?> ParseReleaseVersion(string? value) => PrimitiveRules.ParseReleaseVersion(value);

    /// <summary>
    /// <c>Content-Type</c>: a JSON, CBOR or XML media type (<see cref="SerializationFormats.TryFromMediaType"/>:
    /// <c>application/json</c>, <c>application/vnd.onem2m-res+cbor</c> …), with an optional <c>ty</c> parameter
    /// (<c>;ty=3</c> or <c>; ty=3</c>). Another media type is 4015; a <c>ty</c> that is not a number of a known
    /// resource type is 4000.
    /// </summary>
    public static ParseResult<ContentTypeInfo> ParseContentType(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return new ContentTypeInfo(false, null);
        }

        var rest = value.AsSpan();
        var semicolon = rest.IndexOf(';');
        var mediaType = (semicolon < 0 ? rest : rest[..semicolon]).Trim();
        if (!SerializationFormats.TryFromMediaType(mediaType, out var serialization))
        {
            return new OneM2MError(ResponseStatusCode.UnsupportedMediaType,
                $"content type '{mediaType}' is not supported; use application/json, application/cbor or application/xml");
        }

        ResourceType? resourceType = null;
        while (semicolon >= 0)
        {
            rest = rest[(semicolon + 1)..];
            semicolon = rest.IndexOf(';');
            var parameter = (semicolon < 0 ? rest : rest[..semicolon]).Trim();
            var equals = parameter.IndexOf('=');
            if (equals < 0)
            {
                continue;
            }

            var name = parameter[..equals].Trim();
            if (!name.Equals("ty", StringComparison.OrdinalIgnoreCase))
            {
                continue; // charset and others carry nothing for JSON.
            }

            var number = parameter[(equals + 1)..].Trim();
            if (resourceType is not null)
            {
                return ParseResult<ContentTypeInfo>.BadRequest("Content-Type has more than one ty parameter");
            }

            if (!WireEnum.TryParse<ResourceType>(number, out var ty))
            {
                return ParseResult<ContentTypeInfo>.BadRequest($"unknown resource type ty={number}");
            }

            resourceType = ty;
        }

        return new ContentTypeInfo(true, resourceType, serialization);
    }

    /// <summary>
    /// True when the <c>Accept</c> header is absent or admits a supported serialization (JSON, CBOR, XML,
    /// <c>application/*</c> or <c>*/*</c>); otherwise the request gets 5207.
    /// </summary>
    public static bool IsAcceptable(StringValues accept) => SerializationFormats.TryNegotiate(accept, ContentSerialization.Json, out _, out _);

    /// <summary>
    /// The operation from the HTTP method and the <c>ty</c> of <c>Content-Type</c> (TS-0009 6.2): POST with
    /// <c>ty</c> is Create, POST without it Notify; <c>ty</c> on another method is 4000; an unmapped method is 4005.
    /// </summary>
    public static ParseResult<Operation> ParseOperation(string method, ResourceType? resourceType)
    {
        Operation operation;
        if (HttpMethods.IsGet(method))
        {
            operation = Operation.Retrieve;
        }
        else if (HttpMethods.IsPost(method))
        {
            return resourceType is null ? Operation.Notify : Operation.Create;
        }
        else if (HttpMethods.IsPut(method))
        {
            operation = Operation.Update;
        }
        else if (HttpMethods.IsDelete(method))
        {
            operation = Operation.Delete;
        }
        else
        {
            return OneM2MError.NotAllowed($"HTTP method {method} is not part of the oneM2M binding");
        }

        return resourceType is null
            ? operation
            : ParseResult<Operation>.BadRequest("ty in Content-Type is only allowed on a create (POST)");
    }

}
