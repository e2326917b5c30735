using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Notification target policies (R4, as ACME): <c>&lt;notificationTargetPolicy&gt;</c> (ty 26) with its action
/// <c>acn</c>, <c>&lt;policyDeletionRules&gt;</c> (ty 27), <c>&lt;notificationTargetMgmtPolicyRef&gt;</c> (ty 25),
/// the CSE's undeletable <c>defaultNTP</c>, and the subscription's virtual <c>ntsr</c>, through which a notification
/// target removes itself from <c>nu</c> as the applicable policy says. The subscription's creator registers with a
/// point of access at a real HTTP receiver (asked with <c>sgn/tra</c>, told with <c>sgn/trr</c>) and works over
/// HTTP; the notification target's requests go over the binding under test.
/// </summary>
public sealed class NotificationTargetPolicies : IWireScenarios
{
    public static readonly string[] Scenarios =
    [
        "the system default policy rejects and cannot be deleted",
        "the creator's default policy accepts",
        "a policy reference decides for the targets it names",
        "seeking authorization removes the target on the creator's 2000",
        "seeking authorization keeps the target on the creator's refusal",
        "informing tells the creator and keeps the target",
        "only a notification target may delete ntsr, and nothing else is allowed on it",
        "deletion rules decide when the action applies",
        "policy attributes are checked",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        await using var creatorReceiver = new NotificationReceiver();
        await using var targetReceiver = new NotificationReceiver();
        await using var http = new HttpWire(setup);
        var creator = await RegisterWithPoa(http, creatorReceiver.Url);
        var target = await RegisterWithPoa(http, targetReceiver.Url);
        await GrantNotify(http, target, creator);
        var sub = (await http.Create("cse-in/" + creator, creator, 23,
            "{\"m2m:sub\":{\"rn\":\"sub\",\"nu\":[\"" + target + "\"]}}")).Is(2001).Resource("m2m:sub");
        var context = new Context(wire, http, creatorReceiver, creator, target, "cse-in/" + creator + "/sub", sub["ri"]!.GetValue<string>());
        await (scenario switch
        {
            "the system default policy rejects and cannot be deleted" => SystemDefault(context),
            "the creator's default policy accepts" => CreatorDefault(context),
            "a policy reference decides for the targets it names" => Reference(context),
            "seeking authorization removes the target on the creator's 2000" => SeekApproved(context),
            "seeking authorization keeps the target on the creator's refusal" => SeekRefused(context),
            "informing tells the creator and keeps the target" => Inform(context),
            "only a notification target may delete ntsr, and nothing else is allowed on it" => OnlyTargets(context),
            "deletion rules decide when the action applies" => DeletionRules(context),
            "policy attributes are checked" => AttributeChecks(context),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        });
    }

    private sealed record Context(Wire Wire, Wire Http, NotificationReceiver CreatorReceiver, string Creator, string Target, string Sub, string SubId)
    {
        public Task<WireResponse> SelfRemove() => Wire.Delete(Sub + "/ntsr", Target);

        public async Task<JsonArray> Targets() =>
            (await Http.Retrieve(Sub, Creator)).Is(2000).Resource("m2m:sub")["nu"]!.AsArray();

        public Task<WireResponse> Policy(int action, string label, string extra = "") => Http.Create("cse-in", Creator, 26,
            $$$"""{"m2m:ntp":{"rn":"ntp{{{Guid.NewGuid().ToString("N")[..10]}}}","acn":{{{action}}},"plbl":"{{{label}}}"{{{extra}}}}}""");
    }

    private static async Task<string> RegisterWithPoa(Wire http, string poa)
    {
        var aeId = "Cntp" + Guid.NewGuid().ToString("N")[..12];
        (await http.Create("cse-in", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nntp","rr":true,"srv":["4"],"poa":["{{{poa}}}"]}}""")).Is(2001);
        return aeId;
    }

