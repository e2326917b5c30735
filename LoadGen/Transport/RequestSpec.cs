using System.Globalization;
using System.Text.Unicode;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>oneM2M operations LoadGen sends (TS-0001 <c>op</c>: 1 create, 2 retrieve, 4 delete).</summary>
public enum OneM2MOperation
{
    Create = 1,
    Retrieve = 2,
    Delete = 4,
}

/// <summary>
/// One request primitive, binding-neutral: <paramref name="To"/> is a structured address under the CSEBase
/// (<c>cse-in/Clg1/data</c>); <paramref name="Query"/> is the HTTP query (discovery), null for none.
/// </summary>
public readonly record struct RequestSpec(
    OneM2MOperation Operation, string To, string Originator, string RequestId, int ResourceType = 0, string? Content = null,
    string? Query = null, bool KeepBody = false);

/// <summary>Writes a <see cref="RequestSpec"/> as an HTTP/1.1 request or as an MQTT request primitive (JSON).</summary>
internal static class RequestFormatter
{
    /// <summary>HTTP/1.1 request (TS-0009) into <paramref name="buffer"/>; returns its length, or -1 when it does not fit.</summary>
    public static int WriteHttp(Span<byte> buffer, in RequestSpec spec, string authority, string pathPrefix)
    {
        var culture = CultureInfo.InvariantCulture;
        var method = spec.Operation switch
        {
            OneM2MOperation.Create => "POST",
            OneM2MOperation.Delete => "DELETE",
            _ => "GET",
        };
        var query = spec.Query is null ? "" : "?" + spec.Query;
        int written;
        bool ok;
        if (spec.Operation == OneM2MOperation.Create)
        {
            var length = System.Text.Encoding.UTF8.GetByteCount(spec.Content ?? "");
            ok = Utf8.TryWrite(buffer, culture,
                $"{method} {pathPrefix}{spec.To}{query} HTTP/1.1\r\nHost: {authority}\r\nX-M2M-Origin: {spec.Originator}\r\nX-M2M-RI: {spec.RequestId}\r\nX-M2M-RVI: 3\r\nAccept: application/json\r\nContent-Type: application/json;ty={spec.ResourceType}\r\nContent-Length: {length}\r\n\r\n{spec.Content}",
                out written);
        }
        else
        {
            ok = Utf8.TryWrite(buffer, culture,
                $"{method} {pathPrefix}{spec.To}{query} HTTP/1.1\r\nHost: {authority}\r\nX-M2M-Origin: {spec.Originator}\r\nX-M2M-RI: {spec.RequestId}\r\nX-M2M-RVI: 3\r\nAccept: application/json\r\n\r\n",
                out written);
        }

        return ok ? written : -1;
    }

    /// <summary>MQTT request primitive (TS-0010 JSON serialization). Queries are not mapped: LoadGen sends none over MQTT.</summary>
    public static string Mqtt(in RequestSpec spec)
    {
        var culture = CultureInfo.InvariantCulture;
        return spec.Operation == OneM2MOperation.Create
            ? string.Create(culture,
                $"{{\"op\":1,\"to\":\"{spec.To}\",\"fr\":\"{spec.Originator}\",\"rqi\":\"{spec.RequestId}\",\"rvi\":\"3\",\"ty\":{spec.ResourceType},\"pc\":{spec.Content}}}")
            : string.Create(culture,
                $"{{\"op\":{(int)spec.Operation},\"to\":\"{spec.To}\",\"fr\":\"{spec.Originator}\",\"rqi\":\"{spec.RequestId}\",\"rvi\":\"3\"}}");
    }
}
