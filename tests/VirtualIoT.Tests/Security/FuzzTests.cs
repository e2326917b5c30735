using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;
using Xunit.Abstractions;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// Thousands of generated malformed HTTP requests and MQTT request primitives (CsCheck) against the running embedded
/// platform with its default settings: none may be answered 5000 (HTTP 500), the platform must keep answering, and the stored
/// resources must be exactly as before (every write the generator makes carries at least one defect that the
/// standard says must refuse it: an unknown attribute, bad JSON, an unsupported release, a stranger's originator).
/// Bounded: a fixed number of samples, each one request, drawn from a fixed seed (<see cref="TestSeed"/>).
/// </summary>
[Collection(MqttCollection.Name)]
public sealed class FuzzTests(MqttFixture fixture, ITestOutputHelper output)
{
    private const int HttpSamples = 5000;
    private const int MqttSamples = 3000;

    /// <summary>A generated HTTP request, printed on failure (after shrinking) to reproduce it.</summary>
    public sealed record HttpCase(string Method, string Path, string? Originator, string? Rvi, string? Rqi, string? ContentType, string? Body)
    {
        public override string ToString() =>
            $"{Method} {Path} From={Originator ?? "∅"} RVI={Rvi ?? "∅"} RI={Rqi ?? "∅"} CT={ContentType ?? "∅"} Body={Body ?? "∅"}";
    }

    [Fact]
    public async Task Malformed_HTTP_requests_get_no_5000_and_change_nothing()
    {
        var tree = await TreeAsync();
        var before = await SnapshotAsync(tree);
        var http = fixture.Http.Http;

        var seed = TestSeed.Resolve(5000, output);

        await Parallel.ForEachAsync(TestSeed.Cases(HttpCases(tree), HttpSamples, seed), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (c, _) =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
            AddHeader(request, "X-M2M-Origin", c.Originator);
            AddHeader(request, "X-M2M-RVI", c.Rvi);
            AddHeader(request, "X-M2M-RI", c.Rqi);
            if (c.Body is not null)
            {
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(c.Body));
                request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType ?? "");
            }

