using System.Buffers;
using System.Globalization;
using VirtualIoT.Gateway.Mqtt;
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
        switch (serialization)
        {
            case ContentSerialization.Json:
                var json = new JsonPrimitiveReader(payload, MaxDepth);
                return TryRead(ref json, out requestId, out status, out content);
            case ContentSerialization.Cbor:
                var cbor = new CborPrimitiveReader(payload);
                try
                {
                    return TryRead(ref cbor, out requestId, out status, out content);
                }
                finally
                {
                    cbor.Release();
                }
        }

        var transcoded = Representation.PrimitiveAsJson(serialization, payload);
        if (!transcoded.IsSuccess)
        {
            requestId = "";
            status = null;
            content = null;
            return false;
        }

        var xml = new JsonPrimitiveReader(new ReadOnlySequence<byte>(transcoded.Value!), MaxDepth);
        return TryRead(ref xml, out requestId, out status, out content);
    }

    // Deeper than a request's content may be: a content too deep to read is dropped, not the answer.
    private const int MaxDepth = 64;

    private static bool TryRead<TReader>(ref TReader reader, out string requestId, out ResponseStatusCode? status, out Dictionary<string, object?>? content)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
    {
        requestId = "";
        status = null;
        content = null;
        try
        {
            if (!reader.Start() || reader.Peek() != PrimitiveValueKind.Object)
            {
                return false;
            }

            string? rqi = null;
            reader.EnterObject();
            while (reader.NextMember(out var name))
            {
                var kind = reader.Peek();
                switch (name)
                {
                    case "rqi" when kind == PrimitiveValueKind.String:
                        rqi = reader.ReadScalar();
                        break;
                    case "rsc" when kind is PrimitiveValueKind.Number or PrimitiveValueKind.String:
                        if (int.TryParse(reader.ReadScalar(), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
                        {
                            status = (ResponseStatusCode)code;
                        }

                        break;
                    case "pc" when kind == PrimitiveValueKind.Object:
                        // Read from a mark, so that a content that cannot be read is skipped whole.
                        var mark = reader.Mark();
                        var parsed = mark.ReadObject();
                        mark.Release();
                        content = parsed.IsSuccess ? parsed.Value : null;
                        reader.Skip();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            requestId = rqi ?? "";
            return rqi is not null;
        }
        catch (Exception exception) when (TReader.IsMalformed(exception, out _))
        {
            return false;
        }
    }
}
