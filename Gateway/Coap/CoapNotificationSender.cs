using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Notifications;
using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Gateway.Coap.CoapOptionNumbers;

namespace VirtualIoT.Gateway.Coap;

/// <summary>
/// Sends notification requests to <c>coap://</c> URLs (an AE's <c>poa</c> or a subscription's <c>nu</c>) as TS-0008
/// maps a NOTIFY: a confirmable POST without oneM2M-TY to the URL's path and query, oneM2M-FR (the CSE-ID unless the
/// notification names another originator), -RQI (the notification's ID, the same on every retry), -RVI and -EC, the
/// content in the serialization <see cref="NotificationTarget"/> picks. Each notification uses a socket of its own and
/// retransmits as RFC 7252 4.2 says (ACK_TIMEOUT 2 s, doubling) within <see cref="NotificationOptions.SendTimeout"/>.
/// The answer is the piggybacked response, or the separate one after an empty ACK; its oneM2M-RSC (or, from a receiver
/// that is no oneM2M entity, the class of its CoAP code) is the receiver's status. A notification goes in one datagram.
/// </summary>
internal sealed class CoapNotificationSender(IOptions<CseOptions> options, IOptions<NotificationOptions> notificationOptions,
    IOptions<GatewayOptions> gatewayOptions) : INotificationSender
{
    private readonly string _cseId = options.Value.CseId;
    private readonly TimeSpan _exchangeTimeout = notificationOptions.Value.SendTimeout;
    private readonly int _maxAnswerBytes = gatewayOptions.Value.MaxBodyBytes;

    public bool CanSend(string url) => url.StartsWith("coap://", StringComparison.OrdinalIgnoreCase);

    public async Task<NotificationAnswer?> SendAsync(string url, string requestId, Dictionary<string, object?> content, int? eventCategory,
        string? serialization, string? originator, bool readContent, CancellationToken cancellationToken)
    {
        if (!CanSend(url) || !NotificationTarget.TryCreate(url, serialization, out var target))
        {
            return null;
        }

        var request = Request(target, requestId, content, eventCategory, originator ?? _cseId);
        return await CoapClientExchange.SendAsync(target.Address, request, _exchangeTimeout, _maxAnswerBytes, cancellationToken) is { } reply
            ? Answer(reply, readContent)
            : null;
    }

    private static CoapMessage Request(NotificationTarget target, string requestId, Dictionary<string, object?> content, int? eventCategory, string originator)
    {
        var options = new List<CoapOption>();
        foreach (var segment in target.Address.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            options.Add(CoapOption.String(UriPath, Uri.UnescapeDataString(segment)));
        }

        options.Add(CoapOption.UInt(ContentFormat, SerializationFormats.CoapFormat(target.Serialization)));
        if (target.Address.Query.Length > 1)
        {
            foreach (var field in target.Address.Query[1..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                options.Add(CoapOption.String(UriQuery, Uri.UnescapeDataString(field)));
            }
        }

        options.Add(CoapOption.String(From, originator));
        options.Add(CoapOption.String(RequestIdentifier, requestId));
        options.Add(CoapOption.String(ReleaseVersion, "3"));
        if (eventCategory is { } category)
        {
            options.Add(CoapOption.UInt(EventCategory, (uint)category));
        }

        options.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        return new CoapMessage
        {
            Type = CoapType.Confirmable,
            Code = 2,
            MessageId = (ushort)Random.Shared.Next(ushort.MaxValue + 1),
            Token = BitConverter.GetBytes(Random.Shared.NextInt64()),
            Options = options,
            Payload = Representation.ToArray(target.Serialization, content),
        };
    }

    private NotificationAnswer Answer(CoapMessage reply, bool readContent) =>
        new(CoapClientExchange.Status(reply), readContent ? CoapClientExchange.Content(reply, _maxAnswerBytes) : null);
}