            using var response = await http.SendAsync(request);
            var rsc = response.Headers.TryGetValues("X-M2M-RSC", out var values) ? int.Parse(values.First(), System.Globalization.CultureInfo.InvariantCulture) : 0;
            // 4001 is HTTP 501 and 5001/5207 are legitimate refusals; 5000 (HTTP 500) is the CSE failing. Kestrel itself
            // answers a bare 400 to a request line it will not read (an encoded NUL in the path) before the CSE sees it.
            Assert.True(response.StatusCode != HttpStatusCode.InternalServerError && rsc != 5000
                && (rsc != 0 || (response.StatusCode == HttpStatusCode.BadRequest && c.Path.Contains("%00", StringComparison.Ordinal))),
                $"{TestSeed.Replay(seed)}{c} answered {(int)response.StatusCode} / {rsc}: {await response.Content.ReadAsStringAsync()}");
        });

        await AssertUnchangedAsync(tree, before);
    }

    [Fact]
    public async Task Malformed_MQTT_primitives_get_no_5000_and_change_nothing()
    {
        var tree = await TreeAsync();
        var before = await SnapshotAsync(tree);
        var clientId = "Cfz" + Guid.NewGuid().ToString("N")[..10];
        await using var client = await fixture.ConnectAsync(clientId, mqtt5: true);
        await client.SubscribeAsync(ResponseTopic(clientId));
        await client.SubscribeAsync($"/oneM2M/reg_resp/{clientId}/id-in/json");

        var seed = TestSeed.Resolve(3000, output);
        var answerable = new HashSet<string>([RequestTopic(clientId), $"/oneM2M/reg_req/{clientId}/id-in/json"], StringComparer.Ordinal);
        var answered = 0;

        // One request at a time, each answered or refused by a definite rule before the next: the binding answers
        // every request it accepts (its PUBACK comes after the answer is queued), and drops only what it says it
        // drops, with an MQTT 5 reason code (no rqi, a malformed or foreign topic, an unreadable serialization).
        // A topic of another CSE is not a request to this one: a plain broker passes it on, unanswered.
        var cases = TestSeed.Cases(MqttCases(tree, clientId), MqttSamples, seed);
        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            // A unique rqi per request, so each answer is matched to its request.
            var payload = c.Payload.Replace("\"rqi\":\"", $"\"rqi\":\"{i}-", StringComparison.Ordinal);
            var rqi = RequestIdentifierOf(payload);
            var arrival = rqi is null ? null : client.ExpectAsync(rqi);
            var ack = await client.PublishAsync(c.Topic, payload);
            var failure = $"{TestSeed.Replay(seed)}case {i}: {c.Topic} {payload}";
            if (ack.ReasonCode is not (MQTTnet.MqttClientPublishReasonCode.Success or MQTTnet.MqttClientPublishReasonCode.NoMatchingSubscribers)
                || !answerable.Contains(c.Topic))
            {
                Assert.True(ack.ReasonCode != MQTTnet.MqttClientPublishReasonCode.UnspecifiedError, failure + " got PUBACK UnspecifiedError");
                if (rqi is not null)
                {
                    client.Forget(rqi);
                }

                continue;
            }

            Assert.True(arrival is not null, failure + " was accepted though it carries no rqi: its answer cannot be matched");
            var answer = await arrival;
            Assert.True(answer.Rsc is not (0 or 5000), failure + " answered " + answer.Text);
            answered++;
        }

        output.WriteLine($"{answered} of {MqttSamples} requests answered, the rest dropped by rule");
        var alive = NewRqi();
        Assert.NotEqual(0, (await client.RequestAsync(RequestTopic(clientId), Primitive(2, "cse-in", clientId, alive, extra: """{"rvi":"3"}"""), alive)).Rsc);
        await AssertUnchangedAsync(tree, before);
    }

    // The rqi the binding reads from a payload: the top-level "rqi" of a JSON object, a string or (tolerated) a number
    // or boolean as written.
    private static string? RequestIdentifierOf(string payload)
    {
        try
        {
            return JsonNode.Parse(payload) is JsonObject primitive && primitive["rqi"] is JsonValue value
                ? value.TryGetValue<string>(out var text) ? text : value.ToJsonString()
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>A generated MQTT publish.</summary>
    public sealed record MqttCase(string Topic, string Payload)
    {
        public override string ToString() => $"{Topic} {Payload}";
    }

    /// <summary>The resources the fuzzer aims at: an AE with a container holding two instances and a child container.</summary>
    public sealed record Tree(string AeId, string Container, string Child, string InstanceRi);

    private async Task<Tree> TreeAsync()
    {
        var client = fixture.Http;
        var aeId = await client.RegisterAe("Cfuzz" + Guid.NewGuid().ToString("N")[..10]);
        var container = await client.CreateContainer("/cse-in/" + aeId, aeId, "data", ""","mni":10,"lbl":["k:v"]""");
        var child = await client.CreateContainer(container, aeId, "sub");
        await client.CreateInstance(container, aeId, "1");
        var instance = await client.CreateInstance(container, aeId, "2");
        return new Tree(aeId, container, child, instance["ri"]!.GetValue<string>());
    }

    /// <summary>
    /// Every resource of the CSE (discovery as the administrator) and the full representation of the fuzzer's subtree.
    /// </summary>
    private sealed record Snapshot(IReadOnlySet<string> Uris, string Subtree);

    private async Task<Snapshot> SnapshotAsync(Tree tree)
    {
        var client = fixture.Http;
        var all = await client.Discover("/cse-in", OneM2MClient.Admin, "lim=100000");
        Assert.Equal(2000, all.Rsc);
        var uris = all.Json!["m2m:uril"]!.AsArray().Select(u => u!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var subtree = await client.Retrieve("/cse-in/" + tree.AeId + "?rcn=4", OneM2MClient.Admin);
        Assert.Equal(2000, subtree.Rsc);
        return new Snapshot(uris, subtree.Body);
    }

    // The fuzz changed nothing: its subtree is exactly as it was and no resource appeared anywhere. Resources outside
    // the subtree may have gone meanwhile: the fixture is shared, and other tests' resources expire on their own (a
    // non-blocking request's <request> once did, between the two snapshots); the fuzz addresses only its own subtree
    // and the CSEBase, which cannot be deleted.
    private async Task AssertUnchangedAsync(Tree tree, Snapshot before)
    {
        var after = await SnapshotAsync(tree);
        Assert.Equal(before.Subtree, after.Subtree);
        Assert.Empty(after.Uris.Except(before.Uris).Order(StringComparer.Ordinal));
    }

    private static void AddHeader(HttpRequestMessage request, string name, string? value)
    {
        if (value is not null)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    private static readonly Gen<string> s_junk = Gen.String[Gen.Char[' ', '~'], 0, 40];
    private static readonly Gen<string> s_name = Gen.String[Gen.Char.AlphaNumeric, 1, 12];

    // A stranger: an originator that owns nothing (never registered), or a malformed one.
    private static readonly Gen<string?> s_stranger = Gen.OneOf(
        s_name.Select(n => (string?)("Cx" + n)),
        Gen.OneOf<string?>(null, "", "C", "S", "/id-in", "//x/y/z", "not an id", new string('C', 5000)),
        s_junk.Select(j => (string?)j));

    private static Gen<string> Paths(Tree tree) => Gen.OneOf(
        Gen.OneOf("/cse-in", "/cse-in/" + tree.AeId, tree.Container, tree.Child, tree.Container + "/la", tree.Container + "/ol",
            "/~/id-in/cse-in/" + tree.AeId, "/_/virtualiot.example.com/id-in/cse-in", "/" + tree.InstanceRi, "/id-in", "/-/" + tree.AeId,
            "/cse-in/../cse-in", "/~/", "/_/", "/~/other-cse/x", "/" + new string('a', 3000), "/cse-in/%00", "/cse-in/%zz"),
        s_name.Select(n => "/cse-in/" + n),
        Gen.Select(Gen.OneOf("/cse-in", tree.Container, "/cse-in/" + tree.AeId),
            Gen.OneOf("rcn=99", "rcn=-1", "fu=1&lim=-5", "fu=1&lim=abc", "fu=9", "ty=abc", "ty=2+x", "lvl=0", "ofst=-1",
                "drt=7", "atrl=+", "crb=yesterday", "fu=1&szb=-1", "fu=2&cra=20990101T000000", "rt=9", "rp=x", "a=%zz", "lbl=&lbl=",
                "fu=1&lbq=key%20IN%20(", "rcn=4&lvl=999999999999", "fu=1&lim=100000000000"),
            (p, q) => p + "?" + q));

    private static readonly Gen<string?> s_rvi = Gen.OneOf<string?>("3", "4", "2a", "1", "0", "99", "", null, "three");

    // Bodies a CSE must refuse: not JSON, cut short, a wrong root, wrong value types, an attribute no type defines.
    private static readonly Gen<string> s_defectiveBody = Gen.OneOf(
        s_junk,
        Gen.OneOf("{", "[]", "null", "42", "\"x\"", "{\"m2m:cnt\":", "{\"m2m:cnt\":{\"rn\":}", "{\"m2m:cnt\":{}}x", "\u0000",
            "{\"m2m:cnt\":{\"rn\":\"a\",\"rn\":\"b\",\"zzUnknown\":1}}", new string('[', 5000), "{\"m2m:cnt\":{\"mni\":1e400,\"zz\":0}}"),
        Gen.Select(Gen.OneOf("m2m:cnt", "m2m:cin", "m2m:ae", "m2m:sub", "m2m:grp", "m2m:acp", "m2m:xyz", "cnt", ""),
            Gen.OneOf("\"rn\":\"ok\"", "\"rn\":5", "\"mni\":\"10\"", "\"mni\":-1", "\"lbl\":\"x\"", "\"lbl\":[1]", "\"con\":\"v\"",
                "\"api\":\"Nx\",\"rr\":\"true\"", "\"nu\":[]", "\"et\":\"yesterday\"", "\"ri\":\"forged\"", "\"ct\":\"20200101T000000\"",
                "\"acpi\":[]", "\"cr\":\"someone\"", "\"rn\":\"..\"", "\"pi\":\"x\""),
            (root, attribute) => $"{{\"{root}\":{{{attribute},\"zzNotAnAttribute\":true}}}}"));

    private static readonly Gen<string?> s_contentType = Gen.OneOf<string?>("application/json;ty=3", "application/json;ty=4",
        "application/json;ty=2", "application/json; ty=23", "application/json;ty=abc", "application/json;ty=999", "application/json",
        "text/plain", "application/xml;ty=3", "application/json;ty=3;ty=4", "", null, "application/vnd.onem2m-res+json;ty=1");

    private static Gen<HttpCase> HttpCases(Tree tree) => Gen.OneOf(
        // Reads: anything goes.
        Gen.Select(Paths(tree), Gen.OneOf(s_stranger, Gen.OneOf<string?>(tree.AeId, OneM2MClient.Admin)), s_rvi, s_junk.Select(j => (string?)j),
            (path, originator, rvi, rqi) => new HttpCase("GET", path, originator, rvi, rqi, null, null)),
        // Creates, updates, odd methods: always a defective body.
        Gen.Select(Gen.OneOf("POST", "PUT", "PATCH", "OPTIONS"), Paths(tree), Gen.OneOf(s_stranger, Gen.OneOf<string?>(tree.AeId, OneM2MClient.Admin)),
            s_rvi, s_contentType, s_defectiveBody,
            (method, path, originator, rvi, contentType, body) => new HttpCase(method, path, originator, rvi, "f1", contentType, body)),
        // Deletes: by a stranger, or with an unsupported release.
        Gen.Select(Paths(tree), s_stranger, (path, originator) => new HttpCase("DELETE", path, originator, "3", "f2", null, null)),
        Gen.Select(Paths(tree), Gen.OneOf("1", "99", "three"), (path, rvi) => new HttpCase("DELETE", path, tree.AeId, rvi, "f3", null, null)));

    private static Gen<MqttCase> MqttCases(Tree tree, string clientId)
    {
        var request = RequestTopic(clientId);
        var targets = Gen.OneOf("cse-in", "cse-in/" + tree.AeId, tree.Container.TrimStart('/'), tree.Child.TrimStart('/'),
            tree.InstanceRi, "/id-in/cse-in", "//x/id-in/cse-in", "", "cse-in/nothing/here");
        var primitive = Gen.OneOf(
            // Retrieves and discoveries with odd parameters.
            Gen.Select(targets, Gen.OneOf("", ",\"rcn\":99", ",\"fc\":{\"fu\":1,\"lim\":-1}", ",\"fc\":7", ",\"rcn\":\"4\"", ",\"drt\":3"),
                Gen.OneOf("\"3\"", "3", "\"1\"", "null", "[]"),
                (to, extra, rvi) => $"{{\"op\":2,\"to\":\"{to}\",\"fr\":\"{clientId}\",\"rqi\":\"q\",\"rvi\":{rvi}{extra}}}"),
            // Creates and updates: always an attribute no type defines, or not an object.
            Gen.Select(Gen.OneOf(1, 3), targets, Gen.OneOf("2", "3", "4", "23", "\"3\"", "-1", "null"),
                Gen.OneOf("{\"m2m:cnt\":{\"rn\":\"x\",\"zz\":1}}", "{\"m2m:cin\":{\"con\":\"v\",\"zz\":1}}", "\"text\"", "[]", "{}",
                    "{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":false,\"srv\":[\"3\"],\"zz\":1}}", "null"),
                (op, to, ty, pc) => $"{{\"op\":{op},\"to\":\"{to}\",\"fr\":\"{clientId}\",\"rqi\":\"c\",\"rvi\":\"3\",\"ty\":{ty},\"pc\":{pc}}}"),
            // Deletes: the client is a stranger to the tree; also another fr than the topic's.
            Gen.Select(targets, Gen.OneOf(clientId, tree.AeId, "CAdmin", ""),
                (to, fr) => $"{{\"op\":4,\"to\":\"{to}\",\"fr\":\"{fr}\",\"rqi\":\"d\",\"rvi\":\"3\"}}"),
            // Structural junk.
            Gen.OneOf("", "{", "[]", "null", "{\"op\":\"1\"}", "{\"op\":9,\"rqi\":\"j\"}", "{\"rqi\":5}", "{\"op\":2,\"rqi\":\"j\"}",
                "{\"op\":2,\"to\":\"cse-in\",\"rqi\":\"j\",\"rqet\":\"garbage\"}", "{\"op\":2,\"to\":\"cse-in\",\"rqi\":\"j\",\"rt\":{\"rtv\":\"x\"}}",
                new string('{', 3000)),
            s_junk);
        var topics = Gen.OneOf(request, request, request, $"/oneM2M/reg_req/{clientId}/id-in/json", $"/oneM2M/req/{clientId}/id-in/xml",
            $"/oneM2M/req/{clientId}/other-cse/json", $"/oneM2M/req/{clientId}", "/oneM2M/req//id-in/json");
        return Gen.Select(topics, primitive, (topic, payload) => new MqttCase(topic, payload));
    }
}
