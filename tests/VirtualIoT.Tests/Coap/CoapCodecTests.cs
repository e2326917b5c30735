using System.Text;
using VirtualIoT.Gateway.Coap;
using static VirtualIoT.Gateway.Coap.CoapOptionNumbers;

namespace VirtualIoT.Tests.Coap;

public sealed class CoapCodecTests
{
    [Fact]
    public void A_GET_with_one_Uri_Path_encodes_as_RFC_7252_lays_it_out()
    {
        // Header 0x40 (version 1, CON, no token), code 0.01, message ID 0x7d34, option 11 of length 11.
        var message = new CoapMessage
        {
            Type = CoapType.Confirmable,
            Code = 1,
            MessageId = 0x7d34,
            Options = [CoapOption.String(UriPath, "temperature")],
        };

        var bytes = CoapCodec.Encode(message);

        Assert.Equal([0x40, 0x01, 0x7d, 0x34, 0xbb, .. "temperature"u8], bytes);
    }

    [Fact]
    public void Options_use_one_and_two_byte_extended_deltas_and_lengths()
    {
        var longValue = new string('x', 300);
        var message = new CoapMessage
        {
            Type = CoapType.NonConfirmable,
            Code = 2,
            MessageId = 7,
            Token = new byte[] { 1, 2, 3 },
            Options = [CoapOption.String(UriPath, "a"), CoapOption.String(UriQuery, new string('q', 20)), CoapOption.String(From, longValue)],
            Payload = "{}"u8.ToArray(),
        };

        var bytes = CoapCodec.Encode(message);

        // Uri-Path: delta 11, length 1 → 0xB1.
        Assert.Equal(0xB1, bytes[7]);
        // Uri-Query: delta 4, length 20 → nibble 13 and one byte 20 - 13.
        Assert.Equal(0x4D, bytes[9]);
        Assert.Equal(7, bytes[10]);
        // From (279): delta 264 → nibble 13 + one byte 251; length 300 → nibble 14 + two bytes 31.
        var fromAt = 11 + 20;
        Assert.Equal(0xDE, bytes[fromAt]);
        Assert.Equal(251, bytes[fromAt + 1]);
        Assert.Equal(0, bytes[fromAt + 2]);
        Assert.Equal(31, bytes[fromAt + 3]);
        Assert.Equal(CoapCodec.PayloadMarker, bytes[^3]);

        var decoded = CoapCodec.Decode(bytes);
        Assert.Equal(CoapType.NonConfirmable, decoded.Type);
        Assert.Equal([1, 2, 3], decoded.Token.ToArray());
        Assert.Equal(longValue, decoded.Find(From)?.AsString());
        Assert.Equal("{}", Encoding.UTF8.GetString(decoded.Payload.Span));
        Assert.Equal(bytes, CoapCodec.Encode(decoded));
    }

    [Fact]
    public void Options_given_out_of_order_are_written_in_number_order_keeping_repeats_in_order()
    {
        var message = new CoapMessage
        {
            Code = 1,
            Options = [CoapOption.String(UriQuery, "rcn=1"), CoapOption.String(UriPath, "cse-in"), CoapOption.String(UriPath, "app")],
        };

        var decoded = CoapCodec.Decode(CoapCodec.Encode(message));

        Assert.Equal(["cse-in", "app", "rcn=1"], decoded.Options.Select(o => o.AsString()));
    }

