using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using CsCheck;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Gateway;

/// <summary>
/// The one primitive reader over JSON and CBOR: the same primitive, written by the platform's own writers in each
/// serialization, reads to the same request, or to the same refusal. The primitives are generated from a fixed seed
/// (<see cref="TestSeed"/>): members present or not, in any order, with valid and invalid values of every kind.
/// </summary>
public sealed class PrimitiveSerializationTests(ITestOutputHelper output)
{
    private const int Samples = 4000;

    private static readonly CseIdentity s_cse = new(new CseOptions());

    private static readonly MqttTopic s_topic = MqttTopic.Parse("/oneM2M/req/Cae1/id-in/cbor", "id-in");

    /// <summary>A generated primitive, printed on failure.</summary>
    public sealed record Case(List<KeyValuePair<string, object?>> Members, bool OnTopic)
    {
        public Dictionary<string, object?> Primitive()
        {
            var primitive = new Dictionary<string, object?>();
            foreach (var (name, value) in Members)
            {
                primitive[name] = value;
            }

            return primitive;
        }

        public override string ToString() => (OnTopic ? "on topic: " : "") + Encoding.UTF8.GetString(Representation.ToArray(ContentSerialization.Json, Primitive()));
    }

    [Fact]
    public void CBOR_and_JSON_of_the_same_primitive_read_to_equal_requests()
    {
        var seed = TestSeed.Resolve(20261207, output);
        var successes = 0;

        foreach (var c in TestSeed.Cases(Cases(), Samples, seed))
        {
            var primitive = c.Primitive();
            MqttTopic? topic = c.OnTopic ? s_topic : null;

            var json = MqttRequestParser.Parse(new ReadOnlySequence<byte>(Representation.ToArray(ContentSerialization.Json, primitive)), topic, s_cse,
                ContentSerialization.Json);
            var cbor = MqttRequestParser.Parse(new ReadOnlySequence<byte>(Representation.ToArray(ContentSerialization.Cbor, primitive)), topic, s_cse,
                ContentSerialization.Cbor);

            var replay = TestSeed.Replay(seed) + c;
            Assert.True(json.Error?.Code == cbor.Error?.Code, $"{replay}: JSON {json.Error} CBOR {cbor.Error}");
            if (json.Error is { } error && !SerializationSpecific(error.Message))
            {
                Assert.True(error.Message == cbor.Error!.Message, $"{replay}: JSON {error.Message} CBOR {cbor.Error.Message}");
            }

            // Error messages are compared above; the rest must be equal whatever the serialization.
            var (fromJson, fromCbor) = (Describe(json with { Error = null }), Describe(cbor with { Error = null }));
            Assert.True(fromJson == fromCbor, $"{replay}:\nJSON {fromJson}\nCBOR {fromCbor}");
            successes += json.Error is null ? 1 : 0;
        }

        // The generator must reach the accepted requests as well as the refusals.
        output.WriteLine($"{successes} of {Samples} accepted");
        Assert.InRange(successes, Samples / 10, Samples - (Samples / 10));
    }

    [Theory]
    [InlineData(ContentSerialization.Json)]
    [InlineData(ContentSerialization.Cbor)]
    public void Where_pc_stands_does_not_change_the_answer(ContentSerialization serialization)
    {
        // pc after op is read where it stands; pc first is marked and read after the checks. A pc refused where it stands
        // must still answer after the checks that precede it (a bad to, ty, rvi…), as the marked pc does.
        var seed = TestSeed.Resolve(20261208, output);
        var inPlace = 0;

        foreach (var c in TestSeed.Cases(Cases(), Samples, seed))
        {
            var others = c.Members.Where(m => m.Key != "pc").ToList();
            var pc = c.Members.Where(m => m.Key == "pc").ToList();
            if (pc.Count == 0)
            {
                continue;
            }

            var first = Parse(serialization, c with { Members = [.. pc, .. others] });
            var last = Parse(serialization, c with { Members = [.. others, .. pc] });

            var replay = TestSeed.Replay(seed) + c;
            Assert.True(first.Error?.Message == last.Error?.Message, $"{replay}: pc first {first.Error} pc last {last.Error}");
            var (fromFirst, fromLast) = (Describe(first), Describe(last));
            Assert.True(fromFirst == fromLast, $"{replay}:\npc first {fromFirst}\npc last {fromLast}");
            inPlace += others.Any(m => m.Key == "op" && m.Value is 1L or 3L) ? 1 : 0;
        }

        // The generator must reach the creates and updates whose pc is read in place.
        output.WriteLine($"{inPlace} of {Samples} with pc read in place");
        Assert.InRange(inPlace, Samples / 10, Samples);
    }

