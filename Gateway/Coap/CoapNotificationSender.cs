using System.Buffers;
using System.Net;
using System.Net.Sockets;
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
    /// <summary>The default CoAP port, for a URL that names none.</summary>
    public const int DefaultPort = 5683;

    private static readonly TimeSpan s_ackTimeout = TimeSpan.FromSeconds(2);
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

        using var exchange = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        exchange.CancelAfter(_exchangeTimeout);
        try
        {
            var address = target.Address;
            var host = IPAddress.TryParse(address.Host.Trim('[', ']'), out var literal) ? literal
                : (await Dns.GetHostAddressesAsync(address.DnsSafeHost, exchange.Token)).FirstOrDefault();
            if (host is null)
            {
                return null;
            }

            using var socket = new Socket(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(new IPEndPoint(host, address.Port > 0 ? address.Port : DefaultPort));
            var request = Request(target, requestId, content, eventCategory, originator ?? _cseId);
            return await ExchangeAsync(socket, request, readContent, exchange.Token);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            return null;
        }
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

    private async Task<NotificationAnswer?> ExchangeAsync(Socket socket, CoapMessage request, bool readContent, CancellationToken cancellationToken)
    {
        var datagram = CoapCodec.Encode(request);
        var buffer = ArrayPool<byte>.Shared.Rent(65_536);
        try
        {
            var acknowledged = false;
            var wait = s_ackTimeout * (1 + (Random.Shared.NextDouble() / 2));
            while (true)
            {
                if (!acknowledged)
                {
                    await socket.SendAsync(datagram, SocketFlags.None, cancellationToken);
                }

                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (!acknowledged)
                {
                    attempt.CancelAfter(wait);
                }

                try
                {
                    while (true)
                    {
                        var length = await socket.ReceiveAsync(buffer, SocketFlags.None, attempt.Token);
                        if (CoapCodec.TryDecode(buffer.AsSpan(0, length).ToArray(), out var reply) is not null)
                        {
                            continue;
                        }

                        var matchesId = reply!.MessageId == request.MessageId && reply.Type is CoapType.Acknowledgement or CoapType.Reset;
                        if (matchesId && reply.Type == CoapType.Reset)
                        {
                            return null;
                        }

                        if (matchesId && reply.IsEmpty)
                        {
                            // Acknowledged; the response follows separately (RFC 7252 5.2.2).
                            acknowledged = true;
                            attempt.CancelAfter(Timeout.InfiniteTimeSpan);
                            continue;
                        }

                        if (reply.IsRequest || reply.IsEmpty || !reply.Token.Span.SequenceEqual(request.Token.Span))
                        {
                            continue;
                        }

                        if (reply.Type == CoapType.Confirmable)
                        {
                            await socket.SendAsync(CoapCodec.Encode(new CoapMessage { Type = CoapType.Acknowledgement, MessageId = reply.MessageId }),
                                SocketFlags.None, cancellationToken);
                        }

                        return Answer(reply, readContent);
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    wait *= 2;
                }
            }
        }
        catch (SocketException)
        {
            // The receiver's port is closed (ICMP unreachable): not reachable.
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private NotificationAnswer Answer(CoapMessage reply, bool readContent)
    {
        var status = (reply.Find(StatusCode) ?? reply.Find(LegacyStatusCode)) is { } rsc && rsc.TryGetUInt(out var number)
            ? (ResponseStatusCode)number
            : CoapStatusCodeMapping.FromCoapCode(reply.Code);
        Dictionary<string, object?>? content = null;
        if (readContent && !reply.Payload.IsEmpty && reply.Payload.Length <= _maxAnswerBytes
            && reply.Find(ContentFormat) is { } format && format.TryGetUInt(out var formatNumber)
            && SerializationFormats.TryFromCoapFormat(formatNumber, out var serialization))
        {
            var document = Representation.ParseAnyDocument(serialization, new ReadOnlySequence<byte>(reply.Payload));
            content = document.IsSuccess ? document.Value : null;
        }

        return new NotificationAnswer(status, content);
    }
}
