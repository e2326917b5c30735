using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Blocking update (<c>net</c> 7, TS-0001 10.2.11.x, as ACME): the update of a resource with a blocking update
/// subscription waits for the subscriber's answer to its notification; 2000 commits it, any other answer refuses it
/// with 4127, no answer with 5107, and a refused update changes nothing. The subscription's own rules (one target,
/// only <c>enc/atr</c>, <c>nct</c> 2, one per resource). Requests over HTTP or MQTT; the subscriber is a real HTTP
/// receiver.
/// </summary>
public sealed class BlockingUpdate : IWireScenarios
{
    public static readonly string[] Scenarios =
    [
        "an approved update is committed after the notification",
        "an update the subscriber refuses changes nothing",
        "an update whose subscriber does not answer changes nothing",
        "enc atr limits the updates that wait",
        "a blocking update subscription has one target, only atr and nct 2",
        "a resource has one blocking update subscription",
        "blocking update notifications are counted in nsi",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        await using var receiver = new NotificationReceiver();
        var ae = await setup.RegisterAe();
        var container = (await setup.CreateContainer("/cse-in/" + ae, ae, extra: ""","lbl":["before"]"""))[1..];
        var context = new Context(wire, receiver, ae, container);
        await (scenario switch
        {
            "an approved update is committed after the notification" => Approved(context),
            "an update the subscriber refuses changes nothing" => Refused(context),
            "an update whose subscriber does not answer changes nothing" => Unanswered(context),
            "enc atr limits the updates that wait" => AttributeCriteria(context),
            "a blocking update subscription has one target, only atr and nct 2" => Rules(context),
            "a resource has one blocking update subscription" => OnePerResource(context),
            "blocking update notifications are counted in nsi" => Counted(context),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        });
    }

    private sealed record Context(Wire Wire, NotificationReceiver Receiver, string Ae, string Container)
    {
        public Task<WireResponse> Subscribe(string extra, string? nu = null, string extraMembers = "") => Wire.Create(Container, Ae, 23,
            "{\"m2m:sub\":{\"nu\":[\"" + (nu ?? Receiver.Url) + "\"],\"enc\":{\"net\":[7]" + extra + "}" + extraMembers + "}}");

        public Task<WireResponse> Label(string label) => Wire.Update(Container, Ae, $$$"""{"m2m:cnt":{"lbl":["{{{label}}}"]}}""");

        public async Task<string> StoredLabel() =>
            (await Wire.Retrieve(Container, Ae)).Is(2000).Resource("m2m:cnt")["lbl"]![0]!.GetValue<string>();

        public IReadOnlyList<ReceivedNotification> Events() => Receiver.Events;
    }

