using System.Text.Json.Nodes;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Bindings.SuiteContent;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// The <c>&lt;dynamicAuthorizationConsultation&gt;</c> (ty 34) over HTTP and MQTT: its attributes checked (4000 with
/// a message), discovery and access control on it; and a resource naming it in <c>daci</c>: a request no policy
/// grants is put to the server in <c>dap</c> (<c>m2m:seci</c>, <c>sit</c> 1), whose answer (<c>sit</c> 2, <c>gp</c>,
/// <c>pl</c>) grants what it says for its lifetime without asking again; a refusal, a silent server or a disabled
/// consultation leaves the 4103 with a reason.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class DynamicAuthorizationSuiteTests(BindingsFixture fixture)
{
    public static TheoryData<string> Bindings() => ["http", "mqtt"];

    private Task<(IBindingClient Client, string AeId)> RegisterAsync(string binding) =>
        SuiteContent.RegisterAsync(fixture, binding, ContentSerialization.Json, "dac");

    private static Dictionary<string, object?> Consultation(string name, bool enabled, params string[] servers) =>
        Tree("m2m:dac", ("rn", name), ("dae", enabled), ("dap", List([.. servers])));

    private static string Grant(string originator, long operations) =>
        "{\"m2m:seci\":{\"sit\":2,\"dai\":{\"gp\":{\"acr\":[{\"acor\":[\"" + originator + "\"],\"acop\":" + operations + "}]},\"pl\":\"20991231T000000\"}}}";

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_consultation_resource_is_checked_kept_and_discovered(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding);
        await using var _ = client;
        var ae = "cse-in/" + aeId;

        var created = await client.SendAsync(new TestPrimitive(1, ae, aeId, 34,
            Tree("m2m:dac", ("rn", "das"), ("dae", true), ("dap", List("http://127.0.0.1:9/das")), ("dal", "20991231T000000"))));
        var byType = await client.SendAsync(new TestPrimitive(2, ae, aeId, Parameters: new Dictionary<string, string> { ["fu"] = "1", ["ty"] = "34" }));
        var updated = await client.SendAsync(new TestPrimitive(3, ae + "/das", aeId, Content: Tree("m2m:dac", ("dae", false))));
        var (stranger, strangerId) = await RegisterAsync(binding);
        await using var __ = stranger;
        var outsider = await stranger.SendAsync(new TestPrimitive(2, ae + "/das", strangerId));
        var cases = new (string What, TestAnswer Answer, string Mentions)[]
        {
            ("no dae", await client.SendAsync(new TestPrimitive(1, ae, aeId, 34, Tree("m2m:dac", ("dap", List("http://x/y"))))), "dae"),
            ("dae not a boolean", await client.SendAsync(new TestPrimitive(1, ae, aeId, 34, Tree("m2m:dac", ("dae", "yes")))), "dae"),
            ("dap with a blank", await client.SendAsync(new TestPrimitive(1, ae, aeId, 34, Tree("m2m:dac", ("dae", true), ("dap", List("a b"))))), "dap"),
            ("dal not a time", await client.SendAsync(new TestPrimitive(1, ae, aeId, 34, Tree("m2m:dac", ("dae", true), ("dal", "soon")))), "dal"),
        };
        var deleted = await client.SendAsync(new TestPrimitive(4, ae + "/das", aeId));

        Assert.True(created.Rsc == 2001, created.ToString());
        var consultation = created.Resource("m2m:dac");
        Assert.Equal(34L, consultation["ty"]);
        Assert.StartsWith("dac", (string)consultation["ri"]!, StringComparison.Ordinal);
        Assert.Equal(List(ae + "/das"), byType.Content?["m2m:uril"]);
        Assert.True(updated.Rsc == 2004, updated.ToString());
        Assert.Equal(false, updated.Resource("m2m:dac")["dae"]);
        Assert.True(outsider.Rsc == 4103, outsider.ToString());
        foreach (var (what, answer, mentions) in cases)
        {
            Assert.True(answer.Rsc == 4000, $"{what}: expected 4000, got {answer}");
            Assert.Contains(mentions, answer.Debug ?? "", StringComparison.Ordinal);
        }

        Assert.Equal(2002, deleted.Rsc);
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_server_grants_what_no_policy_does_for_its_lifetime(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding);
        await using var _ = client;
        var (stranger, strangerId) = await RegisterAsync(binding);
        await using var __ = stranger;
        await using var server = new NotificationReceiver { AnswerContent = Grant(strangerId, 2) };
        var ae = "cse-in/" + aeId;
        var dac = await client.SendAsync(new TestPrimitive(1, ae, aeId, 34, Consultation("das", true, server.Url)));
        Assert.True(dac.Rsc == 2001, dac.ToString());
        var dacId = (string)dac.Resource("m2m:dac")["ri"]!;
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", "box"), ("daci", List(dacId)))))).Rsc);

        var first = await stranger.SendAsync(new TestPrimitive(2, ae + "/box", strangerId));
        var second = await stranger.SendAsync(new TestPrimitive(2, ae + "/box", strangerId));
        var consultations = server.Received.Count;
        var update = await stranger.SendAsync(new TestPrimitive(3, ae + "/box", strangerId, Content: Tree("m2m:cnt", ("lbl", List("x")))));

        Assert.True(first.Rsc == 2000, first.ToString());
        Assert.Equal("box", first.Resource("m2m:cnt")["rn"]);
        Assert.True(second.Rsc == 2000, second.ToString());
        Assert.Equal(1, consultations);
        var request = JsonNode.Parse(server.Received.First().Body)!["m2m:seci"]!;
        Assert.Equal(1, request["sit"]!.GetValue<int>());
        Assert.Equal(strangerId, request["dreq"]!["org"]!.GetValue<string>());
        Assert.Equal(2, request["dreq"]!["op"]!.GetValue<int>());
        Assert.Equal(3, request["dreq"]!["trt"]!.GetValue<int>());
        Assert.Equal(ae + "/box", request["dreq"]!["trid"]!.GetValue<string>());
        Assert.True(update.Rsc == 4103, update.ToString());
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_refusal_silence_or_disabled_consultation_leaves_4103_with_a_reason(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding);
        await using var _ = client;
        var (stranger, strangerId) = await RegisterAsync(binding);
        await using var __ = stranger;
        await using var refusing = new NotificationReceiver { AnswerWith = 4103 };
        await using var empty = new NotificationReceiver { AnswerContent = "{\"m2m:seci\":{\"sit\":2}}" };
        var ae = "cse-in/" + aeId;
        var ids = new List<object?>();
        foreach (var (name, enabled, url) in new[] { ("refusing", true, refusing.Url), ("empty", true, empty.Url), ("silent", true, "http://127.0.0.1:1/das"), ("off", false, empty.Url) })
        {
            var dac = await client.SendAsync(new TestPrimitive(1, ae, aeId, 34, Consultation(name, enabled, url)));
            Assert.True(dac.Rsc == 2001, dac.ToString());
            ids.Add(dac.Resource("m2m:dac")["ri"]);
        }

        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", "box"), ("daci", ids))))).Rsc);

        var denied = await stranger.SendAsync(new TestPrimitive(2, ae + "/box", strangerId));

        Assert.True(denied.Rsc == 4103, denied.ToString());
        Assert.Contains("answered 4103", denied.Debug, StringComparison.Ordinal);
        Assert.Contains("granted nothing", denied.Debug, StringComparison.Ordinal);
        Assert.Contains("did not answer", denied.Debug, StringComparison.Ordinal);
        Assert.Contains("disabled", denied.Debug, StringComparison.Ordinal);
        Assert.Single(refusing.Received);
        Assert.Single(empty.Received);
    }
}
