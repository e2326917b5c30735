using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Bindings.SuiteContent;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// <c>&lt;action&gt;</c> (ty 65) and <c>&lt;dependency&gt;</c> (ty 66) over HTTP and MQTT: an action sends its request
/// (<c>apv</c>) to its object resource when an update of its subject (its parent, or <c>sri</c>) meets its criteria and
/// its dependencies hold, as often as its mode allows; an update of <c>sri</c> moves it to another subject; bad
/// attributes answer 4000 with a reason. Firings are observed
/// as content instances the actions create, waited for to a deadline.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class ActionSuiteTests(BindingsFixture fixture)
{
    public static TheoryData<string> Bindings() => ["http", "mqtt"];

    private Task<(IBindingClient Client, string AeId)> RegisterAsync(string binding) =>
        SuiteContent.RegisterAsync(fixture, binding, ContentSerialization.Json, "act");

    private static Dictionary<string, object?> Criteria(string subject, long operation, object threshold) =>
        new() { ["sbjt"] = subject, ["optr"] = operation, ["thld"] = threshold };

    private static Dictionary<string, object?> CreateInstance(string from, string text) => new()
    {
        ["op"] = 1L, ["fr"] = from, ["ty"] = 4L, ["pc"] = new Dictionary<string, object?> { ["m2m:cin"] = new Dictionary<string, object?> { ["con"] = text } },
    };

    private static Dictionary<string, object?> Action(string name, Dictionary<string, object?> criteria, long mode, string target, Dictionary<string, object?> primitive,
        params (string Name, object? Value)[] more) =>
        Tree("m2m:actr", [("rn", name), ("evc", criteria), ("evm", mode), ("orc", target), ("apv", primitive), .. more]);

    private static async Task<long> Instances(IBindingClient client, string container, string from) =>
        (long)(await client.SendAsync(new TestPrimitive(2, container, from))).Resource("m2m:cnt")["cni"]!;

    private static async Task WaitForInstances(IBindingClient client, string container, string from, long count)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(30));
        long seen;
        while ((seen = await Instances(client, container, from)) < count)
        {
            Assert.False(deadline.Passed, $"{container} has {seen} content instances, waited for {count}");
            await Task.Delay(50);
        }
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task An_action_fires_once_when_its_parent_meets_the_criteria(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding);
        await using var _ = client;
        var ae = "cse-in/" + aeId;
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", "out"))))).Rsc);
        var created = await client.SendAsync(new TestPrimitive(1, ae, aeId, 65,
            Action("go", Criteria("apn", 1, "start"), 1, ae + "/out", CreateInstance(aeId, "fired"))));

        var notYet = await client.SendAsync(new TestPrimitive(3, ae, aeId, Content: Tree("m2m:ae", ("apn", "wait"))));
        var start = await client.SendAsync(new TestPrimitive(3, ae, aeId, Content: Tree("m2m:ae", ("apn", "start"))));
        await WaitForInstances(client, ae + "/out", aeId, 1);
        var deadline = Deadline.In(TimeSpan.FromSeconds(30));
        Dictionary<string, object?> action;
        while ((action = (await client.SendAsync(new TestPrimitive(2, ae + "/go", aeId))).Resource("m2m:actr")).GetValueOrDefault("air") is null)
        {
            Assert.False(deadline.Passed, "the action's result (air) never came");
            await Task.Delay(50);
        }

        var discovered = await client.SendAsync(new TestPrimitive(2, ae, aeId, Parameters: new Dictionary<string, string> { ["fu"] = "1", ["ty"] = "65" }));
        var (stranger, strangerId) = await RegisterAsync(binding);
        await using var __ = stranger;
        var outsider = await stranger.SendAsync(new TestPrimitive(2, ae + "/go", strangerId));

        Assert.True(created.Rsc == 2001, created.ToString());
        Assert.StartsWith("actr", (string)created.Resource("m2m:actr")["ri"]!, StringComparison.Ordinal);
        Assert.Equal(2004, notYet.Rsc);
        Assert.Equal(2004, start.Rsc);
        Assert.Equal(2001L, ((Dictionary<string, object?>)action["air"]!)["rsc"]);
        Assert.Equal(List(ae + "/go"), discovered.Content?["m2m:uril"]);
        Assert.True(outsider.Rsc == 4103, outsider.ToString());
        Assert.Equal(1L, await Instances(client, ae + "/out", aeId));
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_continuous_action_on_another_subject_waits_for_its_dependency_and_stops_after_ecp_firings(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding);
        await using var _ = client;
        var ae = "cse-in/" + aeId;
        foreach (var (name, mni) in new[] { ("dial", 5L), ("switch", 2L), ("out", 100L), ("marker", 100L) })
        {
            Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", name), ("mni", mni))))).Rsc);
        }

        var twice = await client.SendAsync(new TestPrimitive(1, ae, aeId, 65,
            Action("twice", Criteria("mni", 3, 10L), 3, ae + "/out", CreateInstance(aeId, "fired"), ("sri", ae + "/dial"), ("ecp", 2L))));
        var marker = await client.SendAsync(new TestPrimitive(1, ae, aeId, 65,
            Action("watcher", Criteria("mni", 5, 0L), 3, ae + "/marker", CreateInstance(aeId, "seen"), ("sri", ae + "/dial"))));
        var dependency = await client.SendAsync(new TestPrimitive(1, ae + "/twice", aeId, 66,
            Tree("m2m:depr", ("sfc", false), ("evc", Criteria("mni", 1, 1L)), ("rri", ae + "/switch"))));
        var linked = await client.SendAsync(new TestPrimitive(3, ae + "/twice", aeId,
            Content: Tree("m2m:actr", ("dep", List(dependency.Resource("m2m:depr")["ri"])))));
        async Task Dial(long value)
        {
            Assert.Equal(2004, (await client.SendAsync(new TestPrimitive(3, ae + "/dial", aeId, Content: Tree("m2m:cnt", ("mni", value))))).Rsc);
        }

        await Dial(20);
        await WaitForInstances(client, ae + "/marker", aeId, 1);
        var whileSwitchOff = await Instances(client, ae + "/out", aeId);
        Assert.Equal(2004, (await client.SendAsync(new TestPrimitive(3, ae + "/switch", aeId, Content: Tree("m2m:cnt", ("mni", 1L))))).Rsc);
        await Dial(21);
        await WaitForInstances(client, ae + "/out", aeId, 1);
        await Dial(22);
        await WaitForInstances(client, ae + "/out", aeId, 2);
        await Dial(23);
        await WaitForInstances(client, ae + "/marker", aeId, 4);

        Assert.True(twice.Rsc == 2001, twice.ToString());
        Assert.True(marker.Rsc == 2001, marker.ToString());
        Assert.True(dependency.Rsc == 2001, dependency.ToString());
        Assert.StartsWith("depr", (string)dependency.Resource("m2m:depr")["ri"]!, StringComparison.Ordinal);
        Assert.True(linked.Rsc == 2004, linked.ToString());
        Assert.Equal(0L, whileSwitchOff);
        Assert.Equal(2L, await Instances(client, ae + "/out", aeId));
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task Updating_sri_moves_the_action_to_its_new_subject_and_removing_it_back_to_its_parent(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding);
        await using var _ = client;
        var ae = "cse-in/" + aeId;
        var ids = new Dictionary<string, string>();
        foreach (var name in new[] { "first", "second", "out" })
        {
            var container = await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", name))));
            Assert.Equal(2001, container.Rsc);
            ids[name] = (string)container.Resource("m2m:cnt")["ri"]!;
        }

        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 65,
            Action("mover", Criteria("mni", 1, 7L), 3, ae + "/out", CreateInstance(aeId, "fired"), ("sri", ae + "/first"))))).Rsc);
        async Task Set(string container, long mni) =>
            Assert.Equal(2004, (await client.SendAsync(new TestPrimitive(3, ae + "/" + container, aeId, Content: Tree("m2m:cnt", ("mni", mni))))).Rsc);

        var moved = await client.SendAsync(new TestPrimitive(3, ae + "/mover", aeId, Content: Tree("m2m:actr", ("sri", ae + "/second"))));
        var stored = (await client.SendAsync(new TestPrimitive(2, ae + "/mover", aeId))).Resource("m2m:actr");
        await Set("first", 7);
        await Set("second", 7);
        await WaitForInstances(client, ae + "/out", aeId, 1);
        var toParent = await client.SendAsync(new TestPrimitive(3, ae + "/mover", aeId,
            Content: Tree("m2m:actr", ("sri", null), ("evc", Criteria("apn", 1, "go")))));
        Assert.Equal(2004, (await client.SendAsync(new TestPrimitive(3, ae, aeId, Content: Tree("m2m:ae", ("apn", "go"))))).Rsc);
        await WaitForInstances(client, ae + "/out", aeId, 2);
        var gone = await client.SendAsync(new TestPrimitive(3, ae + "/mover", aeId, Content: Tree("m2m:actr", ("sri", ae + "/nothing"))));

        Assert.True(moved.Rsc == 2004, moved.ToString());
        Assert.Equal(ids["second"], stored["sri"]);
        Assert.True(toParent.Rsc == 2004, toParent.ToString());
        Assert.True(gone.Rsc == 4000, gone.ToString());
        Assert.Contains("sri", gone.Debug ?? "", StringComparison.Ordinal);
        Assert.Equal(2L, await Instances(client, ae + "/out", aeId));
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task Bad_actions_and_dependencies_are_refused_with_a_reason(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding);
        await using var _ = client;
        var ae = "cse-in/" + aeId;
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", "out"))))).Rsc);
        var good = CreateInstance(aeId, "x");
        Task<TestAnswer> Create(Dictionary<string, object?> content, string parent = "", int type = 65) =>
            client.SendAsync(new TestPrimitive(1, parent.Length == 0 ? ae : parent, aeId, type, content));
        Assert.Equal(2001, (await Create(Action("ok", Criteria("apn", 1, "x"), 1, ae + "/out", good))).Rsc);

        var cases = new (string What, TestAnswer Answer, int Rsc, string Mentions)[]
        {
            ("no evc", await Create(Tree("m2m:actr", ("evm", 1L), ("orc", ae + "/out"), ("apv", good))), 4000, "evc"),
            ("optr 9", await Create(Action("a", Criteria("apn", 9, "x"), 1, ae + "/out", good)), 4000, "optr"),
            ("evm 5", await Create(Action("a", Criteria("apn", 1, "x"), 5, ae + "/out", good)), 4000, "evm"),
            ("ecp with once", await Create(Action("a", Criteria("apn", 1, "x"), 1, ae + "/out", good, ("ecp", 5L))), 4000, "ecp"),
            ("apv from another", await Create(Action("a", Criteria("apn", 1, "x"), 1, ae + "/out", CreateInstance("Cother", "x"))), 4000, "apv/fr"),
            ("apv op 7", await Create(Action("a", Criteria("apn", 1, "x"), 1, ae + "/out", new() { ["op"] = 7L, ["fr"] = aeId })), 4000, "apv/op"),
            ("missing orc", await Create(Action("a", Criteria("apn", 1, "x"), 1, ae + "/nothing", good)), 4000, "orc"),
            ("missing sri", await Create(Action("a", Criteria("apn", 1, "x"), 1, ae + "/out", good, ("sri", ae + "/nothing"))), 4000, "sri"),
            ("dep on create", await Create(Action("a", Criteria("apn", 1, "x"), 1, ae + "/out", good, ("dep", List("depr1")))), 4000, "dep"),
            ("air given", await Create(Action("a", Criteria("apn", 1, "x"), 1, ae + "/out", good, ("air", new Dictionary<string, object?>()))), 4000, "air"),
            ("dep not a child", await client.SendAsync(new TestPrimitive(3, ae + "/ok", aeId, Content: Tree("m2m:actr", ("dep", List("deprnothing"))))), 4000, "dep"),
            ("bad rri", await Create(Tree("m2m:depr", ("sfc", true), ("evc", Criteria("apn", 1, "x")), ("rri", ae + "/nothing")), ae + "/ok", 66), 4000, "rri"),
            ("dependency under an AE", await Create(Tree("m2m:depr", ("sfc", true), ("evc", Criteria("apn", 1, "x")), ("rri", ae)), "", 66), 4108, "66"),
        };

        foreach (var (what, answer, rsc, mentions) in cases)
        {
            Assert.True(answer.Rsc == rsc, $"{what}: expected {rsc}, got {answer}");
            Assert.Contains(mentions, answer.Debug ?? "", StringComparison.Ordinal);
        }
    }
}
