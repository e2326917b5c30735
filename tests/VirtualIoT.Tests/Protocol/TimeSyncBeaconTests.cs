using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// The <c>&lt;timeSyncBeacon&gt;</c> (ty 60) as a user meets it: periodic beacons (<c>m2m:tsbn</c>) at a real HTTP
/// receiver, the rules between <c>bcnc</c>, <c>bcni</c>, <c>bcnt</c>, <c>bcnr</c> and <c>bcnu</c> with their defaults,
/// and what every resource type has (access control, discovery, result content, subscriptions, expiry). The beacon's
/// owner sends its requests over the binding under test.
/// </summary>
public sealed class TimeSyncBeacons : IWireScenarios
{
    public static readonly string[] Scenarios =
    [
        "a periodic beacon reaches its targets, never early",
        "a loss of synchronization of the requester brings a beacon",
        "criteria, interval, threshold and requester follow their rules",
        "access control, discovery, result content and subscriptions",
        "a beacon expires and stops",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        await using var receiver = new NotificationReceiver();
        await using var http = new HttpWire(setup);
        var aeId = "Ctsb" + Guid.NewGuid().ToString("N")[..12];
        (await http.Create("cse-in", aeId, 2, $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Ntsb","rr":false,"srv":["4"]}}""")).Is(2001);
        var context = new Context(wire, http, receiver, aeId, "cse-in/" + aeId);
        await (scenario switch
        {
            "a periodic beacon reaches its targets, never early" => Periodic(context),
            "a loss of synchronization of the requester brings a beacon" => LossOfSynchronization(context),
            "criteria, interval, threshold and requester follow their rules" => Rules(context),
            "access control, discovery, result content and subscriptions" => Common(context),
            "a beacon expires and stops" => Expiry(context),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        });
    }

    private sealed record Context(Wire Wire, Wire Http, NotificationReceiver Receiver, string Ae, string AePath)
    {
        public Task<WireResponse> Beacon(string attributes, string? parent = null, string? originator = null) =>
            Wire.Create(parent ?? AePath, originator ?? Ae, 60, "{\"m2m:tsb\":{" + attributes + "}}");

        public string Targets => "\"bcnu\":[\"" + Receiver.Url + "\"]";

        /// <summary>The beacons of <paramref name="ri"/> received so far.</summary>
        public List<JsonObject> BeaconsOf(string ri) => BeaconsIn(Receiver.Received, ri);

        /// <summary>
        /// The beacons of <paramref name="ri"/> among <paramref name="received"/>: a wait's condition judges the
        /// snapshot the wait returns, not the receiver, which may have taken more since.
        /// </summary>
        public static List<JsonObject> BeaconsIn(IEnumerable<ReceivedNotification> received, string ri) =>
        [
            .. received.Select(r => JsonNode.Parse(r.Body)?["m2m:tsbn"]?.AsObject())
                .Where(b => b is not null && b["tbr"]?.GetValue<string>() == ri).Select(b => b!),
        ];
    }

    private static async Task Periodic(Context c)
    {
        var created = (await c.Beacon("\"rn\":\"beat\",\"bcnc\":1,\"bcni\":\"PT1S\"," + c.Targets)).Is(2001).Resource("m2m:tsb");
        var ri = created["ri"]!.GetValue<string>();
        var ct = M2MTime.Parse(created["ct"]!.GetValue<string>());

        var received = await c.Receiver.WaitFor(r => Context.BeaconsIn(r, ri).Count >= 2, "two beacons of " + ri);

        Assert.Equal(60, created["ty"]!.GetValue<long>());
        Assert.StartsWith("tsb", ri, StringComparison.Ordinal);
        Assert.Equal(1, created["bcnc"]!.GetValue<long>());
        Assert.Equal("PT1S", created["bcni"]!.GetValue<string>());
        Assert.Equal(c.Receiver.Url, created["bcnu"]![0]!.GetValue<string>());
        Assert.Null(created["bcnt"]);
        // Two beacons are sent independently, so a slow first delivery can arrive after the second: order them by ctm.
        var beacons = c.BeaconsOf(ri).OrderBy(b => M2MTime.Parse(b["ctm"]!.GetValue<string>())).ToList();
        for (var n = 0; n < 2; n++)
        {
            // The n-th beacon is due one interval after the previous one, counted from the creation time.
            var ctm = M2MTime.Parse(beacons[n]["ctm"]!.GetValue<string>());
            Assert.True(ctm >= ct + TimeSpan.FromSeconds(n + 1) - TimeSpan.FromMilliseconds(100), $"beacon {n + 1} at {ctm:O} is early for ct {ct:O}");
        }

        var first = received.First(r => r.Body.Contains(ri, StringComparison.Ordinal));
        Assert.Equal("/id-in", first.Headers["X-M2M-Origin"]);
        Assert.True(received.Where(r => r.Body.Contains(ri, StringComparison.Ordinal)).Select(r => r.Headers["X-M2M-RI"]).Distinct().Count() >= 2, "each beacon has its own request identifier");
        (await c.Wire.Retrieve(c.AePath + "/beat", c.Ae)).Is(2000);
        (await c.Wire.Delete(c.AePath + "/beat", c.Ae)).Is(2002);
        (await c.Wire.Retrieve(c.AePath + "/beat", c.Ae)).Is(4004);
    }

