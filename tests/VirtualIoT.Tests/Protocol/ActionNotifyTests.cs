using System.Diagnostics;
using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// An <c>&lt;action&gt;</c> whose <c>apv</c> is a NOTIFY (<c>op</c> 5): when its criteria hold it sends the notification
/// in <c>pc</c> to its object resource, an AE, over the AE's points of access (from <c>apv/fr</c>), and the AE's answer
/// becomes <c>air</c>; an object resource that is no AE, or a NOTIFY without a notification, is refused with 4000. The
/// requests under test go over the binding under test.
/// </summary>
public sealed class ActionNotify : IWireScenarios
{
    private const string Admin = "CAdmin";

    public static readonly string[] Scenarios =
    [
        "an action whose criteria hold notifies its AE",
        "a NOTIFY action needs an AE and a notification",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        await using var receiver = new NotificationReceiver();
        await using var http = new HttpWire(setup);
        var aeId = "Cactn" + Guid.NewGuid().ToString("N")[..12];
        (await http.Create("cse-in", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nactn","rr":true,"srv":["3"],"poa":["{{{receiver.Url}}}"]}}""")).Is(2001);
        (await http.Create("cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"dial","mni":5}}""")).Is(2001);
        await (scenario switch
        {
            "an action whose criteria hold notifies its AE" => Notifies(wire, receiver, aeId),
            "a NOTIFY action needs an AE and a notification" => Refused(wire, aeId),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        });
    }

    private static string Action(string name, string ae, string orc, string apv) =>
        "{\"m2m:actr\":{\"rn\":\"" + name + "\",\"evc\":{\"sbjt\":\"mni\",\"optr\":3,\"thld\":10},\"evm\":1,\"sri\":\"" + ae + "/dial\",\"orc\":\""
        + orc + "\",\"apv\":" + apv + "}}";

    private static async Task Notifies(Wire wire, NotificationReceiver receiver, string aeId)
    {
        var ae = "cse-in/" + aeId;
        const string notify = """{"op":5,"fr":"CAdmin","pc":{"m2m:sgn":{"sur":"/id-in/alarm","nev":{"net":1,"rep":{"m2m:cin":{"con":"too high"}}}}}}""";
        (await wire.Create(ae, Admin, 65, Action("alarm", ae, ae, notify))).Is(2001);

        (await wire.Update(ae + "/dial", Admin, """{"m2m:cnt":{"mni":7}}""")).Is(2004);
        (await wire.Update(ae + "/dial", Admin, """{"m2m:cnt":{"mni":20}}""")).Is(2004);
        var received = await receiver.WaitFor(r => r.Count > 0, "the action's NOTIFY at the AE's point of access");

        var signal = received[0].Signal!;
        Assert.Equal("too high", signal["nev"]!["rep"]!["m2m:cin"]!["con"]!.GetValue<string>());
        Assert.Equal("/id-in/alarm", signal["sur"]!.GetValue<string>());
        Assert.Equal(Admin, received[0].Headers.First(h => h.Key.Equals("X-M2M-Origin", StringComparison.OrdinalIgnoreCase)).Value);
        var deadline = Stopwatch.StartNew();
        JsonNode? result;
        while ((result = (await wire.Retrieve(ae + "/alarm", Admin)).Is(2000).Resource("m2m:actr")["air"]) is null)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(15), "the action's result (air) never came");
            await Task.Delay(50);
        }

        Assert.Equal(2000, result["rsc"]!.GetValue<int>());
        Assert.Single(receiver.Received);
    }

    private static async Task Refused(Wire wire, string aeId)
    {
        var ae = "cse-in/" + aeId;
        var cases = new (string What, string Apv, string Orc, string Mentions)[]
        {
            ("a container as the object", """{"op":5,"fr":"CAdmin","pc":{"m2m:sgn":{"sur":"/id-in/x"}}}""", ae + "/dial", "orc"),
            ("no notification", """{"op":5,"fr":"CAdmin"}""", ae, "apv/pc"),
            ("op 6", """{"op":6,"fr":"CAdmin"}""", ae, "apv/op"),
        };

        foreach (var (what, apv, orc, mentions) in cases)
        {
            var answer = await wire.Create(ae, Admin, 65, Action("bad", ae, orc, apv));
            Assert.True(answer.Rsc == 4000, $"{what}: expected 4000, got {answer.Rsc}: {answer.Text}");
            Assert.Contains(mentions, answer.Text, StringComparison.Ordinal);
        }
    }
}

/// <summary>NOTIFY actions over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class ActionNotifyTests(CseFixture fixture) : HttpScenarioTests<ActionNotify>(fixture);

/// <summary>NOTIFY actions over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttActionNotifyTests(MqttFixture fixture) : MqttScenarioTests<ActionNotify>(fixture);
