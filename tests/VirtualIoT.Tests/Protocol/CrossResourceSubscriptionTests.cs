using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// The <c>&lt;crossResourceSubscription&gt;</c> (ty 48) as a user meets it: the subscriptions it makes on its targets
/// (<c>rrat</c>, listed in <c>rrats</c>, with <c>acrs</c>) or joins (<c>srat</c>), its notification
/// (<c>{"m2m:sgn":{"sur":…}}</c>) at a real HTTP receiver when the targets' events in one window satisfy <c>eem</c>
/// (sliding and periodic windows), the rules between its attributes, and what every resource type has (access
/// control, discovery, statistics, expiration counter, deletion). The owner's requests go over the binding under test.
/// </summary>
public sealed class CrossResourceSubscriptions : IWireScenarios
{
    public static readonly string[] Scenarios =
    [
        "events of every target within a sliding window notify once",
        "periodic windows notify as eem judges them",
        "attributes follow their rules",
        "srat subscriptions are joined and left",
        "deleting it or one of its subscriptions removes both",
        "access control, discovery, statistics and expiration counter",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        await using var receiver = new NotificationReceiver();
        await using var http = new HttpWire(setup);
        var aeId = "Ccrs" + Guid.NewGuid().ToString("N")[..12];
        (await http.Create("cse-in", aeId, 2, $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Ncrs","rr":false,"srv":["4"]}}""")).Is(2001);
        var context = new Context(wire, http, receiver, aeId, "cse-in/" + aeId);
        foreach (var name in (string[])["a", "b"])
        {
            (await http.Create(context.AePath, aeId, 3, "{\"m2m:cnt\":{\"rn\":\"" + name + "\"}}")).Is(2001);
        }

        await (scenario switch
        {
            "events of every target within a sliding window notify once" => Sliding(context),
            "periodic windows notify as eem judges them" => Periodic(context),
            "attributes follow their rules" => Rules(context),
            "srat subscriptions are joined and left" => SubscriptionTargets(context),
            "deleting it or one of its subscriptions removes both" => Deletion(context),
            "access control, discovery, statistics and expiration counter" => Common(context),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        });
    }

    private sealed record Context(Wire Wire, Wire Http, NotificationReceiver Receiver, string Ae, string AePath)
    {
        public Task<WireResponse> Crs(string attributes, string? originator = null) =>
            Wire.Create(AePath, originator ?? Ae, 48, "{\"m2m:crs\":{" + attributes + "}}");

        public string Nu => "\"nu\":[\"" + Receiver.Url + "\"]";

        /// <summary>Both containers as regular targets, each watched for new children.</summary>
        public string BothTargets => "\"rrat\":[\"" + AePath + "/a\",\"" + AePath + "/b\"],\"encs\":{\"enc\":[{\"net\":[3]}]}";

        public Task<WireResponse> Instance(string container) =>
            Http.Create(AePath + "/" + container, Ae, 4, """{"m2m:cin":{"con":"21"}}""");

        /// <summary>The cross-resource notifications of <paramref name="ri"/> received so far.</summary>
        public int NotificationsOf(string ri) => NotificationsIn(Receiver.Received, ri);

        /// <summary>
        /// The cross-resource notifications of <paramref name="ri"/> among <paramref name="received"/>: a wait's
        /// condition judges the snapshot the wait returns, not the receiver, which may have taken more since.
        /// </summary>
        public static int NotificationsIn(IEnumerable<ReceivedNotification> received, string ri) =>
            received.Count(r => r.Signal?["sur"]?.GetValue<string>() == "/id-in/" + ri && r.Signal?["nev"] is null && r.Signal?["vrq"] is null);
    }

