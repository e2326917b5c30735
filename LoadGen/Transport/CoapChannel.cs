using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>
/// oneM2M over CoAP (TS-0008, RFC 7252) from one UDP socket: each request a confirmable message, answered piggybacked
/// on its ACK or, after an empty ACK, by a separate response; retransmitted as RFC 7252 4.2 says (2 to 3 s, doubling,
/// at most 4 times) until the caller's token fires. A large answer is fetched block by block (RFC 7959 Block2).
/// Lean, like <see cref="HttpConnection"/>: it writes only the options LoadGen sends (Uri-Path, Content-Format,
/// Uri-Query, Accept, Block2, oneM2M-TY, -RVI, -FR, -RQI) and reads only the code, oneM2M-RSC, Block2 and the payload.
/// </summary>
internal sealed class CoapChannel : IRequestChannel
{
    private const int UriPath = 11, ContentFormat = 12, UriQuery = 15, Accept = 17, Block2 = 23;
    private const int OneM2MTy = 267, OneM2MRvi = 271, OneM2MFr = 279, OneM2MRqi = 283, OneM2MRsc = 307;
    private const int FormatJson = 50, FormatCbor = 60;
    private const int MaxRetransmit = 4;

    private readonly IPEndPoint _server;
    private readonly IPEndPoint? _local;
    private readonly BodySerialization _serialization;
    private readonly RequestBodies _bodies;
    private readonly byte[] _request = new byte[4 * 1024];
    private readonly byte[] _datagram = new byte[64 * 1024];
    private Socket? _socket;
    private ushort _messageId = (ushort)Random.Shared.Next(ushort.MaxValue + 1);
    private uint _token = (uint)Random.Shared.Next();

    /// <summary>A channel to <paramref name="server"/>, from <paramref name="local"/> when given (a source address of its own).</summary>
    public CoapChannel(IPEndPoint server, BodySerialization serialization, IPEndPoint? local = null)
    {
        _server = server;
        _local = local;
        _serialization = serialization;
        _bodies = new RequestBodies(serialization);
    }

