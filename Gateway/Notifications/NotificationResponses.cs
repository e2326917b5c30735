using System.Buffers;
using System.Globalization;
using System.Text.Json;
using VirtualIoT.Gateway.Json;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Notifications;

/// <summary>
/// Reads an AE's response primitive to a notification sent over a primitive-carrying binding (MQTT, WebSocket): only
/// its <c>rqi</c> (to find the waiting notification), <c>rsc</c> and <c>pc</c> (relayed to the originator of a
/// forwarded NOTIFY) matter.
/// </summary>
internal static class NotificationResponses
{
    /// <summary>
    /// <c>rqi</c>, <c>rsc</c> and <c>pc</c> of a response primitive in <paramref name="serialization"/> (top level;
    /// <c>rsc</c> as a number or, leniently, a string of digits; <c>pc</c> when it is an object, else null). False when
    /// the payload is unreadable or has no <c>rqi</c>.
    /// </summary>
    public static bool TryRead(in ReadOnlySequence<byte> payload, ContentSerialization serialization, out string requestId, out ResponseStatusCode? status,
        out Dictionary<string, object?>? content)
    {
        if (serialization == ContentSerialization.Json)
        {
            return TryReadJson(payload, out requestId, out status, out content);
        }

        var json = Representation.PrimitiveAsJson(serialization, payload);
        if (!json.IsSuccess)
        {
            requestId = "";
            status = null;
            content = null;
            return false;
        }

        return TryReadJson(new ReadOnlySequence<byte>(json.Value!), out requestId, out status, out content);
    }

    private static bool TryReadJson(in ReadOnlySequence<byte> payload, out string requestId, out ResponseStatusCode? status,
        out Dictionary<string, object?>? content)
    {
        requestId = "";
        status = null;
        content = null;
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            string? rqi = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("rqi"u8))
                {
                    reader.Read();
                    rqi = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("rsc"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number))
                    {
                        status = (ResponseStatusCode)number;
                    }
                    else if (reader.TokenType == JsonTokenType.String
                        && int.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var text))
                    {
                        status = (ResponseStatusCode)text;
                    }
                }
                else if (reader.ValueTextEquals("pc"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        // A content too deep to read is dropped, not the answer: its status still counts.
                        var start = reader;
                        var parsed = ContentParser.ParseObject(ref reader);
                        content = parsed.IsSuccess ? parsed.Value : null;
                        if (!parsed.IsSuccess)
                        {
                            reader = start;
                            reader.TrySkip();
                        }
                    }
                    else
                    {
                        reader.TrySkip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.TrySkip();
                }
            }

            requestId = rqi ?? "";
            return rqi is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
