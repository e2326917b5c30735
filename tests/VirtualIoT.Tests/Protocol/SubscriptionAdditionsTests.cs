using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Subscription rules (TS-0004 7.4.8, R4/R5 additions): <c>cr</c> only on request, <c>enc/chty</c> against the
/// subscribed-to type, notification statistics (<c>nse</c>/<c>nsi</c> with <c>noec</c>), <c>eeno</c>, the event
/// category of <c>latestNotify</c> batches, and the deletion notification before the delete's answer. Requests go
/// over HTTP or MQTT; notifications go to a real HTTP receiver.
/// </summary>
public sealed class SubscriptionAdditions : IWireScenarios
{
    public static readonly string[] Scenarios =
    [
        "cr is set only when the create asks for it",
        "enc chty must name child types of the subscribed-to resource",
        "statistics appear when counted and survive nse turning false",
        "eeno names the event's originator",
        "a latestNotify batch carries event category 4",
        "nec is the event category of the notifications",
        "the deletion notification arrives before the delete is answered",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        await using var receiver = new NotificationReceiver();
        var ae = await setup.RegisterAe();
        var container = (await setup.CreateContainer("/cse-in/" + ae, ae))[1..];
        var context = new Context(setup, wire, receiver, ae, container);
        await (scenario switch
        {
            "cr is set only when the create asks for it" => Creator(context),
            "enc chty must name child types of the subscribed-to resource" => ChildTypes(context),
            "statistics appear when counted and survive nse turning false" => Statistics(context),
            "eeno names the event's originator" => EventOriginator(context),
            "a latestNotify batch carries event category 4" => LatestBatch(context),
            "nec is the event category of the notifications" => EventCategory(context),
            "the deletion notification arrives before the delete is answered" => DeletionNotification(context),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        });
    }

    private sealed record Context(OneM2MClient Setup, Wire Wire, NotificationReceiver Receiver, string Ae, string Container)
    {
        public Task<WireResponse> Subscribe(string name, string extra) => Wire.Create(Container, Ae, 23,
            $$$"""{"m2m:sub":{"rn":"{{{name}}}","nu":["{{{Receiver.Url}}}"]{{{extra}}}}}""");

        public Task<JsonObject> Instance(string? originator = null) => Setup.CreateInstance("/" + Container, originator ?? Ae);
    }