    public async ValueTask<Reply> ExchangeAsync(RequestSpec spec, CancellationToken cancellationToken)
    {
        if (_socket is null)
        {
            var socket = new Socket(_server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                if (_local is not null)
                {
                    socket.Bind(_local);
                }

                await socket.ConnectAsync(_server, cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _socket = socket;
        }

        var body = _bodies.Of(spec.Content);
        MemoryStream? blocks = null;
        var block = 0;
        var blockExponent = 6;
        while (true)
        {
            var messageId = ++_messageId;
            var token = ++_token;
            var length = WriteRequest(spec, body, messageId, token, block, blockExponent);
            var answer = await TransmitAsync(length, messageId, token, cancellationToken);
            var (code, rsc, format, more, exponent, payload) = ReadAnswer(answer.Span);
            if (more || blocks is not null)
            {
                blocks ??= new MemoryStream();
                blocks.Write(_datagram, payload.Offset, payload.Length);
                if (more)
                {
                    block++;
                    blockExponent = exponent;
                    continue;
                }
            }

            string? text = null;
            if (spec.KeepBody)
            {
                var bytes = blocks is null ? _datagram.AsSpan(payload.Offset, payload.Length) : blocks.GetBuffer().AsSpan(0, (int)blocks.Length);
                text = format == FormatCbor ? throw new IOException("a CBOR answer to a request that asked for JSON") : Encoding.UTF8.GetString(bytes);
            }

            return new Reply(((code >> 5) * 100) + (code & 0x1F), rsc, text);
        }
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _socket = null;
    }

    /// <summary>Sends the request in <see cref="_request"/> until its answer arrives; returns the answer's datagram.</summary>
    private async ValueTask<Memory<byte>> TransmitAsync(int length, ushort messageId, uint token, CancellationToken cancellationToken)
    {
        var socket = _socket!;
        var wait = TimeSpan.FromSeconds(2 + Random.Shared.NextDouble());
        for (var attempt = 0; ; attempt++)
        {
            await socket.SendAsync(_request.AsMemory(0, length), SocketFlags.None, cancellationToken);
            using var retransmit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            retransmit.CancelAfter(wait);
            var acknowledged = false;
            try
            {
                while (true)
                {
                    var received = await socket.ReceiveAsync(_datagram, SocketFlags.None, acknowledged ? cancellationToken : retransmit.Token);
                    switch (Match(_datagram.AsSpan(0, received), messageId, token))
                    {
                        case Matched.Answer:
                            return _datagram.AsMemory(0, received);
                        case Matched.EmptyAck:
                            acknowledged = true;   // a separate response follows: no more retransmissions
                            break;
                        case Matched.SeparateAnswer:
                            var ack = new byte[4];
                            ack[0] = 0x60;   // version 1, ACK, no token
                            ack[2] = _datagram[2];
                            ack[3] = _datagram[3];
                            await socket.SendAsync(ack, SocketFlags.None, cancellationToken);
                            return _datagram.AsMemory(0, received);
                        case Matched.Reset:
                            throw new IOException($"the CSE reset message {messageId}");
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && attempt < MaxRetransmit)
            {
                wait *= 2;
            }
        }
    }

    private enum Matched
    {
        Other,
        Answer,
        EmptyAck,
        SeparateAnswer,
        Reset,
    }

    /// <summary>What a received datagram is to the exchange of <paramref name="messageId"/> and <paramref name="token"/>.</summary>
    private static Matched Match(ReadOnlySpan<byte> datagram, ushort messageId, uint token)
    {
        if (datagram.Length < 4 || datagram[0] >> 6 != 1)
        {
            return Matched.Other;
        }

        var type = (datagram[0] >> 4) & 0x3;
        var tokenLength = datagram[0] & 0xF;
        var sameId = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]) == messageId;
        var sameToken = tokenLength == 4 && datagram.Length >= 8 && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == token;
        return type switch
        {
            2 when sameId && datagram[1] == 0 => Matched.EmptyAck,
            2 when sameId && sameToken => Matched.Answer,
            3 when sameId => Matched.Reset,
            0 when sameToken => Matched.SeparateAnswer,
            1 when sameToken => Matched.Answer,
            _ => Matched.Other,
        };
    }

    /// <summary>Writes the CON request of <paramref name="spec"/> (block <paramref name="block"/> of its answer) into <see cref="_request"/>.</summary>
    private int WriteRequest(in RequestSpec spec, ReadOnlyMemory<byte> body, ushort messageId, uint token, int block, int blockExponent)
    {
        var writer = new OptionWriter(_request);
        _request[0] = 0x44;   // version 1, CON, token length 4
        _request[1] = spec.Operation switch
        {
            OneM2MOperation.Create => 2,   // 0.02 POST
            OneM2MOperation.Delete => 4,   // 0.04 DELETE
            _ => 1,                        // 0.01 GET
        };
        BinaryPrimitives.WriteUInt16BigEndian(_request.AsSpan(2), messageId);
        BinaryPrimitives.WriteUInt32BigEndian(_request.AsSpan(4), token);
        foreach (var segment in spec.To.Split('/'))
        {
            writer.Text(UriPath, segment);
        }

        if (spec.Operation == OneM2MOperation.Create)
        {
            writer.UInt(ContentFormat, _serialization == BodySerialization.Cbor ? FormatCbor : (uint)FormatJson);
        }

        if (spec.Query is not null)
        {
            foreach (var part in spec.Query.Split('&'))
            {
                writer.Text(UriQuery, part);
            }
        }

        if (spec.KeepBody)
        {
            writer.UInt(Accept, (uint)FormatJson);
        }

        if (block > 0)
        {
            writer.UInt(Block2, (uint)((block << 4) | blockExponent));
        }

        if (spec.Operation == OneM2MOperation.Create)
        {
            writer.UInt(OneM2MTy, (uint)spec.ResourceType);
        }

        writer.Text(OneM2MRvi, "3");
        writer.Text(OneM2MFr, spec.Originator);
        writer.Text(OneM2MRqi, spec.RequestId);
        return writer.Payload(body.Span);
    }

    /// <summary>Code, oneM2M-RSC (0 when absent), Content-Format (-1 when absent), Block2's more flag and size exponent, and where the payload is.</summary>
    private static (byte Code, int Rsc, int Format, bool More, int Exponent, (int Offset, int Length) Payload) ReadAnswer(ReadOnlySpan<byte> datagram)
    {
        var position = 4 + (datagram[0] & 0xF);
        var number = 0;
        int rsc = 0, format = -1, exponent = 6;
        var more = false;
        while (position < datagram.Length && datagram[position] != 0xFF)
        {
            var first = datagram[position++];
            number += Extended(first >> 4, datagram, ref position);
            var length = Extended(first & 0xF, datagram, ref position);
            if (position + length > datagram.Length)
            {
                throw new IOException("a CoAP option runs past the end of the answer");
            }

            var value = UIntOf(datagram.Slice(position, length));
            switch (number)
            {
                case OneM2MRsc: rsc = (int)value; break;
                case ContentFormat: format = (int)value; break;
                case Block2: more = (value & 8) != 0; exponent = (int)(value & 7); break;
            }

            position += length;
        }

        var start = Math.Min(position + 1, datagram.Length);
        return (datagram[1], rsc, format, more, exponent, (start, datagram.Length - start));
    }

    private static int Extended(int nibble, ReadOnlySpan<byte> datagram, ref int position)
    {
        switch (nibble)
        {
            case < 13:
                return nibble;
            case 13 when position < datagram.Length:
                return datagram[position++] + 13;
            case 14 when position + 1 < datagram.Length:
                position += 2;
                return BinaryPrimitives.ReadUInt16BigEndian(datagram[(position - 2)..]) + 269;
            default:
                throw new IOException("a malformed CoAP option in the answer");
        }
    }

    private static uint UIntOf(ReadOnlySpan<byte> value)
    {
        uint result = 0;
        foreach (var b in value[..Math.Min(value.Length, 4)])
        {
            result = (result << 8) | b;
        }

        return result;
    }

    /// <summary>Appends options in increasing number (as deltas, RFC 7252 3.1) after the 8-byte header and token.</summary>
    private ref struct OptionWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        private int _position = 8;
        private int _last;

        public void Text(int number, string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            Header(number, length);
            _position += Encoding.UTF8.GetBytes(value, _buffer[_position..]);
        }

        public void UInt(int number, uint value)
        {
            var length = value == 0 ? 0 : value <= 0xFF ? 1 : value <= 0xFFFF ? 2 : value <= 0xFFFFFF ? 3 : 4;
            Header(number, length);
            for (var i = length - 1; i >= 0; i--)
            {
                _buffer[_position + i] = (byte)value;
                value >>= 8;
            }

            _position += length;
        }

        public int Payload(ReadOnlySpan<byte> payload)
        {
            if (!payload.IsEmpty)
            {
                _buffer[_position++] = 0xFF;
                payload.CopyTo(_buffer[_position..]);
                _position += payload.Length;
            }

            return _position;
        }

        private void Header(int number, int length)
        {
            var delta = number - _last;
            _last = number;
            var at = _position++;
            _buffer[at] = (byte)((Nibble(delta) << 4) | Nibble(length));
            Extend(delta);
            Extend(length);
        }

        private static int Nibble(int value) => value < 13 ? value : value < 269 ? 13 : 14;

        private void Extend(int value)
        {
            if (value >= 269)
            {
                BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], (ushort)(value - 269));
                _position += 2;
            }
            else if (value >= 13)
            {
                _buffer[_position++] = (byte)(value - 13);
            }
        }
    }
}
