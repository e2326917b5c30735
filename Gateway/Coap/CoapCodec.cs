using System.Buffers;
using System.Buffers.Binary;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Coap;

/// <summary>A datagram that is not a well-formed CoAP message (RFC 7252 3 and 4.2: a message format error).</summary>
public sealed class CoapFormatException(string message) : FormatException(message);

/// <summary>
/// Reads and writes CoAP messages (RFC 7252 3): the 4-byte header (version 1, type, token length, code, message ID),
/// the token, options as deltas with 4-bit or extended (1- and 2-byte) delta and length fields, and the payload after
/// the 0xFF marker. The encoding is unique, so a datagram decodes and encodes back to the same bytes.
/// </summary>
public static class CoapCodec
{
    /// <summary>The payload marker.</summary>
    public const byte PayloadMarker = 0xFF;

    /// <summary>Largest option number (the sum of deltas must fit 16 bits).</summary>
    public const int MaxOptionNumber = 0xFFFF;

    /// <summary>
    /// Decodes <paramref name="datagram"/>; throws <see cref="CoapFormatException"/> (and nothing else) when it is not a
    /// well-formed message. The message keeps slices of <paramref name="datagram"/>'s memory.
    /// </summary>
    public static CoapMessage Decode(ReadOnlyMemory<byte> datagram)
    {
        var error = TryDecode(datagram, out var message);
        return error is null ? message! : throw new CoapFormatException(error);
    }

    /// <summary>Decodes <paramref name="datagram"/>; returns why it is malformed, or null on success.</summary>
    public static string? TryDecode(ReadOnlyMemory<byte> datagram, out CoapMessage? message)
    {
        message = null;
        var bytes = datagram.Span;
        if (bytes.Length < 4)
        {
            return "shorter than the 4-byte header";
        }

        if (bytes[0] >> 6 != 1)
        {
            return $"version {bytes[0] >> 6} (only 1 is defined)";
        }

        var type = (CoapType)((bytes[0] >> 4) & 0x3);
        var tokenLength = bytes[0] & 0xF;
        if (tokenLength > 8)
        {
            return $"token length {tokenLength} (at most 8)";
        }

        var code = bytes[1];
        var messageId = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        if (bytes.Length < 4 + tokenLength)
        {
            return "the token runs past the end";
        }

        var position = 4 + tokenLength;
        var options = new List<CoapOption>();
        var number = 0;
        var payload = ReadOnlyMemory<byte>.Empty;
        while (position < bytes.Length)
        {
            var first = bytes[position++];
            if (first == PayloadMarker)
            {
                if (position == bytes.Length)
                {
                    return "a payload marker without a payload";
                }

                payload = datagram[position..];
                break;
            }

            var delta = ReadExtended(first >> 4, bytes, ref position, out var deltaError);
            if (deltaError is not null)
            {
                return "option delta " + deltaError;
            }

            var length = ReadExtended(first & 0xF, bytes, ref position, out var lengthError);
            if (lengthError is not null)
            {
                return "option length " + lengthError;
            }

            number += delta;
            if (number > MaxOptionNumber)
            {
                return $"option number {number} beyond {MaxOptionNumber}";
            }

            if (length > bytes.Length - position)
            {
                return $"option {number} runs past the end";
            }

            options.Add(new CoapOption(number, datagram.Slice(position, length)));
            position += length;
        }

        if (code == 0 && (tokenLength != 0 || options.Count != 0 || !payload.IsEmpty))
        {
            return "an empty message (code 0.00) with a token, options or payload";
        }

        message = new CoapMessage
        {
            Type = type,
            Code = code,
            MessageId = messageId,
            Token = datagram.Slice(4, tokenLength),
            Options = options,
            Payload = payload,
        };
        return null;
    }

