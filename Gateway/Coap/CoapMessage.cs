namespace VirtualIoT.Gateway.Coap;

/// <summary>The message type of a CoAP message (RFC 7252 3).</summary>
public enum CoapType : byte
{
    /// <summary>CON: the receiver acknowledges it; the sender retransmits until it does.</summary>
    Confirmable = 0,

    /// <summary>NON: no acknowledgement.</summary>
    NonConfirmable = 1,

    /// <summary>ACK: acknowledges a CON, carrying a piggybacked response or nothing.</summary>
    Acknowledgement = 2,

    /// <summary>RST: the receiver could not process a message.</summary>
    Reset = 3,
}

/// <summary>One option of a CoAP message: its number and its raw value (RFC 7252 3.1).</summary>
/// <param name="Number">Option number (Uri-Path 11, Content-Format 12 …, oneM2M-FR 279 …).</param>
/// <param name="Value">The value's bytes as sent (strings UTF-8, uints big-endian without leading zeros).</param>
public readonly record struct CoapOption(int Number, ReadOnlyMemory<byte> Value)
{
    /// <summary>The value as a UTF-8 string.</summary>
    public string AsString() => System.Text.Encoding.UTF8.GetString(Value.Span);

    /// <summary>The value as an unsigned integer (RFC 7252 3.2: big-endian, at most 4 bytes here); false when longer.</summary>
    public bool TryGetUInt(out uint value)
    {
        value = 0;
        var span = Value.Span;
        if (span.Length > 4)
        {
            return false;
        }

        foreach (var b in span)
        {
            value = (value << 8) | b;
        }

        return true;
    }

    /// <summary>A string option.</summary>
    public static CoapOption String(int number, string value) => new(number, System.Text.Encoding.UTF8.GetBytes(value));

    /// <summary>A uint option, in the shortest form (0 is the empty value).</summary>
    public static CoapOption UInt(int number, uint value)
    {
        if (value < s_smallValues.Length)
        {
            // Option values are read-only: one array per small value serves every option that carries it.
            return new CoapOption(number, s_smallValues[value]);
        }

        var length = value == 0 ? 0 : value <= 0xFF ? 1 : value <= 0xFFFF ? 2 : value <= 0xFFFFFF ? 3 : 4;
        var bytes = new byte[length];
        for (var i = length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)value;
            value >>= 8;
        }

        return new CoapOption(number, bytes);
    }

    private static readonly byte[][] s_smallValues = [[], .. Enumerable.Range(1, 255).Select(static value => new[] { (byte)value })];
}

/// <summary>
/// A CoAP message (RFC 7252 3): header (type, code, message ID), token, options in the order of their numbers, and
/// payload. Decoded and encoded by <see cref="CoapCodec"/>.
/// </summary>
public sealed class CoapMessage
{
    /// <summary>CON, NON, ACK or RST.</summary>
    public CoapType Type { get; init; }

    /// <summary>The code byte: class in the top 3 bits, detail in the low 5 (<c>0.01</c> GET, <c>2.05</c> Content …).</summary>
    public byte Code { get; init; }

    /// <summary>The 16-bit message ID, matching an ACK or RST to its CON and detecting duplicates.</summary>
    public ushort MessageId { get; init; }

    /// <summary>The token (0 to 8 bytes) matching a response to its request.</summary>
    public ReadOnlyMemory<byte> Token { get; init; }

    /// <summary>The options; <see cref="CoapCodec.Encode(CoapMessage)"/> writes them ordered by number (stable for repeats).</summary>
    public IReadOnlyList<CoapOption> Options { get; init; } = [];

    /// <summary>The payload (empty when there is none).</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>True for an empty message (code 0.00: a ping, an empty ACK or a RST).</summary>
    public bool IsEmpty => Code == 0;

    /// <summary>True when the code is a request method (class 0, detail 1 to 31).</summary>
    public bool IsRequest => Code is > 0 and < 32;

    /// <summary>The first option numbered <paramref name="number"/>, or null.</summary>
    public CoapOption? Find(int number)
    {
        foreach (var option in Options)
        {
            if (option.Number == number)
            {
                return option;
            }
        }

        return null;
    }

    /// <summary>This message with <paramref name="payload"/> in place of its own (a body put together from its blocks).</summary>
    public CoapMessage WithPayload(ReadOnlyMemory<byte> payload) => new()
    {
        Type = Type,
        Code = Code,
        MessageId = MessageId,
        Token = Token,
        Options = Options,
        Payload = payload,
    };

    /// <summary>Builds a code byte from its class and detail (<c>Code(2, 5)</c> is 2.05 Content).</summary>
    public static byte MakeCode(int codeClass, int detail) => (byte)((codeClass << 5) | detail);

    /// <summary>The code as text (<c>2.05</c>).</summary>
    public static string FormatCode(byte code) => $"{code >> 5}.{code & 0x1F:D2}";
}
