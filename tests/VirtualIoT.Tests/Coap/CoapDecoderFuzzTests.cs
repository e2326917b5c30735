using CsCheck;
using VirtualIoT.Gateway.Coap;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Coap;

/// <summary>
/// The decoder against random and mutated datagrams, drawn from a logged seed (replay with VIRTUALIOT_TEST_SEED):
/// it throws nothing but <see cref="CoapFormatException"/>, and whatever it accepts encodes back to the same bytes;
/// random messages encode and decode back to themselves.
/// </summary>
public sealed class CoapDecoderFuzzTests(ITestOutputHelper output)
{
    private const int Samples = 20_000;

    private static readonly Gen<CoapOption> s_option =
        Gen.Select(Gen.OneOf(Gen.Int[0, 20], Gen.Int[0, 300], Gen.Int[256, 340], Gen.Int[0, 65535]), Gen.Byte.Array[0, 300],
            (number, value) => new CoapOption(number, value));

    private static readonly Gen<CoapMessage> s_message =
        Gen.Select(Gen.Int[0, 3], Gen.Byte[1, 255], Gen.UShort, Gen.Byte.Array[0, 8], s_option.List[0, 12], Gen.Byte.Array[0, 600],
            (type, code, id, token, options, payload) => new CoapMessage
            {
                Type = (CoapType)type,
                Code = code,
                MessageId = id,
                Token = token,
                Options = options.OrderBy(o => o.Number).ToList(),
                Payload = payload,
            });

    // Valid messages with a few bytes changed and cut at a random length, plus plain random bytes.
    private static readonly Gen<byte[]> s_datagram = Gen.OneOf(
        Gen.Byte.Array[0, 80],
        Gen.Select(s_message, Gen.Int[1, 4].SelectMany(n => Gen.Select(Gen.Int[0, 10_000], Gen.Byte).List[n]), Gen.Double[0, 1],
            (message, changes, cut) =>
            {
                var bytes = CoapCodec.Encode(message);
                foreach (var (at, value) in changes)
                {
                    bytes[at % bytes.Length] = value;
                }

                return bytes.AsSpan(0, Math.Max(1, (int)(bytes.Length * cut))).ToArray();
            }));

    [Fact]
    public void The_decoder_throws_only_format_errors_and_what_it_accepts_encodes_back_to_the_same_bytes()
    {
        var seed = TestSeed.Resolve(7252, output);
        var accepted = 0;
        foreach (var datagram in TestSeed.Cases(s_datagram, Samples, seed))
        {
            CoapMessage decoded;
            try
            {
                decoded = CoapCodec.Decode(datagram);
            }
            catch (CoapFormatException)
            {
                continue;
            }
            catch (Exception exception)
            {
                Assert.Fail(TestSeed.Replay(seed) + $"{exception.GetType().Name} decoding {Convert.ToHexString(datagram)}: {exception.Message}");
                return;
            }

            accepted++;
            Assert.True(datagram.AsSpan().SequenceEqual(CoapCodec.Encode(decoded)), TestSeed.Replay(seed) + $"{Convert.ToHexString(datagram)} did not encode back");
        }

        output.WriteLine($"{accepted} of {Samples} datagrams decoded");
        Assert.InRange(accepted, Samples / 20, Samples - Samples / 20);
    }

    [Fact]
    public void Random_messages_encode_and_decode_back_to_themselves()
    {
        var seed = TestSeed.Resolve(7959, output);
        foreach (var message in TestSeed.Cases(s_message, Samples / 4, seed))
        {
            var bytes = CoapCodec.Encode(message);
            var decoded = CoapCodec.Decode(bytes);

            var what = TestSeed.Replay(seed) + Convert.ToHexString(bytes);
            Assert.True(message.Type == decoded.Type && message.Code == decoded.Code && message.MessageId == decoded.MessageId, what);
            Assert.True(message.Token.Span.SequenceEqual(decoded.Token.Span), what);
            Assert.True(message.Payload.Span.SequenceEqual(decoded.Payload.Span), what);
            Assert.Equal(message.Options.Select(o => (o.Number, Convert.ToHexString(o.Value.Span))), decoded.Options.Select(o => (o.Number, Convert.ToHexString(o.Value.Span))));
        }
    }
}
