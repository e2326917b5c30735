using System.Buffers;
using System.Formats.Cbor;
using System.Text;
using System.Xml.Linq;
using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Gateway;

/// <summary>The representation layer: CBOR and XML into the neutral tree and back, media types, negotiation.</summary>
public sealed class RepresentationTests(ITestOutputHelper output)
{
    private static readonly CseIdentity s_cse = new(new CseOptions());

    private static readonly Dictionary<string, object?> s_container = new()
    {
        ["m2m:cnt"] = new Dictionary<string, object?>
        {
            ["rn"] = "temp",
            ["ty"] = 3L,
            ["mni"] = 10L,
            ["lbl"] = new List<object?> { "room:kitchen", "floor:1" },
            ["disr"] = false,
            ["acpi"] = new List<object?>(),
        },
    };

    [Fact]
    public void CBOR_body_becomes_the_tree_the_JSON_body_gives()
    {
        var writer = new CborWriter();
        writer.WriteStartMap(1);
        writer.WriteTextString("m2m:cnt");
        writer.WriteStartMap(4);
        writer.WriteTextString("rn");
        writer.WriteTextString("temp");
        writer.WriteTextString("mni");
        writer.WriteInt32(10);
        writer.WriteTextString("lbl");
        writer.WriteStartArray(1);
        writer.WriteTextString("a");
        writer.WriteEndArray();
        writer.WriteTextString("cr");
        writer.WriteNull();
        writer.WriteEndMap();
        writer.WriteEndMap();

        var parsed = Representation.ParseContent(ContentSerialization.Cbor, new ReadOnlySequence<byte>(writer.Encode()));

        Assert.True(parsed.IsSuccess, parsed.ToString());
        Assert.Equal("m2m:cnt", parsed.Value.Root);
        Assert.Equal("temp", parsed.Value.Content["rn"]);
        Assert.Equal(10L, parsed.Value.Content["mni"]);
        Assert.Equal(new List<object?> { "a" }, parsed.Value.Content["lbl"]);
        Assert.Null(parsed.Value.Content["cr"]);
    }

    [Fact]
    public void The_reused_CBOR_writer_is_clean_after_a_failed_and_after_a_large_answer()
    {
        // The writer is kept per thread: a write that failed half-way, or one over the retained size, must not leave
        // anything behind for the next answer on the thread.
        var unwritable = new Dictionary<string, object?> { ["m2m:cnt"] = new Dictionary<string, object?> { ["rn"] = "x", ["bad"] = new object() } };
        Assert.Throws<InvalidOperationException>(() => Representation.ToArray(ContentSerialization.Cbor, unwritable));
        var afterFailure = Representation.ToArray(ContentSerialization.Cbor, s_container);
        var large = new Dictionary<string, object?> { ["m2m:uril"] = Enumerable.Range(0, 10_000).Select(i => (object?)("cse-in/ae/cnt" + i)).ToList() };
        var largeBytes = Representation.ToArray(ContentSerialization.Cbor, large);
        var afterLarge = Representation.ToArray(ContentSerialization.Cbor, s_container);

        Assert.Equal(Canonical(s_container), Canonical(Representation.ParseDocument(ContentSerialization.Cbor, new ReadOnlySequence<byte>(afterFailure)).Value));
        Assert.Equal(Canonical(large), Canonical(Representation.ParseDocument(ContentSerialization.Cbor, new ReadOnlySequence<byte>(largeBytes)).Value));
        Assert.Equal(afterFailure, afterLarge);
    }

    [Fact]
    public void CBOR_round_trips_the_tree()
    {
        var bytes = Representation.ToArray(ContentSerialization.Cbor, s_container);

        var document = Representation.ParseDocument(ContentSerialization.Cbor, new ReadOnlySequence<byte>(bytes));

        Assert.True(document.IsSuccess, document.ToString());
        Assert.Equal(Canonical(s_container), Canonical(document.Value));
    }