    private static async Task Rules(Context c)
    {
        var periodic = (await c.Beacon("\"rn\":\"p\",\"bcnc\":1," + c.Targets)).Is(2001).Resource("m2m:tsb");
        var loss = (await c.Beacon("\"rn\":\"l\",\"bcnc\":2,\"bcnr\":\"" + c.Ae + "\"," + c.Targets)).Is(2001).Resource("m2m:tsb");
        var bad = new (string Attributes, string Why)[]
        {
            (c.Targets, "no bcnc"),
            ("\"bcnc\":1", "no bcnu"),
            ("\"bcnc\":1,\"bcnu\":[]", "empty bcnu"),
            ("\"bcnc\":3," + c.Targets, "bcnc not 1 or 2"),
            ("\"bcnc\":\"1\"," + c.Targets, "bcnc not a number"),
            ("\"bcnc\":1,\"bcni\":\"ten seconds\"," + c.Targets, "bcni not a duration"),
            ("\"bcnc\":1,\"bcni\":\"PT0.5S\"," + c.Targets, "bcni below a second"),
            ("\"bcnc\":1,\"bcnt\":\"PT10S\"," + c.Targets, "bcnt with periodic beacons"),
            ("\"bcnc\":1,\"bcnr\":\"" + c.Ae + "\"," + c.Targets, "bcnr with periodic beacons"),
            ("\"bcnc\":2,\"bcni\":\"PT10S\",\"bcnr\":\"" + c.Ae + "\"," + c.Targets, "bcni with loss of synchronization"),
            ("\"bcnc\":2," + c.Targets, "loss of synchronization without bcnr"),
            ("\"bcnc\":2,\"bcnr\":\"" + c.Ae + "\",\"bcnt\":\"PT0S\"," + c.Targets, "bcnt not positive"),
            ("\"bcnc\":2,\"bcnr\":\"" + c.Ae + "\",\"bcnt\":\"PT0.5S\"," + c.Targets, "bcnt below a second"),
            ("\"bcnc\":1,\"mni\":3," + c.Targets, "an attribute the type lacks"),
            ("\"bcnc\":1,\"et\":\"20000101T000000\"," + c.Targets, "a past et"),
        };
        foreach (var (attributes, why) in bad)
        {
            var refused = await c.Beacon(attributes);
            Assert.True(refused.Rsc == 4000, $"{why}: expected 4000, got {refused.Rsc}: {refused.Text}");
            refused.Is(4000);
        }

        (await c.Wire.Update(c.AePath + "/p", c.Ae, """{"m2m:tsb":{"bcnr":"Cother"}}""")).Is(4000);
        (await c.Wire.Update(c.AePath + "/p", c.Ae, """{"m2m:tsb":{"bcnc":2}}""")).Is(4000);
        (await c.Wire.Update(c.AePath + "/p", c.Ae, """{"m2m:tsb":{"bcnu":[]}}""")).Is(4000);
        (await c.Wire.Update(c.AePath + "/p", c.Ae, """{"m2m:tsb":{"bcnt":"PT5S"}}""")).Is(4000);
        var slower = (await c.Wire.Update(c.AePath + "/p", c.Ae, """{"m2m:tsb":{"bcni":"PT2H"}}""")).Is(2004).Resource("m2m:tsb");
        var periodicNow = (await c.Wire.Update(c.AePath + "/l", c.Ae, """{"m2m:tsb":{"bcnc":1}}""")).Is(2004).Resource("m2m:tsb");
        (await c.Beacon("\"bcnc\":1," + c.Targets, parent: c.AePath + "/p")).Is(4108);
        (await c.Wire.Create("cse-in", OneM2MClient.Admin, 60, "{\"m2m:tsb\":{\"rn\":\"tsb" + c.Ae + "\",\"bcnc\":1," + c.Targets + "}}")).Is(2001);

        Assert.Equal("PT1H", periodic["bcni"]!.GetValue<string>());
        Assert.Null(periodic["bcnt"]);
        Assert.Null(periodic["bcnr"]);
        Assert.Equal(2, loss["bcnc"]!.GetValue<long>());
        Assert.Equal("PT1M", loss["bcnt"]!.GetValue<string>());
        Assert.Equal(c.Ae, loss["bcnr"]!.GetValue<string>());
        Assert.Null(loss["bcni"]);
        Assert.Equal("PT2H", slower["bcni"]!.GetValue<string>());
        Assert.Equal(1, periodicNow["bcnc"]!.GetValue<long>());
        Assert.Equal("PT1H", periodicNow["bcni"]!.GetValue<string>());
        Assert.Null(periodicNow["bcnt"]);
        Assert.Null(periodicNow["bcnr"]);
        (await c.Http.Delete("cse-in/tsb" + c.Ae, OneM2MClient.Admin)).Is(2002);
        (await c.Wire.RetrieveSentAt(c.AePath, c.Ae, "yesterday")).Is(4000);
    }