    private static MqttRequest Parse(ContentSerialization serialization, Case c) =>
        MqttRequestParser.Parse(new ReadOnlySequence<byte>(Representation.ToArray(serialization, c.Primitive())), c.OnTopic ? s_topic : null, s_cse,
            serialization);

    [Theory]
    [InlineData("a178", "malformed CBOR")] // a map whose key is a text string with its length missing
    [InlineData("a10102", "not a text string")] // integer map key
    [InlineData("a163727169617201", "unexpected data")] // {"rqi":"a"} and a second item
    [InlineData("83010203", "must be a CBOR map")] // [1,2,3]
    [InlineData("", "must be a CBOR map")]
    [InlineData("a163727169f97e00", "not finite")] // {"rqi": NaN}
    [InlineData("a16372716961ff", "malformed CBOR")] // {"rqi": "<not UTF-8>"}
    [InlineData("a16372716964fffefdfc", "malformed CBOR")] // {"rqi": "<not UTF-8>"}, four bytes
    [InlineData("a1637271697f6161ff", "indefinite-length")] // {"rqi": (_ "a")}
    [InlineData("a16372716979ffff", "malformed CBOR")] // a text of 65535 bytes, none there
    [InlineData("a163727169fb7ff0000000000000", "not finite")] // {"rqi": Infinity}
    [InlineData("a1637271691bffffffffffffffff", "out of range")] // {"rqi": 2^64 - 1}
    [InlineData("a1637271693bffffffffffffffff", "malformed CBOR")] // {"rqi": -2^64}
    public void Malformed_CBOR_primitive_is_4000_with_a_message(string hex, string message)
    {
        var parsed = MqttRequestParser.Parse(new ReadOnlySequence<byte>(Convert.FromHexString(hex)), null, s_cse, ContentSerialization.Cbor);

        Assert.Equal(ResponseStatusCode.BadRequest, parsed.Error?.Code);
        Assert.Contains(message, parsed.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CBOR_primitive_reads_tags_byte_strings_and_simple_values_as_the_CBOR_body_reader_does()
    {
        var writer = new System.Formats.Cbor.CborWriter();
        writer.WriteStartMap(null);
        Text(writer, "op", 1L);
        Text(writer, "to", "cse-in/ae1/cnt");
        Text(writer, "fr", "Cae1");
        writer.WriteTextString("rqi");
        writer.WriteTag(System.Formats.Cbor.CborTag.Uri);
        writer.WriteTextString("r-7");
        Text(writer, "rvi", "3");
        writer.WriteTextString("ty");
        writer.WriteTag(System.Formats.Cbor.CborTag.UnixTimeSeconds);
        writer.WriteUInt32(4);
        writer.WriteTextString("pc");
        writer.WriteStartMap(1);
        writer.WriteTextString("m2m:cin");
        writer.WriteStartMap(2);
        writer.WriteTextString("con");
        writer.WriteByteString([1, 2, 255]);
        writer.WriteTextString("cnf");
        writer.WriteSimpleValue(System.Formats.Cbor.CborSimpleValue.Undefined);
        writer.WriteEndMap();
        writer.WriteEndMap();
        writer.WriteTextString("vsi");
        writer.WriteSimpleValue(System.Formats.Cbor.CborSimpleValue.Undefined);
        writer.WriteEndMap();

        var parsed = MqttRequestParser.Parse(new ReadOnlySequence<byte>(writer.Encode()), null, s_cse, ContentSerialization.Cbor);

        Assert.Null(parsed.Error);
        Assert.Equal("r-7", parsed.RequestIdentifier);
        Assert.Equal(ResourceType.ContentInstance, parsed.Request!.ResourceType);
        Assert.Equal("AQL/", parsed.Request.Content!["con"]);
        Assert.Null(parsed.Request.Content["cnf"]);
        Assert.Null(parsed.VendorInformation);
    }

    private static void Text(System.Formats.Cbor.CborWriter writer, string name, object value)
    {
        writer.WriteTextString(name);
        if (value is string text)
        {
            writer.WriteTextString(text);
        }
        else
        {
            writer.WriteInt64((long)value);
        }
    }

    // Messages that name the serialization or come from its own reader of pc (the same refusal in other words).
    private static bool SerializationSpecific(string message) =>
        message.Contains("JSON", StringComparison.Ordinal) || message.Contains("CBOR", StringComparison.Ordinal)
        || message.Contains("root key", StringComparison.Ordinal) || message.Contains("must be an object", StringComparison.Ordinal);

    private static Gen<Case> Cases()
    {
        var word = Gen.String[Gen.Char['a', 'f'], 0, 4];
        Gen<object?> scalar = Gen.OneOf(
            word.Select(w => (object?)w),
            Gen.Long[-300, 300].Select(n => (object?)n),
            Gen.Bool.Select(b => (object?)b),
            Gen.Const((object?)null),
            // Integral doubles are left out: JSON writes 2.0 as 2, which reads back as an integer.
            Gen.Int[-50, 50].Select(n => (object?)(n + 0.25)));
        var list = scalar.List[0, 3].Select(items => (object?)items);
        var flat = Gen.Select(word.Array[0, 4], scalar.Array[4], (keys, values) => (object?)Map(keys, values));
        var value = Gen.OneOf(scalar, list, flat);
        var attributes = Gen.Select(Gen.OneOf<string>("con", "cnf", "lbl", "rn", "mni", "api", "rr", "srv", "zz", "con").Array[0, 5], value.Array[5],
            (keys, values) => Map(keys, values));
        var content = Gen.OneOf(
            attributes.Select(a => (object?)new Dictionary<string, object?> { ["m2m:cin"] = a }),
            attributes.Select(a => (object?)new Dictionary<string, object?> { ["m2m:cnt"] = a }),
            attributes.Select(a => (object?)new Dictionary<string, object?> { ["m2m:ae"] = a }),
            Gen.OneOf<object?>(
                (object?)null, 3L, "text", new List<object?>(), new Dictionary<string, object?>(),
                new Dictionary<string, object?> { ["m2m:cnt"] = 3L },
                new Dictionary<string, object?> { ["m2m:cnt"] = new Dictionary<string, object?>(), ["m2m:cin"] = new Dictionary<string, object?>() },
                new Dictionary<string, object?> { ["m2m:atrl"] = new List<object?> { "lbl", "rn" } },
                new Dictionary<string, object?> { ["m2m:atrl"] = new List<object?> { "lbl", 3L } },
                new Dictionary<string, object?> { ["m2m:atrl"] = "lbl" }));

        // Mostly valid values, so that about a third of the primitives are accepted; the rest are refused for one reason
        // or several. A create mostly names a type and content that agree.
        var members = new[]
        {
            Member("op", 97, Gen.OneOf<object?>(1L, 1L, 1L, 2L, 2L, 3L, 4L, "2"), 7L, "x", true, 1.5, 5L),
            Member("to", 97, Gen.OneOf<object?>("cse-in/ae1/cnt", "cse-in", "/id-in/cse-in/x", "~/id-in/cse-in", "cse-in/ae1/c#lbl", "Cae1/cnt"),
                "", "cse-in/c#", 5L, null, new List<object?> { "x" }, "/id-mn/cse-mn/x"),
            Member("fr", 97, Gen.OneOf<object?>("Cae1", "Cae1", "C", "/id-in/Cae1"), "", "S", 3L, null, "CAdmin", "/id-mn/Cx"),
            Member("rqi", 98, Gen.OneOf<object?>("r1", 42L), "", null, true, new Dictionary<string, object?>()),
            Member("rvi", 90, Gen.OneOf<object?>("3", 3L), "2a", "4", "1", "x"),
            Member("fc", 10, Gen.OneOf<object?>(
                new Dictionary<string, object?> { ["lbl"] = new List<object?> { "a", "b" }, ["ty"] = 3L },
                new Dictionary<string, object?> { ["atr"] = new List<object?> { new Dictionary<string, object?> { ["nm"] = "rn", ["val"] = "x" } } },
                new Dictionary<string, object?> { ["atr"] = new Dictionary<string, object?> { ["rn"] = "x", ["lbl"] = 2L } },
                new Dictionary<string, object?> { ["fu"] = 1L, ["lim"] = 5L, ["cra"] = "20260101T000000" }),
                new Dictionary<string, object?> { ["atr"] = new List<object?> { new Dictionary<string, object?> { ["val"] = 1L } } },
                new Dictionary<string, object?> { ["atr"] = new List<object?> { 3L } },
                new Dictionary<string, object?> { ["atr"] = new Dictionary<string, object?> { ["rcn"] = 1L } },
                "bad"),
            Member("rcn", 10, Gen.OneOf<object?>(1L, 4L, 0L), "x", new List<object?> { 1L, 2L }, 7L),
            Member("drt", 10, Gen.OneOf<object?>(1L, 2L), "3"),
            Member("rt", 15, Gen.OneOf<object?>(
                new Dictionary<string, object?> { ["rtv"] = 1L },
                new Dictionary<string, object?> { ["rtv"] = 5L },
                new Dictionary<string, object?> { ["rtv"] = 3L, ["nu"] = new List<object?> { "http://x", "" } }),
                3L,
                new Dictionary<string, object?> { ["rtv"] = 3L, ["nu"] = "x" },
                new Dictionary<string, object?> { ["nu"] = new List<object?> { 1L } }),
            Member("rqet", 10, Gen.OneOf<object?>("PT10S", "20991231T000000", 1000L), "-5", "x"),
            Member("rset", 5, Gen.OneOf<object?>("PT10S", "20991231T000000", 1000L)),
            Member("oet", 5, Gen.OneOf<object?>("20200101T000000", "PT1S")),
            Member("ot", 10, Gen.OneOf<object?>("20261206T120000", 7L)),
            Member("vsi", 10, Gen.OneOf<object?>("v1", null), 3L),
            Member("gid", 10, Gen.OneOf<object?>("g1"), 1L),
            Member("atrl", 5, Gen.OneOf<object?>(new List<object?> { "lbl" }, "lbl")),
            Member("ec", 10, Gen.OneOf<object?>(2L, "x")),
            Member("zz", 20, value),
        };

        // ty and pc: a matching pair (or none) most of the time, else each drawn on its own.
        var createPairs = Gen.OneOf(
            attributes.Select(a => Pair(4L, "m2m:cin", a)),
            attributes.Select(a => Pair(3L, "m2m:cnt", a)),
            attributes.Select(a => Pair(2L, "m2m:ae", a)),
            Gen.Const(new List<KeyValuePair<string, object?>>()),
            Gen.Const(new List<KeyValuePair<string, object?>> { new("pc", new Dictionary<string, object?> { ["m2m:atrl"] = new List<object?> { "lbl" } }) }));
        var looseTyped = Gen.Select(Member("ty", 50, Gen.OneOf<object?>(4L, 3L, 2L, "4"), 23L, 999L, "q"), Member("pc", 60, content), (ty, pc) =>
        {
            var list = new List<KeyValuePair<string, object?>>();
            if (ty is { } t)
            {
                list.Add(t);
            }

            if (pc is { } p)
            {
                list.Add(p);
            }

            return list;
        });
        var typed = Gen.Frequency((3, createPairs), (1, looseTyped));

        var all = typed;
        foreach (var member in members)
        {
            all = all.SelectMany(present => member.Select(m =>
            {
                var next = new List<KeyValuePair<string, object?>>(present);
                if (m is { } pair)
                {
                    next.Add(pair);
                }

                return next;
            }));
        }

        // Members in any order: pc before or after op and ty, rqi last, and so on.
        return Gen.Select(all, Gen.Int, Gen.Int[0, 9], (present, order, topic) =>
        {
            var shuffled = present.ToArray();
            new Random(order).Shuffle(shuffled);
            return new Case([.. shuffled], topic == 0);
        });
    }

    // Present in percent of the primitives; then one of the invalid values one time in ten, else a valid one.
    private static Gen<KeyValuePair<string, object?>?> Member(string name, int percent, Gen<object?> valid, params object?[] invalid) =>
        Gen.Int[0, 99].SelectMany(p => p >= percent
            ? Gen.Const((KeyValuePair<string, object?>?)null)
            : (invalid.Length > 0 && p % 10 == 0 ? Gen.OneOf(invalid) : valid)
                .Select(v => (KeyValuePair<string, object?>?)new KeyValuePair<string, object?>(name, v)));

    private static List<KeyValuePair<string, object?>> Pair(long type, string root, Dictionary<string, object?> attributes) =>
        [new("ty", type), new("pc", new Dictionary<string, object?> { [root] = attributes })];

    private static Dictionary<string, object?> Map(string[] keys, object?[] values)
    {
        var map = new Dictionary<string, object?>();
        for (var i = 0; i < keys.Length; i++)
        {
            map.TryAdd(keys[i], values[i]);
        }

        return map;
    }

    // Everything a parsed request carries, as text: collections by value, records and structs by their properties.
    private static string Describe(object? value, int depth = 0)
    {
        if (depth > 16)
        {
            return "…";
        }

        switch (value)
        {
            case null:
                return "null";
            case string text:
                return "\"" + text + "\"";
            case ReadOnlyMemory<char> chars:
                return "\"" + chars + "\"";
            case double real:
                return real.ToString("R", CultureInfo.InvariantCulture);
            case IFormattable formattable when value.GetType().IsPrimitive || value.GetType().IsEnum || value is decimal or DateTimeOffset or DateTime or TimeSpan:
                return value.GetType().Name + ":" + formattable.ToString(null, CultureInfo.InvariantCulture);
            case bool flag:
                return flag ? "true" : "false";
            case IDictionary map:
                return "{" + string.Join(",", map.Keys.Cast<object>().Select(k => k.ToString()!).Order(StringComparer.Ordinal)
                    .Select(k => k + ":" + Describe(map[k], depth + 1))) + "}";
            case IEnumerable items:
                return "[" + string.Join(",", items.Cast<object?>().Select(i => Describe(i, depth + 1))) + "]";
        }

        var type = value.GetType();
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + Describe(p.GetValue(value), depth + 1));
        return type.Name + "(" + string.Join(",", properties) + ")";
    }
}
