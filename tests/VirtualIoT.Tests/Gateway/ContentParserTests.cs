using System.Buffers;
using System.Text;
using VirtualIoT.Gateway;
using VirtualIoT.Gateway.Json;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Gateway;

public sealed class ContentParserTests(ITestOutputHelper output)
{
    private static ParseResult<ParsedContent> Parse(string json) => ContentParser.Parse(Encoding.UTF8.GetBytes(json));

    private static ParsedContent Ok(string json)
    {
        var result = Parse(json);
        Assert.True(result.IsSuccess, result.ToString());
        return result.Value;
    }

    [Fact]
    public void Body_splits_into_root_key_and_attributes()
    {
        var parsed = Ok("""{"m2m:cnt":{"rn":"temp","mni":100}}""");

        Assert.Equal("m2m:cnt", parsed.Root);
        Assert.Equal("temp", parsed.Content["rn"]);
        Assert.Equal(100L, parsed.Content["mni"]);
    }

    [Fact]
    public void Values_become_the_neutral_value_tree()
    {
        var content = Ok("""{"m2m:x":{"s":"a","i":-7,"big":9007199254740993,"d":1.5,"e":1e3,"t":true,"f":false,"n":null,"l":["a",1,[2]],"o":{"k":{"z":0}}}}""").Content;

        Assert.Equal("a", content["s"]);
        Assert.Equal(-7L, content["i"]);
        Assert.Equal(9007199254740993L, content["big"]);
        Assert.Equal(1.5, content["d"]);
        Assert.IsType<double>(content["e"]);
        Assert.Equal(true, content["t"]);
        Assert.Equal(false, content["f"]);
        Assert.True(content.ContainsKey("n"));
        Assert.Null(content["n"]);
        var list = Assert.IsType<List<object?>>(content["l"]);
        Assert.Equal("a", list[0]);
        Assert.Equal(1L, list[1]);
        Assert.Equal([2L], Assert.IsType<List<object?>>(list[2]));
        var inner = Assert.IsType<Dictionary<string, object?>>(Assert.IsType<Dictionary<string, object?>>(content["o"])["k"]);
        Assert.Equal(0L, inner["z"]);
    }

    [Theory]
    [InlineData("""{"m2m:cnt":{}}""")]
    [InlineData(" \r\n\t{ \"m2m:cnt\" : { } } \n")]
    [InlineData("""{"m2m:cin":{"con":"h\u00e9llo \"quoted\" \\ \/"}}""")]
    public void Well_formed_bodies_are_accepted(string json) => Assert.True(Parse(json).IsSuccess);

