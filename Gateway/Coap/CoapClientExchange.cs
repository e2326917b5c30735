using System.Buffers;
using System.Net;
using System.Net.Sockets;
using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Gateway.Coap.CoapOptionNumbers;

namespace VirtualIoT.Gateway.Coap;

/// <summary>
/// One request of this CSE to a CoAP server (a notification to a <c>coap://</c> target, a request forwarded to another
/// CSE's <c>coap://</c> point of access) and its answer: a confirmable message on a socket of its own, retransmitted as
/// RFC 7252 4.2 says (ACK_TIMEOUT 2 s, doubling) within the exchange's time; the answer is the piggybacked response, or
/// the separate one after an empty ACK. A response in Block2 blocks (RFC 7959) is read block by block and returned
/// whole. A request larger than one block (1,024 bytes) goes in Block1 blocks.
/// </summary>
internal static class CoapClientExchange
{
    /// <summary>The default CoAP port, for a URL that names none.</summary>
    public const int DefaultPort = 5683;

    private static readonly TimeSpan s_ackTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Sends <paramref name="request"/> to the server of <paramref name="address"/> and returns its response (whole,
    /// at most <paramref name="maxAnswerBytes"/>), or null when none came within <paramref name="timeout"/>, the server
    /// reset it or is not reachable.
    /// </summary>
    public static async Task<CoapMessage?> SendAsync(Uri address, CoapMessage request, TimeSpan timeout, int maxAnswerBytes, CancellationToken cancellationToken)
    {
        using var exchange = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        exchange.CancelAfter(timeout);
        try
        {
            var host = IPAddress.TryParse(address.Host.Trim('[', ']'), out var literal) ? literal
                : (await Dns.GetHostAddressesAsync(address.DnsSafeHost, exchange.Token)).FirstOrDefault();
            if (host is null)
            {
                return null;
            }

            using var socket = new Socket(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(new IPEndPoint(host, address.Port > 0 ? address.Port : DefaultPort));
            var reply = request.Payload.Length > BlockBytes
                ? await SendInBlocksAsync(socket, request, exchange.Token)
                : await ExchangeAsync(socket, request, exchange.Token);
            return reply is not null && reply.Find(Block2) is { } first && CoapBlock.TryRead(first, out var block) && block.More
                ? await RestAsync(socket, request, reply, block, maxAnswerBytes, exchange.Token)
                : reply;
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The oneM2M status of a response: its oneM2M-RSC, or from a server that is no oneM2M entity the class of its CoAP code.</summary>
    public static ResponseStatusCode Status(CoapMessage reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return (reply.Find(StatusCode) ?? reply.Find(LegacyStatusCode)) is { } rsc && rsc.TryGetUInt(out var number)
            ? (ResponseStatusCode)number
            : CoapStatusCodeMapping.FromCoapCode(reply.Code);
    }

    /// <summary>The content of a response as a value tree, when it has one of at most <paramref name="maxBytes"/> in a serialization this CSE reads.</summary>
    public static Dictionary<string, object?>? Content(CoapMessage reply, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (reply.Payload.IsEmpty || reply.Payload.Length > maxBytes || reply.Find(ContentFormat) is not { } format || !format.TryGetUInt(out var formatNumber)
            || !SerializationFormats.TryFromCoapFormat(formatNumber, out var serialization))
        {
            return null;
        }

        var document = Representation.ParseAnyDocument(serialization, new ReadOnlySequence<byte>(reply.Payload));
        return document.IsSuccess ? document.Value : null;
    }

    /// <summary>Largest request payload sent in one message; a larger one goes in Block1 blocks of this size (SZX 6).</summary>
    private const int BlockBytes = 1024;

    /// <summary>
    /// A request whose payload is larger than one block, in Block1 blocks (RFC 7959 2.5): each a confirmable message
    /// with the next part; the server answers 2.31 Continue to each but the last (whose answer is the response), may
    /// ask for smaller blocks by answering with a smaller SZX, and ends the exchange with any other answer.
    /// </summary>
    private static async Task<CoapMessage?> SendInBlocksAsync(Socket socket, CoapMessage request, CancellationToken cancellationToken)
    {
        var exponent = CoapBlock.ExponentFor(BlockBytes);
        var offset = 0;
        while (true)
        {
            var size = 1 << (exponent + 4);
            var end = Math.Min(offset + size, request.Payload.Length);
            var block = new CoapBlock(offset / size, end < request.Payload.Length, exponent);
            var options = request.Options.Where(o => o.Number != Block1).Append(block.ToOption(Block1)).OrderBy(o => o.Number).ToList();
            var reply = await ExchangeAsync(socket, new CoapMessage
            {
                Type = CoapType.Confirmable,
                Code = request.Code,
                MessageId = (ushort)Random.Shared.Next(ushort.MaxValue + 1),
                Token = request.Token,
                Options = options,
                Payload = request.Payload[offset..end],
            }, cancellationToken);
            if (reply is not null && offset == 0 && reply.Code == CoapStatusCodeMapping.RequestEntityTooLarge && reply.Find(Block1) is { } wanted
                && CoapBlock.TryRead(wanted, out var smaller) && smaller.SizeExponent < exponent)
            {
                // RFC 7959 2.9.3: the server takes smaller blocks only; start again with its size.
                exponent = smaller.SizeExponent;
                continue;
            }

            if (reply is null || !block.More || reply.Code != CoapStatusCodeMapping.Continue)
            {
                return reply;
            }

            if (reply.Find(Block1) is { } acknowledged && CoapBlock.TryRead(acknowledged, out var asked) && asked.SizeExponent < exponent)
            {
                // The server wants smaller blocks from here on (RFC 7959 2.5); the offset stays a multiple of them.
                exponent = asked.SizeExponent;
            }

            offset = end;
        }
    }

    /// <summary>The blocks after the first (RFC 7959 2.4: the request again with Block2 naming the next), the payload joined.</summary>
    private static async Task<CoapMessage?> RestAsync(Socket socket, CoapMessage request, CoapMessage first, CoapBlock block,
        int maxAnswerBytes, CancellationToken cancellationToken)
    {
        var payload = new ArrayBufferWriter<byte>(first.Payload.Length * 2);
        payload.Write(first.Payload.Span);
        var reply = first;
        while (block.More)
        {
            if (payload.WrittenCount > maxAnswerBytes)
            {
                return null;
            }

            var next = new CoapBlock(block.Number + 1, false, block.SizeExponent);
            var options = request.Options.Where(o => o.Number != Block2).Append(next.ToOption(Block2)).OrderBy(o => o.Number).ToList();
            reply = await ExchangeAsync(socket, new CoapMessage
            {
                Type = CoapType.Confirmable,
                Code = request.Code,
                MessageId = (ushort)Random.Shared.Next(ushort.MaxValue + 1),
                Token = request.Token,
                Options = options,
                Payload = request.Payload,
            }, cancellationToken);
            if (reply?.Find(Block2) is not { } option || !CoapBlock.TryRead(option, out block) || block.Number != next.Number)
            {
                return null;
            }

            payload.Write(reply.Payload.Span);
        }

        return reply.WithPayload(payload.WrittenMemory);
    }

    private static async Task<CoapMessage?> ExchangeAsync(Socket socket, CoapMessage request, CancellationToken cancellationToken)
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

                        return reply;
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
}