    /// <summary>The target lets the creator name it as a notification target (NOTIFY on it).</summary>
    private static async Task GrantNotify(Wire http, string target, string creator)
    {
        var acp = (await http.Create("cse-in/" + target, target, 1,
            "{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":[\"" + creator + "\"],\"acop\":16}]},\"pvs\":{\"acr\":[{\"acor\":[\"" + target
            + "\"],\"acop\":63}]}}}")).Is(2001);
        var acpId = acp.Resource("m2m:acp")["ri"]!.GetValue<string>();
        (await http.Update("cse-in/" + target, target, $$$"""{"m2m:ae":{"acpi":["{{{acpId}}}"]}}""")).Is(2004);
    }

    private static async Task SystemDefault(Context c)
    {
        var removal = await c.SelfRemove();

        removal.Is(4103);
        Assert.Single(await c.Targets());
        var system = (await c.Http.Retrieve("cse-in/defaultNTP", OneM2MClient.Admin)).Is(2000).Resource("m2m:ntp");
        Assert.Equal(2, system["acn"]!.GetValue<long>());
        Assert.Equal("Default", system["plbl"]!.GetValue<string>());
        Assert.Equal(26, system["ty"]!.GetValue<long>());
        (await c.Http.Delete("cse-in/defaultNTP", OneM2MClient.Admin)).Is(4000);
        (await c.Http.Retrieve("cse-in/defaultNTP", OneM2MClient.Admin)).Is(2000);
    }

    private static async Task CreatorDefault(Context c)
    {
        var policy = (await c.Policy(1, "Default", ""","cr":null""")).Is(2001).Resource("m2m:ntp");

        var removal = await c.SelfRemove();

        removal.Is(2002);
        Assert.Empty(await c.Targets());
        Assert.Equal(c.Creator, policy["cr"]!.GetValue<string>());
        Assert.Equal(1, policy["rrs"]!.GetValue<long>());
        (await c.SelfRemove()).Is(4103);
    }

    private static async Task Reference(Context c)
    {
        (await c.Policy(2, "Default")).Is(2001);
        var accepting = (await c.Policy(1, "accepting")).Is(2001).Resource("m2m:ntp")["ri"]!.GetValue<string>();
        var reference = await c.Http.Create(c.Sub, c.Creator, 25,
            "{\"m2m:ntpr\":{\"rn\":\"ref\",\"ntu\":[\"" + c.Target + "\"],\"npi\":\"" + accepting + "\"}}");
        reference.Is(2001);
        (await c.Http.Create(c.Sub, c.Creator, 25, "{\"m2m:ntpr\":{\"ntu\":[\"" + c.Target + "\"],\"npi\":\"" + accepting + "\"}}")).Is(4105);

        var removal = await c.SelfRemove();

        removal.Is(2002);
        Assert.Empty(await c.Targets());
        Assert.Equal(25, reference.Resource("m2m:ntpr")["ty"]!.GetValue<long>());
        (await c.Http.Retrieve(c.Sub + "/ref", c.Creator)).Is(2000);
    }

    private static async Task SeekApproved(Context c)
    {
        (await c.Policy(3, "Default")).Is(2001);

        var removal = await c.SelfRemove();

        removal.Is(2002);
        Assert.Empty(await c.Targets());
        var asked = Assert.Single(c.CreatorReceiver.Received, n => n.Signal?["tra"] is not null);
        Assert.True(asked.Signal!["tra"]!.GetValue<bool>());
        Assert.Equal("/id-in/" + c.SubId, asked.Signal!["sur"]!.GetValue<string>());
    }

    private static async Task SeekRefused(Context c)
    {
        (await c.Policy(3, "Default")).Is(2001);
        c.CreatorReceiver.AnswerWith = 4103;

        var removal = await c.SelfRemove();

        removal.Is(4103);
        Assert.Single(await c.Targets());
        Assert.Single(c.CreatorReceiver.Received, n => n.Signal?["tra"] is not null);
    }

    private static async Task Inform(Context c)
    {
        (await c.Policy(4, "Default")).Is(2001);

        var removal = await c.SelfRemove();

        removal.Is(4103);
        var told = await c.CreatorReceiver.WaitFor(r => r.Any(n => n.Signal?["trr"] is not null), "the creator's trr notification");
        Assert.Equal("/id-in/" + c.SubId, told.First(n => n.Signal?["trr"] is not null).Signal!["sur"]!.GetValue<string>());
        Assert.Single(await c.Targets());
    }

    private static async Task OnlyTargets(Context c)
    {
        (await c.Policy(1, "Default")).Is(2001);
        var stranger = await RegisterWithPoa(c.Http, c.CreatorReceiver.Url);

        var byStranger = await c.Wire.Delete(c.Sub + "/ntsr", stranger);

        byStranger.Is(4103);
        (await c.Wire.Retrieve(c.Sub + "/ntsr", c.Target)).Is(4005);
        (await c.Wire.Update(c.Sub + "/ntsr", c.Target, """{"m2m:sub":{"lbl":["x"]}}""")).Is(4005);
        (await c.Wire.Delete(c.SubId + "/ntsr", c.Target)).Is(2002);
        Assert.Empty(await c.Targets());
        (await c.Wire.Delete("cse-in/" + c.Creator + "/nosuchsub/ntsr", c.Target)).Is(4004);
    }

    private static async Task DeletionRules(Context c)
    {
        var policy = (await c.Policy(1, "Default")).Is(2001).Resource("m2m:ntp");
        var path = "cse-in/" + policy["rn"]!.GetValue<string>();
        (await c.Http.Create(path, c.Creator, 27, """{"m2m:pdr":{"rn":"never","dr":{"tod":["* * * * * * 1999"]}}}""")).Is(2001);

        (await c.SelfRemove()).Is(4103);
        Assert.Single(await c.Targets());

        (await c.Http.Create(path, c.Creator, 27, """{"m2m:pdr":{"rn":"always","dr":{"tod":["* * * * * * *"]}}}""")).Is(2001);
        (await c.Http.Create(path, c.Creator, 27, """{"m2m:pdr":{"dr":{"tod":["* * * * * * *"]}}}""")).Is(4105);
        (await c.SelfRemove()).Is(4103);
        (await c.Http.Update(path, c.Creator, """{"m2m:ntp":{"rrs":2}}""")).Is(2004);

        var removal = await c.SelfRemove();

        removal.Is(2002);
        Assert.Empty(await c.Targets());
    }

    private static async Task AttributeChecks(Context c)
    {
        var policy = (await c.Policy(1, "mine")).Is(2001).Resource("m2m:ntp");
        var path = "cse-in/" + policy["rn"]!.GetValue<string>();

        (await c.Policy(1, "mine")).Is(4000);
        (await c.Policy(5, "other")).Is(4000);
        (await c.Http.Create("cse-in", c.Creator, 26, """{"m2m:ntp":{"plbl":"noaction"}}""")).Is(4000);
        (await c.Http.Create("cse-in", c.Creator, 26, """{"m2m:ntp":{"acn":1}}""")).Is(4000);
        (await c.Http.Create("cse-in", OneM2MClient.Admin, 26, """{"m2m:ntp":{"acn":1,"plbl":"admin","cr":null}}""")).Is(4000);
        (await c.Http.Update(path, c.Creator, """{"m2m:ntp":{"acn":2}}""")).Is(4000);
        (await c.Http.Create(path, c.Creator, 27, """{"m2m:pdr":{"dr":{"tod":["not a schedule"]}}}""")).Is(4000);
        (await c.Http.Create(path, c.Creator, 27, """{"m2m:pdr":{"dr":{"lr":[{"typ":1}]}}}""")).Is(5001);
        (await c.Http.Create(c.Sub, c.Creator, 25, """{"m2m:ntpr":{"ntu":["x"],"npi":"cnt123"}}""")).Is(4000);
        (await c.Http.Create(c.Sub, c.Creator, 25, """{"m2m:ntpr":{"ntu":[]}}""")).Is(4000);
        (await c.Http.Create("cse-in/" + c.Creator, c.Creator, 25, """{"m2m:ntpr":{"ntu":["x"]}}""")).Is(4108);
        (await c.Http.Create("cse-in/" + c.Creator, c.Creator, 26, """{"m2m:ntp":{"acn":1,"plbl":"x"}}""")).Is(4108);
        var discovered = (await c.Http.Retrieve("cse-in?fu=1&ty=26&lbl=none", c.Creator)).Is(2000);
        Assert.NotNull(discovered.Content);
        (await c.Http.Update(path, c.Creator, """{"m2m:ntp":{"plbl":"renamed"}}""")).Is(2004);
        (await c.Policy(1, "mine")).Is(2001);
        (await c.Http.Delete(path, c.Creator)).Is(2002);
        (await c.Policy(1, "renamed")).Is(2001);
    }
}

/// <summary>Notification target policies with the target's requests over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class NotificationTargetPolicyTests(CseFixture fixture) : HttpScenarioTests<NotificationTargetPolicies>(fixture);

/// <summary>Notification target policies with the target's requests over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttNotificationTargetPolicyTests(MqttFixture fixture) : MqttScenarioTests<NotificationTargetPolicies>(fixture);