    [Theory]
    [InlineData(new byte[] { 0x40, 0x01, 0x00 }, "shorter than the 4-byte header")]
    [InlineData(new byte[] { 0x80, 0x01, 0x00, 0x01 }, "version 2")]
    [InlineData(new byte[] { 0x49, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "token length 9")]
    [InlineData(new byte[] { 0x42, 0x01, 0x00, 0x01, 1 }, "the token runs past the end")]
    [InlineData(new byte[] { 0x40, 0x01, 0x00, 0x01, 0xFF }, "a payload marker without a payload")]
    [InlineData(new byte[] { 0x40, 0x01, 0x00, 0x01, 0xF1, 0x00 }, "option delta 15 is reserved")]
    [InlineData(new byte[] { 0x40, 0x01, 0x00, 0x01, 0x1F }, "option length 15 is reserved")]
    [InlineData(new byte[] { 0x40, 0x01, 0x00, 0x01, 0xD1 }, "option delta extension runs past the end")]
    [InlineData(new byte[] { 0x40, 0x01, 0x00, 0x01, 0xB5, (byte)'a' }, "option 11 runs past the end")]
    [InlineData(new byte[] { 0x41, 0x00, 0x00, 0x01, 0x07 }, "an empty message (code 0.00) with a token")]
    [InlineData(new byte[] { 0x40, 0x01, 0x00, 0x01, 0xE0, 0xFF, 0xFF, 0xE0, 0xFF, 0xFF }, "beyond 65535")]
    public void Malformed_datagrams_are_format_errors_naming_the_fault(byte[] datagram, string reason)
    {
        var exception = Assert.Throws<CoapFormatException>(() => CoapCodec.Decode(datagram));

        Assert.Contains(reason, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u, new byte[0])]
    [InlineData(60u, new byte[] { 60 })]
    [InlineData(2001u, new byte[] { 0x07, 0xD1 })]
    [InlineData(0x01000000u, new byte[] { 1, 0, 0, 0 })]
    public void Uint_options_use_the_shortest_big_endian_form(uint value, byte[] expected)
    {
        var option = CoapOption.UInt(ContentFormat, value);

        Assert.Equal(expected, option.Value.ToArray());
        Assert.True(option.TryGetUInt(out var read));
        Assert.Equal(value, read);
    }

    [Theory]
    [InlineData(0, false, 6, new byte[] { 0x06 })]
    [InlineData(1, true, 6, new byte[] { 0x1E })]
    [InlineData(300, false, 2, new byte[] { 0x12, 0xC2 })]
    public void Block_values_carry_number_more_flag_and_size_exponent(int number, bool more, int exponent, byte[] expected)
    {
        var option = new CoapBlock(number, more, exponent).ToOption(Block2);

        Assert.Equal(expected, option.Value.ToArray());
        Assert.True(CoapBlock.TryRead(option, out var read));
        Assert.Equal(new CoapBlock(number, more, exponent), read);
        Assert.Equal(1 << (exponent + 4), read.Size);
    }

    [Fact]
    public void Block_size_exponent_7_is_refused() =>
        Assert.False(CoapBlock.TryRead(CoapOption.UInt(Block1, 0x17), out _));

    [Theory]
    [InlineData(1024, 6)]
    [InlineData(1000, 5)]
    [InlineData(16, 0)]
    [InlineData(8, 0)]
    public void The_block_size_exponent_is_the_largest_size_not_above_the_limit(int bytes, int exponent) =>
        Assert.Equal(exponent, CoapBlock.ExponentFor(bytes));
}

public sealed class CoapStatusCodeMappingTests
{
    public static TheoryData<ResponseStatusCode> EveryCode => new(Enum.GetValues<ResponseStatusCode>());

    [Theory]
    [MemberData(nameof(EveryCode))]
    public void Every_response_status_code_has_a_CoAP_code_in_the_table(ResponseStatusCode code)
    {
        var mapped = CoapStatusCodeMapping.TryGetCoapCode(code, Operation.Retrieve, out var coapCode);

        Assert.True(mapped, $"{code} ({(int)code}) is not in the RSC→CoAP table");
        // Successes (and acceptances) are class 2, errors class 4 or 5.
        Assert.InRange(coapCode >> 5, (int)code < 3000 ? 2 : 4, (int)code < 3000 ? 2 : 5);
        Assert.Equal(coapCode, CoapStatusCodeMapping.ToCoapCode(code, Operation.Retrieve));
    }

    [Theory]
    [InlineData(2000, Operation.Retrieve, "2.05")]
    [InlineData(2000, Operation.Notify, "2.04")]
    [InlineData(2001, Operation.Create, "2.01")]
    [InlineData(2002, Operation.Delete, "2.02")]
    [InlineData(2004, Operation.Update, "2.04")]
    [InlineData(4000, Operation.Create, "4.00")]
    [InlineData(4001, Operation.Create, "5.01")]
    [InlineData(4004, Operation.Retrieve, "4.04")]
    [InlineData(4005, Operation.Update, "4.05")]
    [InlineData(4008, Operation.Retrieve, "5.04")]
    [InlineData(4015, Operation.Create, "4.15")]
    [InlineData(4103, Operation.Retrieve, "4.03")]
    [InlineData(4105, Operation.Create, "4.03")]
    [InlineData(4120, Operation.Create, "4.02")]
    [InlineData(5000, Operation.Create, "5.00")]
    [InlineData(5001, Operation.Create, "5.01")]
    [InlineData(5207, Operation.Retrieve, "4.06")]
    [InlineData(6030, Operation.Retrieve, "5.04")]
    public void Codes_map_as_TS_0008_table_6_2_4_1_says(int rsc, Operation operation, string coap) =>
        Assert.Equal(coap, CoapMessage.FormatCode(CoapStatusCodeMapping.ToCoapCode((ResponseStatusCode)rsc, operation)));
}