    /// <summary>Reads the message ID of a datagram too malformed to decode, to reject it with a RST; false when shorter than a header.</summary>
    public static bool TryPeekHeader(ReadOnlySpan<byte> datagram, out CoapType type, out ushort messageId)
    {
        type = default;
        messageId = 0;
        if (datagram.Length < 4 || datagram[0] >> 6 != 1)
        {
            return false;
        }

        type = (CoapType)((datagram[0] >> 4) & 0x3);
        messageId = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        return true;
    }

    /// <summary>Encodes <paramref name="message"/> into a new array (of its exact size: the one copy kept).</summary>
    public static byte[] Encode(CoapMessage message) => ThreadBuffer.ToArray(message, static (item, writer) => Encode(item, writer));

    /// <summary>Encodes <paramref name="message"/> into <paramref name="writer"/>; options are written ordered by number.</summary>
    public static void Encode(CoapMessage message, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(writer);
        var token = message.Token.Span;
        if (token.Length > 8)
        {
            throw new ArgumentException("a token has at most 8 bytes", nameof(message));
        }

        var header = writer.GetSpan(4 + token.Length);
        header[0] = (byte)(0x40 | ((int)message.Type << 4) | token.Length);
        header[1] = message.Code;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], message.MessageId);
        token.CopyTo(header[4..]);
        writer.Advance(4 + token.Length);

        var previous = 0;
        foreach (var option in Ordered(message.Options))
        {
            if (option.Number < previous || option.Number > MaxOptionNumber)
            {
                throw new ArgumentException($"option number {option.Number} is out of range", nameof(message));
            }

            var value = option.Value.Span;
            var span = writer.GetSpan(5 + value.Length);
            var written = 1;
            var delta = option.Number - previous;
            span[0] = (byte)((Nibble(delta) << 4) | Nibble(value.Length));
            written += WriteExtended(delta, span[written..]);
            written += WriteExtended(value.Length, span[written..]);
            value.CopyTo(span[written..]);
            writer.Advance(written + value.Length);
            previous = option.Number;
        }

        var payload = message.Payload.Span;
        if (!payload.IsEmpty)
        {
            var span = writer.GetSpan(1 + payload.Length);
            span[0] = PayloadMarker;
            payload.CopyTo(span[1..]);
            writer.Advance(1 + payload.Length);
        }
    }

    // Options sorted by number, repeats in their given order (a stable sort; most lists are already ordered).
    private static IReadOnlyList<CoapOption> Ordered(IReadOnlyList<CoapOption> options)
    {
        for (var i = 1; i < options.Count; i++)
        {
            if (options[i].Number < options[i - 1].Number)
            {
                var sorted = new List<CoapOption>(options);
                var keys = new (int Number, int Index)[sorted.Count];
                for (var k = 0; k < keys.Length; k++)
                {
                    keys[k] = (sorted[k].Number, k);
                }

                Array.Sort(keys);
                return keys.Select(k => options[k.Index]).ToList();
            }
        }

        return options;
    }

    // The 4-bit field for a delta or length: the value itself below 13, else 13 (one extra byte) or 14 (two).
    private static int Nibble(int value) => value < 13 ? value : value < 269 ? 13 : 14;

    private static int WriteExtended(int value, Span<byte> span)
    {
        if (value < 13)
        {
            return 0;
        }

        if (value < 269)
        {
            span[0] = (byte)(value - 13);
            return 1;
        }

        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)(value - 269));
        return 2;
    }

    private static int ReadExtended(int nibble, ReadOnlySpan<byte> bytes, ref int position, out string? error)
    {
        error = null;
        switch (nibble)
        {
            case < 13:
                return nibble;
            case 13:
                if (position + 1 > bytes.Length)
                {
                    error = "extension runs past the end";
                    return 0;
                }

                return bytes[position++] + 13;
            case 14:
                if (position + 2 > bytes.Length)
                {
                    error = "extension runs past the end";
                    return 0;
                }

                var value = BinaryPrimitives.ReadUInt16BigEndian(bytes[position..]) + 269;
                position += 2;
                return value;
            default:
                error = "15 is reserved";
                return 0;
        }
    }
}
