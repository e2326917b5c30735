using System.Text;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>
/// The Server Reference property (0x1C) of an MQTT 5 DISCONNECT packet (MQTT 5.0, 3.14.2.2.5): the broker a server
/// sends the client to with reason 0x9C (use another server) or 0x9D (server moved). MQTTnet's client does not
/// surface it in its disconnect event, so it is read from the raw packet (<c>IMqttClient.InspectPacketAsync</c>).
/// </summary>
internal static class MqttServerReference
{
    /// <summary>The server reference (<c>host:port</c>) of a DISCONNECT packet, or null for any other packet or none.</summary>
    public static string? OfDisconnect(byte[] packet)
    {
        if (packet.Length < 4 || packet[0] != 0xE0)
        {
            return null;
        }

        var i = 1;
        _ = VariableByteInteger(packet, ref i); // remaining length
        i++; // reason code
        if (i >= packet.Length)
        {
            return null;
        }

        var end = VariableByteInteger(packet, ref i) + i;
        while (i < end && i + 2 <= packet.Length)
        {
            var property = packet[i++];
            switch (property)
            {
                case 0x11: // session expiry interval
                    i += 4;
                    break;
                case 0x1C: // server reference
                case 0x1F: // reason string
                    var length = (packet[i] << 8) | packet[i + 1];
                    if (i + 2 + length > packet.Length)
                    {
                        return null;
                    }

                    if (property == 0x1C)
                    {
                        return Encoding.UTF8.GetString(packet, i + 2, length);
                    }

                    i += 2 + length;
                    break;
                case 0x26: // user property: two strings
                    for (var part = 0; part < 2 && i + 2 <= packet.Length; part++)
                    {
                        i += 2 + ((packet[i] << 8) | packet[i + 1]);
                    }

                    break;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>Splits a server reference <c>host:port</c> (IPv6 hosts in brackets); false when it is not one.</summary>
    public static bool TryParse(string reference, out string host, out int port)
    {
        host = "";
        port = 0;
        var separator = reference.LastIndexOf(':');
        if (separator <= 0 || !int.TryParse(reference.AsSpan(separator + 1), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = reference[..separator].Trim('[', ']');
        return host.Length > 0;
    }

    private static int VariableByteInteger(byte[] buffer, ref int index)
    {
        int value = 0, shift = 0;
        byte current;
        do
        {
            current = buffer[index++];
            value |= (current & 0x7F) << shift;
            shift += 7;
        }
        while ((current & 0x80) != 0 && index < buffer.Length && shift < 28);
        return value;
    }
}