    private static async Task Sliding(Context c)
    {
        var created = (await c.Crs("\"rn\":\"both\"," + c.BothTargets + ",\"twt\":2,\"tws\":\"PT3S\"," + c.Nu)).Is(2001).Resource("m2m:crs");
        var ri = created["ri"]!.GetValue<string>();
        var rrats = created["rrats"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();

        (await c.Instance("a")).Is(2001);
        (await c.Instance("b")).Is(2001);
        var received = await c.Receiver.WaitFor(r => Context.NotificationsIn(r, ri) >= 1, "the cross-resource notification of " + ri);

        Assert.Equal(48, created["ty"]!.GetValue<long>());
        Assert.StartsWith("crs", ri, StringComparison.Ordinal);
        Assert.Equal(2, created["twt"]!.GetValue<long>());
        Assert.Equal(1, created["eem"]!.GetValue<long>());
        Assert.Equal(2, rrats.Count);
        foreach (var subscription in rrats)
        {
            Assert.StartsWith("/id-in/sub", subscription, StringComparison.Ordinal);
            var sub = (await c.Wire.Retrieve(subscription["/id-in/".Length..], c.Ae)).Is(2000).Resource("m2m:sub");
            Assert.Equal("/id-in/" + ri, sub["nu"]![0]!.GetValue<string>());
            Assert.Equal("/id-in/" + ri, sub["acrs"]![0]!.GetValue<string>());
            Assert.Equal(3, sub["enc"]!["net"]![0]!.GetValue<long>());
        }

        var notification = received.First(r => r.Signal?["sur"]?.GetValue<string>() == "/id-in/" + ri);
        Assert.Equal("/id-in", notification.Headers["X-M2M-Origin"]);
        Assert.Equal(1, c.NotificationsOf(ri));
        (await c.Wire.Delete(c.AePath + "/both", c.Ae)).Is(2002);
    }

    private static async Task Periodic(Context c)
    {
        // eem 5 (all events missing): every quiet window notifies; eem 3 (some missing): a window with one of two.
        var quiet = (await c.Crs("\"rn\":\"quiet\"," + c.BothTargets + ",\"twt\":1,\"tws\":\"PT1S\",\"eem\":5," + c.Nu)).Is(2001).Resource("m2m:crs");
        var some = (await c.Crs("\"rn\":\"some\"," + c.BothTargets + ",\"twt\":1,\"tws\":\"PT2S\",\"eem\":3," + c.Nu)).Is(2001).Resource("m2m:crs");
        var quietRi = quiet["ri"]!.GetValue<string>();
        var someRi = some["ri"]!.GetValue<string>();

        await c.Receiver.WaitFor(_ => c.NotificationsOf(quietRi) >= 2, "two notifications of the quiet windows of " + quietRi);
        (await c.Instance("a")).Is(2001);
        await c.Receiver.WaitFor(_ => c.NotificationsOf(someRi) >= 1, "the notification of a window of " + someRi + " with one of two targets");

        Assert.Equal(1, quiet["twt"]!.GetValue<long>());
        Assert.Equal(5, quiet["eem"]!.GetValue<long>());
        var changed = (await c.Wire.Update(c.AePath + "/quiet", c.Ae, """{"m2m:crs":{"twt":2,"eem":1}}""")).Is(2004).Resource("m2m:crs");
        Assert.Equal(2, changed["twt"]!.GetValue<long>());
        (await c.Wire.Update(c.AePath + "/some", c.Ae, """{"m2m:crs":{"twt":2}}""")).Is(2004);
        (await c.Wire.Update(c.AePath + "/quiet", c.Ae, """{"m2m:crs":{"eem":5}}""")).Is(4000);
    }

    private static async Task Rules(Context c)
    {
        var bad = new (string Attributes, int Rsc, string Why)[]
        {
            ("\"twt\":1,\"tws\":\"PT5S\"," + c.Nu, 4000, "neither rrat nor srat"),
            ("\"rrat\":[\"" + c.AePath + "/a\"],\"twt\":1,\"tws\":\"PT5S\"," + c.Nu, 4000, "rrat without encs"),
            ("\"rrat\":[\"" + c.AePath + "/a\"],\"encs\":{\"enc\":[]},\"twt\":1,\"tws\":\"PT5S\"," + c.Nu, 4000, "empty encs"),
            (c.BothTargets.Replace("[{\"net\":[3]}]", "[{\"net\":[3]},{\"net\":[3]},{\"net\":[3]}]", StringComparison.Ordinal) + ",\"twt\":1,\"tws\":\"PT5S\"," + c.Nu,
                4000, "three criteria for two targets"),
            (c.BothTargets.Replace("[3]", "[99]", StringComparison.Ordinal) + ",\"twt\":1,\"tws\":\"PT5S\"," + c.Nu, 4000, "criteria with an unknown net"),
            (c.BothTargets + ",\"tws\":\"PT5S\"," + c.Nu, 4000, "no twt"),
            (c.BothTargets + ",\"twt\":3,\"tws\":\"PT5S\"," + c.Nu, 4000, "twt not 1 or 2"),
            (c.BothTargets + ",\"twt\":1," + c.Nu, 4000, "no tws"),
            (c.BothTargets + ",\"twt\":1,\"tws\":\"soon\"," + c.Nu, 4000, "tws not a duration"),
            (c.BothTargets + ",\"twt\":1,\"tws\":\"PT0.2S\"," + c.Nu, 4000, "tws below a second"),
            (c.BothTargets + ",\"twt\":1,\"tws\":\"PT5S\"", 4000, "no nu"),
            (c.BothTargets + ",\"twt\":1,\"tws\":\"PT5S\",\"eem\":6," + c.Nu, 4000, "eem not 1 to 5"),
            (c.BothTargets + ",\"twt\":2,\"tws\":\"PT5S\",\"eem\":4," + c.Nu, 4000, "eem 4 with a sliding window"),
            (c.BothTargets + ",\"twt\":1,\"tws\":\"PT5S\",\"rrats\":[\"x\"]," + c.Nu, 4000, "rrats set by the originator"),
            (c.BothTargets + ",\"twt\":1,\"tws\":\"PT5S\",\"mni\":3," + c.Nu, 4000, "an attribute the type lacks"),
            ("\"srat\":[\"" + c.AePath + "/a\"],\"twt\":1,\"tws\":\"PT5S\"," + c.Nu, 4000, "an srat entry that is no subscription"),
            ("\"rrat\":[\"" + c.AePath + "/missing\"],\"encs\":{\"enc\":[{\"net\":[3]}]},\"twt\":1,\"tws\":\"PT5S\"," + c.Nu, 5221, "an rrat target that does not exist"),
        };
        foreach (var (attributes, rsc, why) in bad)
        {
            var refused = await c.Crs(attributes);
            Assert.True(refused.Rsc == rsc, $"{why}: expected {rsc}, got {refused.Rsc}: {refused.Text}");
            refused.Is(rsc);
        }

        var kept = (await c.Crs("\"rn\":\"kept\"," + c.BothTargets + ",\"twt\":1,\"tws\":\"PT1H\"," + c.Nu)).Is(2001).Resource("m2m:crs");
        (await c.Wire.Update(c.AePath + "/kept", c.Ae, "{\"m2m:crs\":{\"rrat\":[\"" + c.AePath + "/a\"]}}")).Is(4000);
        (await c.Wire.Update(c.AePath + "/kept", c.Ae, """{"m2m:crs":{"tws":"PT0S"}}""")).Is(4000);
        (await c.Wire.Update(c.AePath + "/kept", c.Ae, """{"m2m:crs":{"nu":[]}}""")).Is(4000);
        (await c.Wire.Create(c.AePath + "/kept", c.Ae, 3, """{"m2m:cnt":{}}""")).Is(4108);

        // A failed create leaves nothing behind: the one subscription made before the missing target went again.
        var children = (await c.Wire.Retrieve(c.AePath + "/a?rcn=4", c.Ae)).Is(2000).Resource("m2m:cnt");
        Assert.Single(children["m2m:sub"]!.AsArray());
        Assert.Equal(kept["rrats"]![0]!.GetValue<string>(), "/id-in/" + children["m2m:sub"]![0]!["ri"]!.GetValue<string>());
    }

    private static async Task SubscriptionTargets(Context c)
    {
        var existing = (await c.Wire.Create(c.AePath + "/a", c.Ae, 23, "{\"m2m:sub\":{\"rn\":\"mine\",\"enc\":{\"net\":[3]}," + c.Nu + "}}"))
            .Is(2001).Resource("m2m:sub");
        var subRi = existing["ri"]!.GetValue<string>();

        var created = (await c.Crs("\"rn\":\"joined\",\"srat\":[\"" + c.AePath + "/a/mine\"],\"twt\":2,\"tws\":\"PT1S\"," + c.Nu)).Is(2001).Resource("m2m:crs");
        var ri = created["ri"]!.GetValue<string>();
        var joined = (await c.Wire.Retrieve(subRi, c.Ae)).Is(2000).Resource("m2m:sub");
        (await c.Instance("a")).Is(2001);
        await c.Receiver.WaitFor(_ => c.NotificationsOf(ri) >= 1, "the cross-resource notification of " + ri + " fed by an srat subscription");
        (await c.Wire.Delete(c.AePath + "/joined", c.Ae)).Is(2002);
        var left = (await c.Wire.Retrieve(subRi, c.Ae)).Is(2000).Resource("m2m:sub");

        Assert.Null(created["rrats"]);
        Assert.Contains(joined["nu"]!.AsArray(), t => t!.GetValue<string>() == "/id-in/" + ri);
        Assert.Contains(joined["nu"]!.AsArray(), t => t!.GetValue<string>() == c.Receiver.Url);
        Assert.Contains(joined["acrs"]!.AsArray(), t => t!.GetValue<string>() == "/id-in/" + ri);
        Assert.Equal([c.Receiver.Url], left["nu"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Empty(left["acrs"]?.AsArray() ?? []);
    }

    private static async Task Deletion(Context c)
    {
        var first = (await c.Crs("\"rn\":\"first\"," + c.BothTargets + ",\"twt\":1,\"tws\":\"PT1H\"," + c.Nu)).Is(2001).Resource("m2m:crs");
        var second = (await c.Crs("\"rn\":\"second\"," + c.BothTargets + ",\"twt\":1,\"tws\":\"PT1H\"," + c.Nu)).Is(2001).Resource("m2m:crs");
        var firstSubs = first["rrats"]!.AsArray().Select(s => s!.GetValue<string>()["/id-in/".Length..]).ToList();
        var secondSubs = second["rrats"]!.AsArray().Select(s => s!.GetValue<string>()["/id-in/".Length..]).ToList();

        (await c.Wire.Delete(c.AePath + "/first", c.Ae)).Is(2002);
        (await c.Wire.Delete(secondSubs[0], c.Ae)).Is(2002);
        await M2MTime.WaitUntil(async () => (await c.Http.Retrieve(c.AePath + "/second", c.Ae)).Rsc == 4004,
            "the cross-resource subscription whose subscription was deleted deletes itself");

        foreach (var subscription in firstSubs.Concat(secondSubs))
        {
            (await c.Wire.Retrieve(subscription, c.Ae)).Is(4004);
        }
    }

    private static async Task Common(Context c)
    {
        var stranger = "Ccrs" + Guid.NewGuid().ToString("N")[..12];
        (await c.Http.Create("cse-in", stranger, 2, $$$"""{"m2m:ae":{"rn":"{{{stranger}}}","api":"Ncrs","rr":false,"srv":["4"]}}""")).Is(2001);
        var created = (await c.Crs("\"rn\":\"counted\",\"lbl\":[\"cross\"]," + c.BothTargets + ",\"twt\":2,\"tws\":\"PT1S\",\"eem\":2,\"nse\":true,\"exc\":2," + c.Nu))
            .Is(2001).Resource("m2m:crs");
        var ri = created["ri"]!.GetValue<string>();
        var path = c.AePath + "/counted";

        (await c.Wire.Retrieve(path, stranger)).Is(4103);
        (await c.Wire.Delete(path, stranger)).Is(4103);
        (await c.Crs("\"rrat\":[\"" + c.AePath + "/a\"],\"encs\":{\"enc\":[{\"net\":[3]}]},\"twt\":1,\"tws\":\"PT5S\"," + c.Nu, stranger)).Is(4103);
        var found = (await c.Wire.Retrieve(c.AePath + "?fu=1&ty=48&lbl=cross", c.Ae)).Is(2000);
        Assert.Contains(found.Content!["m2m:uril"]!.AsArray(), u => u!.GetValue<string>().EndsWith("/counted", StringComparison.Ordinal));

        (await c.Instance("b")).Is(2001);
        await c.Receiver.WaitFor(_ => c.NotificationsOf(ri) >= 1, "the first notification of " + ri);
        JsonObject? counted = null;
        await M2MTime.WaitUntil(async () =>
        {
            counted = (await c.Http.Retrieve(path, c.Ae)).Resource("m2m:crs");
            return counted["nsi"]?[0]?["rsr"]?.GetValue<long>() == 1;
        }, "the statistics of the first notification of " + ri);
        (await c.Instance("a")).Is(2001);
        await c.Receiver.WaitFor(_ => c.NotificationsOf(ri) >= 2, "the second notification of " + ri);
        await M2MTime.WaitUntil(async () => (await c.Http.Retrieve(path, c.Ae)).Rsc == 4004,
            "the cross-resource subscription ends when its expiration counter is spent");

        Assert.Equal(c.Receiver.Url, counted!["nsi"]![0]!["tg"]!.GetValue<string>());
        Assert.Equal(1, counted["nsi"]![0]!["rqs"]!.GetValue<long>());
        Assert.Equal(1, counted["nsi"]![0]!["noec"]!.GetValue<long>());
        Assert.Equal(1, counted["exc"]!.GetValue<long>());
        foreach (var subscription in created["rrats"]!.AsArray())
        {
            (await c.Http.Retrieve(subscription!.GetValue<string>()["/id-in/".Length..], c.Ae)).Is(4004);
        }
    }
}

/// <summary>crossResourceSubscription with the owner's requests over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class CrossResourceSubscriptionTests(CseFixture fixture) : HttpScenarioTests<CrossResourceSubscriptions>(fixture);

/// <summary>crossResourceSubscription with the owner's requests over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttCrossResourceSubscriptionTests(MqttFixture fixture) : MqttScenarioTests<CrossResourceSubscriptions>(fixture);