    private static async Task LossOfSynchronization(Context c)
    {
        var beacon = (await c.Beacon("\"rn\":\"sync\",\"bcnc\":2,\"bcnr\":\"" + c.Ae + "\",\"bcnt\":\"PT10M\"," + c.Targets)).Is(2001).Resource("m2m:tsb");
        var ri = beacon["ri"]!.GetValue<string>();
        var stranger = "Ctsb" + Guid.NewGuid().ToString("N")[..12];
        (await c.Http.Create("cse-in", stranger, 2, $$$"""{"m2m:ae":{"rn":"{{{stranger}}}","api":"Ntsb","rr":false,"srv":["4"]}}""")).Is(2001);

        // In step, within bcnt, or another originator's clock: no beacon. Each is answered before the drifted request goes.
        (await c.Wire.RetrieveSentAt(c.AePath, c.Ae, M2MTime.FromNow(TimeSpan.Zero))).Is(2000);
        (await c.Wire.RetrieveSentAt(c.AePath, c.Ae, M2MTime.FromNow(TimeSpan.FromMinutes(-5)))).Is(2000);
        (await c.Wire.RetrieveSentAt("cse-in/" + stranger, stranger, M2MTime.FromNow(TimeSpan.FromHours(-1)))).Is(2000);
        var drifted = DateTime.UtcNow;
        (await c.Wire.RetrieveSentAt(c.AePath, c.Ae, M2MTime.FromNow(TimeSpan.FromHours(-1)))).Is(2000);

        var received = await c.Receiver.WaitFor(r => Context.BeaconsIn(r, ri).Count >= 1, "the loss-of-synchronization beacon of " + ri);

        var sent = c.BeaconsOf(ri);
        Assert.Single(sent);
        var ctm = M2MTime.Parse(sent[0]["ctm"]!.GetValue<string>());
        Assert.True(ctm >= drifted.AddSeconds(-1), $"the beacon (ctm {ctm:O}) came before the drifted request ({drifted:O})");
        Assert.Equal("/id-in", received.First(r => r.Body.Contains(ri, StringComparison.Ordinal)).Headers["X-M2M-Origin"]);
        (await c.Wire.Delete(c.AePath + "/sync", c.Ae)).Is(2002);
    }

