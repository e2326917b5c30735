using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace VirtualIoT.Gateway.Serialization;

/// <summary>
/// How each binding names a serialization: media types (HTTP <c>Content-Type</c>/<c>Accept</c>, TS-0004 6.7),
/// short names (MQTT topic suffix, WebSocket subprotocol, <c>?ct=</c> of a notification URI, an AE's <c>csz</c>) and
/// CoAP content-format numbers (TS-0008 6.2.2.2).
/// </summary>
public static class SerializationFormats
{
    /// <summary>The JSON media type answered by default.</summary>
    public const string JsonMediaType = "application/json";

    /// <summary>The CBOR media type (RFC 8949).</summary>
    public const string CborMediaType = "application/cbor";

    /// <summary>The XML media type.</summary>
    public const string XmlMediaType = "application/xml";

    /// <summary>The plain media type of <paramref name="serialization"/>.</summary>
    public static string MediaType(ContentSerialization serialization) => serialization switch
    {
        ContentSerialization.Cbor => CborMediaType,
        ContentSerialization.Xml => XmlMediaType,
        _ => JsonMediaType,
    };

    /// <summary>The short name (<c>json</c>, <c>cbor</c>, <c>xml</c>): MQTT suffix, subprotocol suffix, <c>ct=</c> value.</summary>
    public static string Name(ContentSerialization serialization) => serialization switch
    {
        ContentSerialization.Cbor => "cbor",
        ContentSerialization.Xml => "xml",
        _ => "json",
    };

    /// <summary>
    /// The serialization of a media type (parameters already removed): <c>application/json|cbor|xml</c>,
    /// <c>text/xml</c>, and the oneM2M types <c>application/vnd.onem2m-{res,ntfy,preq,prsp}+{json,cbor,xml}</c>.
    /// </summary>
    public static bool TryFromMediaType(ReadOnlySpan<char> mediaType, out ContentSerialization serialization)
    {
        serialization = ContentSerialization.Json;
        mediaType = mediaType.Trim();
        const string vendor = "application/vnd.onem2m-";
        ReadOnlySpan<char> suffix;
        if (mediaType.StartsWith(vendor, StringComparison.OrdinalIgnoreCase))
        {
            var plus = mediaType.IndexOf('+');
            if (plus < 0 || !IsOneM2MKind(mediaType[vendor.Length..plus]))
            {
                return false;
            }

            suffix = mediaType[(plus + 1)..];
        }
        else if (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase))
        {
            suffix = mediaType["application/".Length..];
        }
        else if (mediaType.Equals("text/xml", StringComparison.OrdinalIgnoreCase))
        {
            suffix = "xml";
        }
        else
        {
            return false;
        }