    [Fact]
    public void Escaped_strings_are_unescaped()
    {
        var content = Ok("""{"m2m:cin":{"con":"h\u00e9 \"q\""}}""").Content;

        Assert.Equal("hé \"q\"", content["con"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("null")]
    [InlineData("1")]
    [InlineData("\"m2m:cnt\"")]
    [InlineData("[]")]
    [InlineData("[{\"m2m:cnt\":{}}]")]
    [InlineData("{}")]
    [InlineData("""{"m2m:cnt":"x"}""")]
    [InlineData("""{"m2m:cnt":[]}""")]
    [InlineData("""{"m2m:cnt":null}""")]
    [InlineData("""{"m2m:cnt":{},"m2m:cin":{}}""")]
    [InlineData("""{"m2m:cnt":{}}{}""")]
    [InlineData("""{"m2m:cnt":{}} x""")]
    [InlineData("""{"m2m:cnt":{}""")]
    [InlineData("""{"m2m:cnt":{"rn":"x"}""")]
    [InlineData("""{"m2m:cnt":{"rn":"x",}}""")]
    [InlineData("""{"m2m:cnt":{"lbl":["a",]}}""")]
    [InlineData("""{"m2m:cnt":{"rn":'x'}}""")]
    [InlineData("""{"m2m:cnt":{rn:"x"}}""")]
    [InlineData("""{"m2m:cnt":{"rn":"x" /* c */}}""")]
    [InlineData("""{"m2m:cnt":{"rn":"x","rn":"y"}}""")]
    [InlineData("""{"m2m:cnt":{"o":{"a":1,"a":2}}}""")]
    [InlineData("""{"m2m:cnt":{"mni":NaN}}""")]
    [InlineData("""{"m2m:cnt":{"mni":1e999}}""")]
    [InlineData("""{"m2m:cnt":{"mni":01}}""")]
    [InlineData("""{"m2m:cnt":{"rn":"\x"}}""")]
    [InlineData("""{"m2m:cnt":{"rn":"unterminated}}""")]
    public void Malformed_bodies_are_4000(string json)
    {
        var result = Parse(json);

        Assert.False(result.IsSuccess);
        Assert.Equal(ResponseStatusCode.BadRequest, result.Error.Code);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_accepted_and_beyond_it_is_4000()
    {
        // The outer object and the root object count two levels.
        var ok = "{\"m2m:x\":{\"a\":" + new string('[', ContentParser.MaxDepth - 2) + new string(']', ContentParser.MaxDepth - 2) + "}}";
        var tooDeep = "{\"m2m:x\":{\"a\":" + new string('[', ContentParser.MaxDepth) + new string(']', ContentParser.MaxDepth) + "}}";

        Assert.True(Parse(ok).IsSuccess, Parse(ok).ToString());
        Assert.Equal(ResponseStatusCode.BadRequest, Parse(tooDeep).Error?.Code);
    }

    [Fact]
    public void Very_deep_nesting_is_4000_not_a_stack_overflow()
    {
        var json = "{\"m2m:x\":{\"a\":" + new string('[', 100_000) + new string(']', 100_000) + "}}";

        Assert.Equal(ResponseStatusCode.BadRequest, Parse(json).Error?.Code);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    public void Invalid_UTF8_is_4000(byte[] bad)
    {
        var prefix = Encoding.UTF8.GetBytes("{\"m2m:cnt\":{\"rn\":\"");
        var suffix = Encoding.UTF8.GetBytes("\"}}");

        var result = ContentParser.Parse([.. prefix, .. bad, .. suffix]);

        Assert.False(result.IsSuccess);
        Assert.Equal(ResponseStatusCode.BadRequest, result.Error.Code);
    }

    [Fact]
    public void Invalid_UTF8_in_a_key_is_4000()
    {
        var result = ContentParser.Parse([.. Encoding.UTF8.GetBytes("{\"m2m:cnt\":{\""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\":1}}")]);

        Assert.Equal(ResponseStatusCode.BadRequest, result.Error?.Code);
    }

    [Fact]
    public void Body_in_many_segments_parses_like_one_buffer()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"m2m:cin":{"con":"segmented body","lbl":["a","b"],"o":{"k":1}}}""");

        for (var size = 1; size < bytes.Length; size += 3)
        {
            var sequence = Segmented(bytes, size);

            var result = ContentParser.Parse(sequence);

            Assert.True(result.IsSuccess, $"segment size {size}: {result}");
            Assert.Equal("m2m:cin", result.Value.Root);
            Assert.Equal("segmented body", result.Value.Content["con"]);
        }
    }

    [Fact]
    public void Malformed_body_in_many_segments_is_4000()
    {
        var sequence = Segmented(Encoding.UTF8.GetBytes("""{"m2m:cin":{"con":"x"},"extra":{}}"""), 4);

        Assert.Equal(ResponseStatusCode.BadRequest, ContentParser.Parse(sequence).Error?.Code);
    }

    [Fact]
    public void Random_bytes_yield_a_result_or_4000_never_an_exception()
    {
        var seed = TestSeed.Resolve(4000, output);
        var random = new Random(seed);
        var seeds = new[] { """{"m2m:cnt":{"rn":"x","lbl":["a"],"mni":1,"o":{"k":[1,2.5,null,true]}}}""", "{}", "[]" }
            .Select(Encoding.UTF8.GetBytes).ToArray();
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])seeds[random.Next(seeds.Length)].Clone();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var length = random.Next(bytes.Length + 1);

            var result = ContentParser.Parse(bytes.AsSpan(0, length));

            Assert.True(result.IsSuccess || result.Error.Code == ResponseStatusCode.BadRequest, TestSeed.Replay(seed) + result);
        }
    }

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int size)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var memory = bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset));
            if (first is null)
            {
                first = last = new Segment(memory, 0);
            }
            else
            {
                last = last!.Append(memory);
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