    private static async Task Creator(Context c)
    {
        var plain = (await c.Subscribe("plain", ""","enc":{"net":[3],"chty":[4]}""")).Is(2001).Resource("m2m:sub");
        var asked = (await c.Subscribe("asked", ""","enc":{"net":[3],"chty":[4]},"cr":null""")).Is(2001).Resource("m2m:sub");
        (await c.Subscribe("bad", ""","cr":"Cother" """)).Is(4000);

        await c.Instance();

        Assert.Null(plain["cr"]);
        Assert.Equal(c.Ae, asked["cr"]!.GetValue<string>());
        var events = await c.Receiver.WaitFor(r => r.Count(n => n.Signal?["nev"] is not null) >= 2, "a notification from each subscription");
        var fromPlain = events.Single(n => n.Signal?["nev"] is not null && n.Signal!["sur"]!.GetValue<string>().EndsWith(plain["ri"]!.GetValue<string>(), StringComparison.Ordinal));
        var fromAsked = events.Single(n => n.Signal?["nev"] is not null && n.Signal!["sur"]!.GetValue<string>().EndsWith(asked["ri"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Null(fromPlain.Signal!["cr"]);
        Assert.Equal(c.Ae, fromAsked.Signal!["cr"]!.GetValue<string>());
    }

    private static async Task ChildTypes(Context c)
    {
        (await c.Subscribe("instances", ""","enc":{"net":[3],"chty":[4,3]}""")).Is(2001);
        (await c.Subscribe("aes", ""","enc":{"net":[3],"chty":[2]}""")).Is(4000);

        var update = await c.Wire.Update(c.Container + "/instances", c.Ae, """{"m2m:sub":{"enc":{"net":[3],"chty":[5]}}}""");

        update.Is(4000);
        var onAe = await c.Wire.Create("cse-in/" + c.Ae, c.Ae, 23, $$$$"""{"m2m:sub":{"nu":["{{{{c.Receiver.Url}}}}"],"enc":{"net":[3],"chty":[4]}}}""");
        onAe.Is(4000);
    }

    private static async Task Statistics(Context c)
    {
        var created = (await c.Subscribe("stats", ""","enc":{"net":[3]},"nse":true""")).Is(2001).Resource("m2m:sub");
        Assert.Null(created["nsi"]);

        await c.Instance();
        var counted = await Poll(c, s => s["nsi"]?[0]?["rsr"]?.GetValue<long>() >= 1, "statistics of one delivered notification");

        var entry = counted["nsi"]![0]!;
        Assert.Equal(c.Receiver.Url, entry["tg"]!.GetValue<string>());
        Assert.Equal(1, entry["rqs"]!.GetValue<long>());
        Assert.Equal(1, entry["noec"]!.GetValue<long>());
        var off = (await c.Wire.Update(c.Container + "/stats", c.Ae, """{"m2m:sub":{"nse":false}}""")).Is(2004).Resource("m2m:sub");
        Assert.Equal(1, off["nsi"]![0]!["rsr"]!.GetValue<long>());
        var on = (await c.Wire.Update(c.Container + "/stats", c.Ae, """{"m2m:sub":{"nse":true}}""")).Is(2004).Resource("m2m:sub");
        Assert.Null(on["nsi"]);
    }

    private static async Task EventOriginator(Context c)
    {
        var writer = await c.Setup.RegisterAe();
        var acp = await c.Setup.Create("/cse-in", OneM2MClient.Admin, 1,
            $$$$"""{"m2m:acp":{"pv":{"acr":[{"acor":["{{{{writer}}}}","{{{{c.Ae}}}}"],"acop":63}]},"pvs":{"acr":[{"acor":["CAdmin"],"acop":63}]}}}""");
        var acpId = acp.Resource("m2m:acp")["ri"]!.GetValue<string>();
        (await c.Setup.Update("/" + c.Container, c.Ae, $$$"""{"m2m:cnt":{"acpi":["{{{acpId}}}"]}}""")).Resource("m2m:cnt");
        (await c.Subscribe("who", ""","enc":{"net":[3]},"eeno":true""")).Is(2001);

        await c.Instance(writer);

        var events = await c.Receiver.WaitFor(r => r.Any(n => n.Signal?["nev"] is not null), "the notification of the new instance");
        Assert.Equal(writer, events.First(n => n.Signal?["nev"] is not null).Signal!["cr"]!.GetValue<string>());
    }

    private static async Task LatestBatch(Context c)
    {
        (await c.Subscribe("latest", ""","enc":{"net":[3]},"bn":{"num":2},"ln":true""")).Is(2001);

        await c.Instance();
        await c.Instance();

        var received = await c.Receiver.WaitFor(r => r.Any(n => n.Body.Contains("m2m:agn", StringComparison.Ordinal)), "the aggregated notification");
        var batch = received.First(n => n.Body.Contains("m2m:agn", StringComparison.Ordinal));
        Assert.Equal("4", batch.Headers["X-M2M-EC"]);
        Assert.Single(JsonNode.Parse(batch.Body)!["m2m:agn"]!["m2m:sgn"]!.AsArray());
    }

    private static async Task EventCategory(Context c)
    {
        (await c.Subscribe("badcat", ""","enc":{"net":[3]},"nec":5""")).Is(4000);
        (await c.Subscribe("usercat", ""","enc":{"net":[3]},"nec":100""")).Is(2001);
        (await c.Wire.Delete(c.Container + "/usercat", c.Ae)).Is(2002);
        var sub = (await c.Subscribe("besteffort", ""","enc":{"net":[3]},"nec":3""")).Is(2001).Resource("m2m:sub");

        await c.Instance();

        var received = await c.Receiver.WaitFor(r => r.Any(n => n.Signal?["nev"] is not null), "the notification of the new instance");
        Assert.Equal("3", received.First(n => n.Signal?["nev"] is not null).Headers["X-M2M-EC"]);
        Assert.Equal(3, sub["nec"]!.GetValue<long>());
        (await c.Wire.Update(c.Container + "/besteffort", c.Ae, """{"m2m:sub":{"nec":4}}""")).Is(2004);
    }

    private static async Task DeletionNotification(Context c)
    {
        (await c.Subscribe("gone", $$$""","enc":{"net":[3]},"su":"{{{c.Receiver.Url}}}" """)).Is(2001);

        (await c.Wire.Delete(c.Container + "/gone", c.Ae)).Is(2002);

        Assert.Contains(c.Receiver.Received, n => n.Signal?["sud"]?.GetValue<bool>() == true);
    }

    private static async Task<JsonObject> Poll(Context c, Func<JsonObject, bool> condition, string what)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(15));
        JsonObject? last = null;
        while (!deadline.Passed)
        {
            last = (await c.Wire.Retrieve(c.Container + "/stats", c.Ae)).Is(2000).Resource("m2m:sub");
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException($"timed out waiting for {what}; last: {last?.ToJsonString()}");
    }
}

/// <summary>The subscription additions with requests over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class SubscriptionAdditionsTests(CseFixture fixture) : HttpScenarioTests<SubscriptionAdditions>(fixture);

/// <summary>The subscription additions with requests over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttSubscriptionAdditionsTests(MqttFixture fixture) : MqttScenarioTests<SubscriptionAdditions>(fixture);