        return TryFromName(suffix, out serialization);
    }

    /// <summary>The serialization of a short name (<c>json</c>, <c>cbor</c>, <c>xml</c>, any case).</summary>
    public static bool TryFromName(ReadOnlySpan<char> name, out ContentSerialization serialization)
    {
        if (name.Equals("json", StringComparison.OrdinalIgnoreCase))
        {
            serialization = ContentSerialization.Json;
            return true;
        }

        if (name.Equals("cbor", StringComparison.OrdinalIgnoreCase))
        {
            serialization = ContentSerialization.Cbor;
            return true;
        }

        if (name.Equals("xml", StringComparison.OrdinalIgnoreCase))
        {
            serialization = ContentSerialization.Xml;
            return true;
        }

        serialization = ContentSerialization.Json;
        return false;
    }

    /// <summary>
    /// A value of an AE's <c>csz</c> (contentSerialization) or of a notification URI's <c>ct=</c>: a short name
    /// (TS-0004) or a media type (as ACME writes it).
    /// </summary>
    public static bool TryFromNameOrMediaType(ReadOnlySpan<char> value, out ContentSerialization serialization) =>
        TryFromName(value, out serialization) || TryFromMediaType(value, out serialization);

    /// <summary>The CoAP content-format number of <paramref name="serialization"/> (RFC 7252 12.3, RFC 8949).</summary>
    public static ushort CoapFormat(ContentSerialization serialization) => serialization switch
    {
        ContentSerialization.Cbor => 60,
        ContentSerialization.Xml => 41,
        _ => 50,
    };

    /// <summary>
    /// The serialization of a CoAP content format: 50 JSON, 60 CBOR, 41 XML, and the oneM2M-specific formats of
    /// TS-0008 table 6.2.2.2-1 (10001 res+json, 10003 ntfy+json, 10010 res+cbor, 10011 ntfy+cbor, 10014 res+xml,
    /// 10002 ntfy+xml).
    /// </summary>
    public static bool TryFromCoapFormat(uint format, out ContentSerialization serialization)
    {
        switch (format)
        {
            case 50 or 10001 or 10003:
                serialization = ContentSerialization.Json;
                return true;
            case 60 or 10010 or 10011:
                serialization = ContentSerialization.Cbor;
                return true;
            case 41 or 10014 or 10002:
                serialization = ContentSerialization.Xml;
                return true;
            default:
                serialization = ContentSerialization.Json;
                return false;
        }
    }

    /// <summary>
    /// Picks the response serialization from an HTTP <c>Accept</c> header (RFC 9110 12.5.1): the supported media type
    /// with the highest quality, the first listed on a tie; <c>*/*</c> and <c>application/*</c> (and an absent or empty
    /// header) stand for <paramref name="preferred"/>, the request's own serialization. False when no entry is
    /// acceptable (answered 5207 NOT_ACCEPTABLE). <paramref name="mediaType"/> is the type to answer with: an accepted
    /// oneM2M vendor type is echoed, otherwise the plain type.
    /// </summary>
    public static bool TryNegotiate(StringValues accept, ContentSerialization preferred, out ContentSerialization chosen, out string mediaType)
    {
        chosen = preferred;
        mediaType = MediaType(preferred);
        if (StringValues.IsNullOrEmpty(accept))
        {
            return true;
        }

        var bestQuality = 0.0;
        var found = false;
        for (var i = 0; i < accept.Count; i++)
        {
            var rest = (accept[i] ?? "").AsSpan();
            while (true)
            {
                var comma = rest.IndexOf(',');
                var entry = comma < 0 ? rest : rest[..comma];
                var semicolon = entry.IndexOf(';');
                var type = (semicolon < 0 ? entry : entry[..semicolon]).Trim();
                var quality = semicolon < 0 ? 1.0 : Quality(entry[(semicolon + 1)..]);
                if (type.IsEmpty)
                {
                    // "Accept:" with nothing in it asks for nothing in particular.
                    quality = found ? 0 : 1.0;
                    type = "*/*";
                }

                if (quality > bestQuality)
                {
                    if (type is "*/*" || type.Equals("application/*", StringComparison.OrdinalIgnoreCase))
                    {
                        (chosen, mediaType, bestQuality, found) = (preferred, MediaType(preferred), quality, true);
                    }
                    else if (TryFromMediaType(type, out var serialization))
                    {
                        var echoed = type.StartsWith("application/vnd.onem2m-res+", StringComparison.OrdinalIgnoreCase)
                            ? type.ToString().ToLowerInvariant() : MediaType(serialization);
                        (chosen, mediaType, bestQuality, found) = (serialization, echoed, quality, true);
                    }
                }

                if (comma < 0)
                {
                    break;
                }

                rest = rest[(comma + 1)..];
            }
        }

        return found;
    }

    private static bool IsOneM2MKind(ReadOnlySpan<char> kind) =>
        kind.Equals("res", StringComparison.OrdinalIgnoreCase) || kind.Equals("ntfy", StringComparison.OrdinalIgnoreCase)
        || kind.Equals("preq", StringComparison.OrdinalIgnoreCase) || kind.Equals("prsp", StringComparison.OrdinalIgnoreCase);

    // The q parameter of an Accept entry (1 when absent or unreadable).
    private static double Quality(ReadOnlySpan<char> parameters)
    {
        while (!parameters.IsEmpty)
        {
            var semicolon = parameters.IndexOf(';');
            var parameter = (semicolon < 0 ? parameters : parameters[..semicolon]).Trim();
            if (parameter.StartsWith("q=", StringComparison.OrdinalIgnoreCase))
            {
                return double.TryParse(parameter[2..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var q) ? Math.Clamp(q, 0, 1) : 1.0;
            }

            parameters = semicolon < 0 ? default : parameters[(semicolon + 1)..];
        }

        return 1.0;
    }
}
