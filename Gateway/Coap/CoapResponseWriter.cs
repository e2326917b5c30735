using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Gateway.Coap.CoapOptionNumbers;

namespace VirtualIoT.Gateway.Coap;

/// <summary>A response before it is put into one or more messages: code, options without Block2, whole payload.</summary>
/// <param name="Code">The CoAP response code.</param>
/// <param name="Options">Options in number order (Block2 and Size2 are added per block).</param>
/// <param name="Payload">The whole payload.</param>
internal sealed record CoapResponse(byte Code, List<CoapOption> Options, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Writes a <see cref="ResourceResponse"/> as a CoAP response (TS-0008 6.2): the code from
/// <see cref="CoapStatusCodeMapping"/>, oneM2M-RSC and oneM2M-OT, oneM2M-RQI, -RVI and -VSI echoed (all only to a
/// request with oneM2M-RVI: <see cref="CoapRequest.WithOneM2MOptions"/>),
/// Location-Path on 2001, Max-Age as the retry delay when the response says to retry later, and the content (or
/// <c>{"m2m:dbg":…}</c> for an error) in the answer's serialization with its Content-Format.
/// </summary>
internal static class CoapResponseWriter
{
    public static CoapResponse Write(ResourceResponse response, in CoapRequest request, DateTime now)
    {
        var code = response.StatusCode;
        var options = new List<CoapOption>(8);
        if (code == ResponseStatusCode.Created && !string.IsNullOrEmpty(response.Location))
        {
            AddLocationPath(options, response.Location);
        }

        var content = response.Content;
        var debugMessage = content is null && (int)code >= 4000 ? response.Message : null;
        ReadOnlyMemory<byte> payload = default;
        if (content is not null || debugMessage is not null)
        {
            payload = Representation.ToArray(request.Serialization, content ?? Representation.DebugContent(debugMessage!));
            options.Add(CoapOption.UInt(ContentFormat, request.ContentFormat));
        }

        if (response.RetryAfterSeconds is { } retryAfter)
        {
            options.Add(CoapOption.UInt(MaxAge, (uint)Math.Max(0, retryAfter)));
        }

        var primitive = request.Primitive;
        var legacy = request.Legacy;
        if (!request.WithOneM2MOptions)
        {
            options.Sort(static (a, b) => a.Number.CompareTo(b.Number));
            return new CoapResponse(CoapStatusCodeMapping.ToCoapCode(code, request.Operation), options, payload);
        }

        options.Add(CoapOption.String(OriginatingTimestamp, OneM2MTime.Format(now)));
        if (!string.IsNullOrEmpty(primitive.ReleaseVersion))
        {
            options.Add(CoapOption.String(ReleaseVersion, primitive.ReleaseVersion));
        }

        if (!string.IsNullOrEmpty(primitive.RequestIdentifier))
        {
            options.Add(CoapOption.String(legacy ? LegacyRequestIdentifier : RequestIdentifier, primitive.RequestIdentifier));
        }

        options.Add(CoapOption.UInt(legacy ? LegacyStatusCode : StatusCode, (uint)(int)code));
        if (!string.IsNullOrEmpty(primitive.VendorInformation))
        {
            options.Add(CoapOption.String(VendorInformation, primitive.VendorInformation));
        }

        options.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        return new CoapResponse(CoapStatusCodeMapping.ToCoapCode(code, request.Operation), options, payload);
    }

    /// <summary>A response of the binding itself (no oneM2M primitive: a bad option, a missing block), with a text diagnostic.</summary>
    public static CoapResponse Plain(byte code, string diagnostic, params CoapOption[] options)
    {
        var list = new List<CoapOption>(options) { CoapOption.UInt(ContentFormat, 0) };
        list.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        return new CoapResponse(code, list, System.Text.Encoding.UTF8.GetBytes(diagnostic));
    }

    // The created resource's address as Location-Path segments (TS-0008 6.2.3), SP-relative and absolute forms
    // starting with "~" and "_" as in Uri-Path.
    private static void AddLocationPath(List<CoapOption> options, string location)
    {
        var rest = location.AsSpan();
        if (rest.StartsWith("//"))
        {
            options.Add(CoapOption.String(LocationPath, "_"));
            rest = rest[2..];
        }
        else if (rest.StartsWith("/"))
        {
            options.Add(CoapOption.String(LocationPath, "~"));
            rest = rest[1..];
        }

        foreach (var range in rest.Split('/'))
        {
            var segment = rest[range];
            if (!segment.IsEmpty)
            {
                options.Add(CoapOption.String(LocationPath, segment.ToString()));
            }
        }
    }
}