    private static async Task Common(Context c)
    {
        var beacon = (await c.Beacon("\"rn\":\"watched\",\"lbl\":[\"clock\"],\"bcnc\":1,\"bcni\":\"PT1H\"," + c.Targets)).Is(2001).Resource("m2m:tsb");
        var ri = beacon["ri"]!.GetValue<string>();
        var path = c.AePath + "/watched";
        var stranger = "Ctsb" + Guid.NewGuid().ToString("N")[..12];
        (await c.Http.Create("cse-in", stranger, 2, $$$"""{"m2m:ae":{"rn":"{{{stranger}}}","api":"Ntsb","rr":false,"srv":["4"]}}""")).Is(2001);

        (await c.Wire.Retrieve(path, stranger)).Is(4103);
        (await c.Wire.Update(path, stranger, """{"m2m:tsb":{"bcni":"PT1S"}}""")).Is(4103);
        (await c.Wire.Delete(path, stranger)).Is(4103);
        var found = (await c.Wire.Retrieve(c.AePath + "?fu=1&ty=60&lbl=clock", c.Ae)).Is(2000);
        Assert.Contains(found.Content!["m2m:uril"]!.AsArray(), u => u!.GetValue<string>().EndsWith("/watched", StringComparison.Ordinal));
        var children = (await c.Wire.Retrieve(c.AePath + "?rcn=4", c.Ae)).Is(2000).Resource("m2m:ae");
        Assert.Contains(children["m2m:tsb"]!.AsArray(), t => t!["ri"]!.GetValue<string>() == ri);
        var byId = (await c.Wire.Retrieve(ri, c.Ae)).Is(2000).Resource("m2m:tsb");
        Assert.Equal("watched", byId["rn"]!.GetValue<string>());

        (await c.Wire.Create(path, c.Ae, 23, "{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"" + c.Receiver.Url + "\"],\"enc\":{\"net\":[1]}}}")).Is(2001);
        var updated = await c.Wire.Update(path, c.Ae, """{"m2m:tsb":{"lbl":["clock","moved"]}}""");

        updated.Is(2004);
        var events = await c.Receiver.WaitFor(r => r.Any(n => n.Signal?["nev"]?["rep"]?["m2m:tsb"] is not null), "the update notification of " + ri);
        var rep = events.First(n => n.Signal?["nev"]?["rep"]?["m2m:tsb"] is not null).Signal!["nev"]!["rep"]!["m2m:tsb"]!;
        Assert.Equal(ri, rep["ri"]!.GetValue<string>());
        Assert.Equal(2, rep["lbl"]!.AsArray().Count);
        Assert.Empty(c.BeaconsOf(ri));
    }

    private static async Task Expiry(Context c)
    {
        (await c.Wire.Create(c.AePath, c.Ae, 23, "{\"m2m:sub\":{\"rn\":\"children\",\"nu\":[\"" + c.Receiver.Url + "\"],\"enc\":{\"net\":[4]}}}")).Is(2001);
        var et = M2MTime.FromNow(TimeSpan.FromSeconds(3));
        var beacon = (await c.Beacon("\"rn\":\"brief\",\"bcnc\":1,\"bcni\":\"PT1S\",\"et\":\"" + et + "\"," + c.Targets)).Is(2001).Resource("m2m:tsb");
        var ri = beacon["ri"]!.GetValue<string>();

        // The beacon deletes itself at et, without being asked: its parent's subscription hears of it.
        var received = await c.Receiver.WaitFor(r => r.Any(n => n.Signal?["nev"]?["net"]?.GetValue<long>() == 4),
            "the child-deleted notification of " + ri);

        var deleted = received.First(n => n.Signal?["nev"]?["net"]?.GetValue<long>() == 4).Signal!["nev"]!["rep"]!["m2m:tsb"]!;
        Assert.Equal(ri, deleted["ri"]!.GetValue<string>());
        (await c.Wire.Retrieve(c.AePath + "/brief", c.Ae)).Is(4004);
        var expires = M2MTime.Parse(et);
        Assert.All(c.BeaconsOf(ri), b => Assert.True(M2MTime.Parse(b["ctm"]!.GetValue<string>()) <= expires, $"a beacon after et: {b}"));
    }
}

/// <summary>timeSyncBeacon with the owner's requests over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class TimeSyncBeaconTests(CseFixture fixture) : HttpScenarioTests<TimeSyncBeacons>(fixture);

/// <summary>timeSyncBeacon with the owner's requests over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttTimeSyncBeaconTests(MqttFixture fixture) : MqttScenarioTests<TimeSyncBeacons>(fixture);