    private static async Task Approved(Context c)
    {
        var sub = (await c.Subscribe("")).Is(2001).Resource("m2m:sub");

        var update = await c.Label("after");

        Assert.Equal(2, sub["nct"]!.GetValue<long>());
        Assert.Equal("after", update.Is(2004).Resource("m2m:cnt")["lbl"]![0]!.GetValue<string>());
        var notification = Assert.Single(c.Events());
        Assert.Equal(7, notification.Signal!["nev"]!["net"]!.GetValue<long>());
        Assert.Equal("after", notification.Signal!["nev"]!["rep"]!["m2m:cnt"]!["lbl"]![0]!.GetValue<string>());
        Assert.Null(notification.Signal!["nev"]!["rep"]!["m2m:cnt"]!["rn"]);
        Assert.EndsWith(sub["ri"]!.GetValue<string>(), notification.Signal!["sur"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(c.Ae, notification.Headers["X-M2M-Origin"]);
        Assert.Equal("after", await c.StoredLabel());
    }

    private static async Task Refused(Context c)
    {
        (await c.Subscribe("")).Is(2001);
        c.Receiver.AnswerWith = 4005;

        var update = await c.Label("after");

        update.Is(4127);
        Assert.Single(c.Events());
        Assert.Equal("before", await c.StoredLabel());
    }

    private static async Task Unanswered(Context c)
    {
        (await c.Subscribe("")).Is(2001);
        c.Receiver.Stop();

        var update = await c.Label("after");

        update.Is(5107);
        Assert.Equal("before", await c.StoredLabel());
    }

    private static async Task AttributeCriteria(Context c)
    {
        (await c.Subscribe(""","atr":["lbl"]""")).Is(2001);
        c.Receiver.AnswerWith = 4103;

        var other = await c.Wire.Update(c.Container, c.Ae, """{"m2m:cnt":{"mni":5}}""");
        var label = await c.Label("after");

        Assert.Equal(5, other.Is(2004).Resource("m2m:cnt")["mni"]!.GetValue<long>());
        label.Is(4127);
        Assert.Single(c.Events());
        Assert.Equal("before", await c.StoredLabel());
    }

    private static async Task Rules(Context c)
    {
        (await c.Wire.Create(c.Container, c.Ae, 23,
            "{\"m2m:sub\":{\"nu\":[\"" + c.Receiver.Url + "\",\"" + c.Receiver.Url + "/2\"],\"enc\":{\"net\":[7]}}}")).Is(4000);
        (await c.Subscribe(""","chty":[4]""")).Is(4000);
        (await c.Wire.Create(c.Container, c.Ae, 23, Sub(c, "\"enc\":{\"net\":[7]},\"nct\":1"))).Is(4000);
        (await c.Wire.Create(c.Container, c.Ae, 23, Sub(c, "\"enc\":{\"net\":[7]},\"bn\":{\"num\":2}"))).Is(4000);
        (await c.Wire.Create(c.Container, c.Ae, 23, Sub(c, "\"enc\":{\"net\":[1,7]}"))).Is(4000);
        (await c.Wire.Create(c.Container, c.Ae, 23, Sub(c, "\"rn\":\"plain\",\"enc\":{\"net\":[1]}"))).Is(2001);

        var turned = await c.Wire.Update(c.Container + "/plain", c.Ae, """{"m2m:sub":{"enc":{"net":[7]}}}""");

        turned.Is(4000);
        Assert.Equal("after", (await c.Label("after")).Is(2004).Resource("m2m:cnt")["lbl"]![0]!.GetValue<string>());
    }

    private static async Task Counted(Context c)
    {
        var sub = (await c.Subscribe("", extraMembers: ",\"nse\":true")).Is(2001).Resource("m2m:sub");
        (await c.Label("approved")).Is(2004);
        c.Receiver.AnswerWith = 4005;
        (await c.Label("refused")).Is(4127);

        var counted = (await c.Wire.Retrieve(c.Container + "/" + sub["rn"]!.GetValue<string>(), c.Ae)).Is(2000).Resource("m2m:sub");

        var entry = Assert.Single(counted["nsi"]!.AsArray())!;
        Assert.Equal(c.Receiver.Url, entry["tg"]!.GetValue<string>());
        Assert.Equal(2, entry["rqs"]!.GetValue<long>());
        Assert.Equal(1, entry["rsr"]!.GetValue<long>());
        Assert.Equal(2, entry["noec"]!.GetValue<long>());
    }

    private static string Sub(Context c, string members) => "{\"m2m:sub\":{\"nu\":[\"" + c.Receiver.Url + "\"]," + members + "}}";

    private static async Task OnePerResource(Context c)
    {
        (await c.Subscribe("")).Is(2001);

        var second = await c.Subscribe("");

        second.Is(4124);
    }
}

/// <summary>Blocking update with requests over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class BlockingUpdateTests(CseFixture fixture) : HttpScenarioTests<BlockingUpdate>(fixture);

/// <summary>Blocking update with requests over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttBlockingUpdateTests(MqttFixture fixture) : MqttScenarioTests<BlockingUpdate>(fixture);