    [Fact]
    public void XML_body_follows_the_TS_0004_rules()
    {
        const string xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <m2m:cnt xmlns:m2m="http://www.onem2m.org/xml/protocols" rn="temp">
              <mni>10</mni>
              <lbl>room:kitchen floor:1</lbl>
              <disr>true</disr>
              <cr/>
            </m2m:cnt>
            """;

        var parsed = Representation.ParseContent(ContentSerialization.Xml, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(xml)));

        Assert.True(parsed.IsSuccess, parsed.ToString());
        Assert.Equal("m2m:cnt", parsed.Value.Root);
        Assert.Equal("temp", parsed.Value.Content["rn"]);
        Assert.Equal(10L, parsed.Value.Content["mni"]);
        Assert.Equal(new List<object?> { "room:kitchen", "floor:1" }, parsed.Value.Content["lbl"]);
        Assert.Equal(true, parsed.Value.Content["disr"]);
        Assert.True(parsed.Value.Content.ContainsKey("cr"));
        Assert.Null(parsed.Value.Content["cr"]);
    }

    [Fact]
    public void XML_output_has_the_namespace_rn_as_attribute_and_space_separated_lists()
    {
        var bytes = Representation.ToArray(ContentSerialization.Xml, s_container);

        var root = XDocument.Parse(Encoding.UTF8.GetString(bytes)).Root!;
        Assert.Equal(XName.Get("cnt", XmlContent.Namespace), root.Name);
        Assert.Equal("temp", root.Attribute("rn")?.Value);
        Assert.Equal("10", root.Element("mni")?.Value);
        Assert.Equal("room:kitchen floor:1", root.Element("lbl")?.Value);
        Assert.Equal("false", root.Element("disr")?.Value);
        Assert.Equal("", root.Element("acpi")?.Value);
    }

    [Fact]
    public void XML_round_trips_the_tree()
    {
        var bytes = Representation.ToArray(ContentSerialization.Xml, s_container);

        var document = Representation.ParseDocument(ContentSerialization.Xml, new ReadOnlySequence<byte>(bytes));

        Assert.True(document.IsSuccess, document.ToString());
        Assert.Equal(Canonical(s_container), Canonical(document.Value));
    }

    [Fact]
    public void XML_lists_of_structures_repeat_their_element_and_read_back_as_lists()
    {
        var acp = new Dictionary<string, object?>
        {
            ["m2m:acp"] = new Dictionary<string, object?>
            {
                ["pv"] = new Dictionary<string, object?>
                {
                    ["acr"] = new List<object?>
                    {
                        new Dictionary<string, object?> { ["acor"] = new List<object?> { "Cx" }, ["acop"] = 63L },
                    },
                },
                ["pvs"] = new Dictionary<string, object?>
                {
                    ["acr"] = new List<object?>
                    {
                        new Dictionary<string, object?>
                        {
                            ["acor"] = new List<object?> { "all" },
                            ["acop"] = 2L,
                            ["acco"] = new List<object?>
                            {
                                new Dictionary<string, object?> { ["actw"] = new List<object?> { "* * * * * * *" } },
                            },
                        },
                    },
                },
            },
        };

        var bytes = Representation.ToArray(ContentSerialization.Xml, acp);
        var document = Representation.ParseDocument(ContentSerialization.Xml, new ReadOnlySequence<byte>(bytes));

        Assert.True(document.IsSuccess, document.ToString());
        Assert.Equal(Canonical(acp), Canonical(document.Value));
        Assert.Contains("<actw>* * * * * * *</actw>", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void XML_output_survives_control_characters_and_keys_that_are_no_XML_names()
    {
        var content = new Dictionary<string, object?>
        {
            ["m2m:cin"] = new Dictionary<string, object?>
            {
                ["con"] = new Dictionary<string, object?> { ["a b"] = "x\u0007y", ["cod:t"] = 1L },
            },
        };

        var bytes = Representation.ToArray(ContentSerialization.Xml, content);
        var document = Representation.ParseDocument(ContentSerialization.Xml, new ReadOnlySequence<byte>(bytes));

        Assert.True(document.IsSuccess, document.ToString());
        var con = (Dictionary<string, object?>)((Dictionary<string, object?>)document.Value!["m2m:cin"]!)["con"]!;
        Assert.Equal("x\uFFFDy", con["a b"]);
        Assert.Equal("1", con["cod:t"]);
    }

    [Fact]
    public void XML_request_primitive_is_read_as_the_JSON_primitive()
    {
        const string xml = """
            <m2m:rqp xmlns:m2m="http://www.onem2m.org/xml/protocols">
              <op>1</op><to>cse-in/app</to><fr>Capp</fr><rqi>r1</rqi><rvi>3</rvi><ty>3</ty>
              <pc><m2m:cnt rn="temp"><mni>5</mni></m2m:cnt></pc>
            </m2m:rqp>
            """;

        var json = Representation.PrimitiveAsJson(ContentSerialization.Xml, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(xml)));

        Assert.True(json.IsSuccess, json.ToString());
        Assert.Equal("""{"op":1,"to":"cse-in/app","fr":"Capp","rqi":"r1","rvi":"3","ty":3,"pc":{"m2m:cnt":{"rn":"temp","mni":5}}}""",
            Encoding.UTF8.GetString(json.Value!));
    }

    [Theory]
    [InlineData("<m2m:cnt>", "malformed XML")]
    [InlineData("<m2m:cnt xmlns:m2m=\"http://www.onem2m.org/xml/protocols\"><mni>1</m2m:cnt>", "malformed XML")]
    [InlineData("<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>", "malformed XML")]
    [InlineData("<a/><b/>", "malformed XML")]
    [InlineData("just text", "malformed XML")]
    [InlineData("<m2m:cnt xmlns:m2m=\"http://www.onem2m.org/xml/protocols\">text<mni>1</mni></m2m:cnt>", "mixes text")]
    public void Malformed_XML_is_4000_with_a_message(string xml, string message)
    {
        var parsed = Representation.ParseContent(ContentSerialization.Xml, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(xml)));

        Assert.False(parsed.IsSuccess);
        Assert.Equal(ResponseStatusCode.BadRequest, parsed.Error.Code);
        Assert.Contains(message, parsed.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a178", "malformed CBOR")] // a map whose key is a text string with its length missing
    [InlineData("a1", "malformed CBOR")] // map of one pair, nothing follows
    [InlineData("a10102", "not a text string")] // integer map key
    [InlineData("a1616101616102", "unexpected data")] // {"a":1} and a second item
    [InlineData("83010203", "must be a map")] // [1,2,3]
    [InlineData("a2616101616101", "duplicate key")] // {"a":1,"a":1}
    [InlineData("a16161f97e00", "not finite")] // {"a": NaN}
    public void Malformed_CBOR_is_4000_with_a_message(string hex, string message)
    {
        var parsed = Representation.ParseDocument(ContentSerialization.Cbor, new ReadOnlySequence<byte>(Convert.FromHexString(hex)));

        Assert.False(parsed.IsSuccess);
        Assert.Equal(ResponseStatusCode.BadRequest, parsed.Error.Code);
        Assert.Contains(message, parsed.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_4000_in_every_serialization()
    {
        var cbor = new byte[3 * (Representation.MaxDepth + 2) + 1];
        for (var i = 0; i < Representation.MaxDepth + 2; i++)
        {
            cbor[3 * i] = 0xa1; // map of one pair
            cbor[(3 * i) + 1] = 0x61; // key: text of one byte
            cbor[(3 * i) + 2] = (byte)'k';
        }

        cbor[^1] = 0x01;
        var xml = string.Concat(Enumerable.Repeat("<k>", Representation.MaxDepth + 2)) + string.Concat(Enumerable.Repeat("</k>", Representation.MaxDepth + 2));

        var fromCbor = Representation.ParseDocument(ContentSerialization.Cbor, new ReadOnlySequence<byte>(cbor));
        var fromXml = Representation.ParseDocument(ContentSerialization.Xml, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(xml)));

        Assert.Contains("nesting", fromCbor.Error?.Message, StringComparison.Ordinal);
        Assert.Contains("nesting", fromXml.Error?.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, ContentSerialization.Cbor, "application/cbor")]
    [InlineData("*/*", ContentSerialization.Cbor, "application/cbor")]
    [InlineData("application/xml", ContentSerialization.Xml, "application/xml")]
    [InlineData("application/vnd.onem2m-res+xml", ContentSerialization.Xml, "application/vnd.onem2m-res+xml")]
    [InlineData("application/json;q=0.2, application/cbor;q=0.8", ContentSerialization.Cbor, "application/cbor")]
    [InlineData("text/html, application/json", ContentSerialization.Json, "application/json")]
    [InlineData("application/cbor, application/json", ContentSerialization.Cbor, "application/cbor")]
    public void Accept_picks_the_best_supported_serialization(string? accept, ContentSerialization expected, string mediaType)
    {
        var found = SerializationFormats.TryNegotiate(accept is null ? StringValues.Empty : new StringValues(accept), ContentSerialization.Cbor,
            out var chosen, out var answered);

        Assert.True(found);
        Assert.Equal(expected, chosen);
        Assert.Equal(mediaType, answered);
    }

    [Theory]
    [InlineData("json", ContentSerialization.Json)]
    [InlineData("CBOR", ContentSerialization.Cbor)]
    [InlineData("application/xml", ContentSerialization.Xml)]
    [InlineData("application/vnd.onem2m-res+cbor", ContentSerialization.Cbor)]
    public void csz_and_ct_values_name_a_serialization(string value, ContentSerialization expected)
    {
        Assert.True(SerializationFormats.TryFromNameOrMediaType(value, out var serialization));
        Assert.Equal(expected, serialization);
    }

    [Theory]
    [InlineData(50u, ContentSerialization.Json)]
    [InlineData(60u, ContentSerialization.Cbor)]
    [InlineData(41u, ContentSerialization.Xml)]
    [InlineData(10001u, ContentSerialization.Json)]
    [InlineData(10010u, ContentSerialization.Cbor)]
    [InlineData(10014u, ContentSerialization.Xml)]
    public void CoAP_content_formats_name_a_serialization(uint format, ContentSerialization expected)
    {
        Assert.True(SerializationFormats.TryFromCoapFormat(format, out var serialization));
        Assert.Equal(expected, serialization);
    }

    [Theory]
    [InlineData(ContentSerialization.Cbor, 4001)]
    [InlineData(ContentSerialization.Xml, 4002)]
    public void Random_bytes_yield_a_result_or_4000_never_an_exception(ContentSerialization serialization, int fallbackSeed)
    {
        var seed = TestSeed.Resolve(fallbackSeed, output);
        var random = new Random(seed);
        var valid = Representation.ToArray(serialization, s_container);
        var notUtf8 = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])valid.Clone();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var length = random.Next(bytes.Length + 1);

            var result = Representation.ParseContent(serialization, new ReadOnlySequence<byte>(bytes, 0, length));
            var primitive = MqttRequestParser.Parse(new ReadOnlySequence<byte>(bytes, 0, length), null, s_cse, serialization);

            var replay = TestSeed.Replay(seed) + $"sample {i}";
            Assert.True(result.IsSuccess || result.Error.Code == ResponseStatusCode.BadRequest, $"{replay}: {result}");
            Assert.True(primitive.Error is null || (int)primitive.Error.Code is >= 4000 and < 5000, $"{replay} as a primitive: {primitive.Error}");

            // The valid body has no U+FFFD: one in what was read is a byte sequence that is not UTF-8, replaced instead of refused.
            Assert.True(!result.IsSuccess || !Canonical(result.Value.Content).Contains('\uFFFD', StringComparison.Ordinal), $"{replay}: {Canonical(result.Value.Content)}");
            notUtf8 += !result.IsSuccess && result.Error.Message.Contains("not valid UTF-8", StringComparison.Ordinal) ? 1 : 0;
        }

        // For CBOR the mutations must reach text that is not UTF-8 (XML's reader words that refusal in its own way).
        output.WriteLine($"{notUtf8} refused as not UTF-8");
        Assert.True(serialization != ContentSerialization.Cbor || notUtf8 > 0, TestSeed.Replay(seed) + "no mutation made a text string that is not UTF-8");
    }

    // Byte sequences that are not UTF-8 (RFC 3629 3, 4): a lone continuation byte, a byte UTF-8 never uses, an overlong
    // "/", a sequence cut short, an encoded surrogate, a code point above U+10FFFF.
    private static readonly byte[][] s_notUtf8 = [[0x80], [0xFF], [0xC0, 0xAF], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]];

    [Fact]
    public void CBOR_text_that_is_not_UTF_8_is_4000_in_a_body_and_a_primitive_wherever_it_stands()
    {
        var seed = TestSeed.Resolve(20261209, output);
        var random = new Random(seed);
        var content = new Dictionary<string, object?>
        {
            ["m2m:cin"] = new Dictionary<string, object?>
            {
                ["con"] = "21.5 °C",
                ["cnf"] = "text/plain:0",
                ["lbl"] = new List<object?> { "room:kitchen", "floor:1" },
                ["rn"] = "reading",
            },
        };
        var primitive = new Dictionary<string, object?>
        {
            ["op"] = 1L, ["to"] = "cse-in/ae1/cnt", ["fr"] = "Cae1", ["rqi"] = "r1", ["rvi"] = "3", ["ty"] = 4L, ["pc"] = content,
        };
        var bodyTexts = CountTexts(content);
        var primitiveTexts = CountTexts(primitive);

        for (var i = 0; i < 2_000; i++)
        {
            // One text (a key or a value, at any depth) with a bad sequence at a random place in it.
            var bad = s_notUtf8[random.Next(s_notUtf8.Length)];
            var body = WriteWithBadText(content, random.Next(bodyTexts), bad, random);
            var request = WriteWithBadText(primitive, random.Next(primitiveTexts), bad, random);

            var fromBody = Representation.ParseContent(ContentSerialization.Cbor, new ReadOnlySequence<byte>(body));
            var fromPrimitive = MqttRequestParser.Parse(new ReadOnlySequence<byte>(request), null, s_cse, ContentSerialization.Cbor);

            var replay = TestSeed.Replay(seed) + $"sample {i}: ";
            Assert.True(!fromBody.IsSuccess && fromBody.Error.Code == ResponseStatusCode.BadRequest, replay + Convert.ToHexString(body));
            Assert.Contains("not valid UTF-8", fromBody.Error.Message, StringComparison.Ordinal);
            Assert.True(fromPrimitive.Error?.Code == ResponseStatusCode.BadRequest, replay + Convert.ToHexString(request));
            Assert.Contains("not valid UTF-8", fromPrimitive.Error!.Message, StringComparison.Ordinal);
        }

        // The same documents without a bad sequence are read (the generator's texts are the only fault).
        Assert.True(Representation.ParseContent(ContentSerialization.Cbor, new ReadOnlySequence<byte>(WriteWithBadText(content, -1, [], random))).IsSuccess);
        Assert.Null(MqttRequestParser.Parse(new ReadOnlySequence<byte>(WriteWithBadText(primitive, -1, [], random)), null, s_cse, ContentSerialization.Cbor).Error);
    }

    private static int CountTexts(object? value) => value switch
    {
        string => 1,
        Dictionary<string, object?> map => map.Sum(p => 1 + CountTexts(p.Value)),
        List<object?> list => list.Sum(CountTexts),
        _ => 0,
    };

    // The tree as CBOR; text number `target` (keys and values in writing order) gets `bad` inserted at a random place.
    private static byte[] WriteWithBadText(object? tree, int target, byte[] bad, Random random)
    {
        // Lax: a strict writer checks the text of an encoded value.
        var writer = new CborWriter(CborConformanceMode.Lax);
        var index = 0;
        Write(tree);
        return writer.Encode();

        void Write(object? value)
        {
            switch (value)
            {
                case string text:
                    WriteText(text);
                    break;
                case long number:
                    writer.WriteInt64(number);
                    break;
                case Dictionary<string, object?> map:
                    writer.WriteStartMap(map.Count);
                    foreach (var (key, item) in map)
                    {
                        WriteText(key);
                        Write(item);
                    }

                    writer.WriteEndMap();
                    break;
                case List<object?> list:
                    writer.WriteStartArray(list.Count);
                    list.ForEach(Write);
                    writer.WriteEndArray();
                    break;
            }
        }

        void WriteText(string text)
        {
            if (index++ != target)
            {
                writer.WriteTextString(text);
                return;
            }

            // CborWriter writes only valid text: the item is written as encoded bytes (major type 3, length below 256).
            var utf8 = Encoding.UTF8.GetBytes(text).ToList();
            utf8.InsertRange(random.Next(utf8.Count + 1), bad);
            byte[] header = utf8.Count < 24 ? [(byte)(0x60 | utf8.Count)] : [0x78, (byte)utf8.Count];
            writer.WriteEncodedValue([.. header, .. utf8]);
        }
    }

    // A tree as comparable text (lists and maps by value).
    private static string Canonical(object? value) => value switch
    {
        null => "null",
        string text => "\"" + text + "\"",
        bool flag => flag ? "true" : "false",
        Dictionary<string, object?> map => "{" + string.Join(",", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + Canonical(p.Value))) + "}",
        List<object?> list => "[" + string.Join(",", list.Select(Canonical)) + "]",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
