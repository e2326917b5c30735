using System.Text.Json;
using VirtualIoT.Gateway.Json;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// Writes a <see cref="ResourceResponse"/> as a JSON response primitive (TS-0010 6.4, TS-0004 8.3):
/// <c>{"rsc":2001,"rqi":…,"rvi":…,"to":…,"fr":"/id-in","ot":…,"pc":{…}}</c>, with <c>vsi</c> echoed. The RSC goes unchanged (no HTTP mapping);
/// an error without content carries <c>{"m2m:dbg":…}</c> as over HTTP.
/// </summary>
public static class MqttResponseWriter
{
    /// <summary>
    /// The response primitive's bytes (a fresh array: the broker keeps the payload until every subscriber has it).
    /// </summary>
    /// <param name="response">The response.</param>
    /// <param name="requestIdentifier"><c>rqi</c> of the request.</param>
    /// <param name="releaseVersion"><c>rvi</c> of the request, echoed when it had one.</param>
    /// <param name="to">The request's <c>fr</c> as sent, or null when it had none (a registration asking for an AE-ID).</param>
    /// <param name="from">This CSE's ID (<c>/id-in</c>).</param>
    /// <param name="vendorInformation"><c>vsi</c> of the request, echoed when it had one.</param>
    public static byte[] Write(ResourceResponse response, string requestIdentifier, string? releaseVersion, string? to, string from,
        string? vendorInformation = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        var writer = PooledJsonWriter.Rent(out var buffer);
        try
        {
            writer.WriteStartObject();
            writer.WriteNumber("rsc"u8, (int)response.StatusCode);
            writer.WriteString("rqi"u8, requestIdentifier);
            if (!string.IsNullOrEmpty(releaseVersion))
            {
                writer.WriteString("rvi"u8, releaseVersion);
            }

            if (!string.IsNullOrEmpty(to))
            {
                writer.WriteString("to"u8, to);
            }

            writer.WriteString("fr"u8, from);
            writer.WriteString("ot"u8, OneM2MTime.Format(DateTime.UtcNow));
            if (!string.IsNullOrEmpty(vendorInformation))
            {
                writer.WriteString("vsi"u8, vendorInformation);
            }

            if (response.Content is not null)
            {
                writer.WritePropertyName("pc"u8);
                ContentWriter.WriteValue(writer, response.Content);
            }
            else if ((int)response.StatusCode >= 4000 && response.Message is not null)
            {
                writer.WriteStartObject("pc"u8);
                writer.WriteString("m2m:dbg"u8, response.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            PooledJsonWriter.Return(buffer);
        }
    }
}
