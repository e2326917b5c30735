using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// The UDP counterpart of <see cref="CeilingServer"/>: the cheapest CoAP request/answer server, to learn what UDP on
/// this machine costs per request against Kestrel. It uses the socket calls the CSE's CoAP binding uses (one socket,
/// <c>ReceiveFromAsync</c> into a reused buffer with a reused <see cref="SocketAddress"/>, <c>SendToAsync</c> to that
/// address), decodes nothing but the header, and answers every confirmable request with a piggybacked ACK carrying
/// the same body as the Kestrel ceiling, Content-Format JSON and oneM2M-RSC 2001 (POST) or 2000 (otherwise). Each of
/// <c>loops</c> receive loops answers in place: no allocation per datagram.
/// </summary>
internal static class UdpCeilingServer
{
    private const int ContentFormat = 12, OneM2MRsc = 307, FormatJson = 50;

    /// <summary>Serves on <paramref name="port"/> (127.0.0.1) with <paramref name="loops"/> receive loops until <paramref name="cancellationToken"/> fires.</summary>
    public static async Task RunAsync(int port, int loops, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        var running = new Task[loops];
        for (var i = 0; i < loops; i++)
        {
            running[i] = Task.Run(() => ServeAsync(socket, cancellationToken), CancellationToken.None);
        }

        await Task.WhenAll(running);
    }

    private static async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        var request = GC.AllocateUninitializedArray<byte>(65_535, pinned: true);
        var answer = GC.AllocateUninitializedArray<byte>(1024, pinned: true);
        var sender = new SocketAddress(socket.AddressFamily);
        while (!cancellationToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await socket.ReceiveFromAsync(request, SocketFlags.None, sender, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            // Version 1, confirmable, a request code: anything else is not answered.
            var tokenLength = request[0] & 0xF;
            if (length < 4 + tokenLength || request[0] >> 4 != 4 || request[1] is 0 or > 31)
            {
                continue;
            }

            var size = WriteAnswer(request.AsSpan(0, 4 + tokenLength), request[1] == 2, answer);
            try
            {
                await socket.SendToAsync(answer.AsMemory(0, size), SocketFlags.None, sender, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                // The client went away: answer the next one.
            }
        }
    }

    // ACK with the request's message ID and token, code 2.01 (POST) or 2.05, Content-Format JSON, oneM2M-RSC, body.
    private static int WriteAnswer(ReadOnlySpan<byte> header, bool isPost, Span<byte> answer)
    {
        var tokenLength = header[0] & 0xF;
        answer[0] = (byte)(0x60 | tokenLength);
        answer[1] = isPost ? (byte)0x41 : (byte)0x45;
        answer[2] = header[2];
        answer[3] = header[3];
        header.Slice(4, tokenLength).CopyTo(answer[4..]);
        var at = 4 + tokenLength;
        answer[at++] = (ContentFormat << 4) | 1;
        answer[at++] = FormatJson;
        answer[at++] = (14 << 4) | 2;   // option delta 307 - 12 = 295 (two extra bytes: 295 - 269), length 2
        BinaryPrimitives.WriteUInt16BigEndian(answer[at..], OneM2MRsc - ContentFormat - 269);
        at += 2;
        BinaryPrimitives.WriteUInt16BigEndian(answer[at..], isPost ? (ushort)2001 : (ushort)2000);
        at += 2;
        answer[at++] = 0xFF;
        CeilingServer.Body.CopyTo(answer[at..]);
        return at + CeilingServer.Body.Length;
    }
}
