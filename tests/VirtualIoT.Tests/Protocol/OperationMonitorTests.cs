using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Operation monitoring (<c>enc/om</c>, as ACME): a subscription notified of the operations on its subscribed-to
/// resource (retrieves included) by the originators it names, with <c>nev/om</c> (<c>ops</c>, <c>org</c>) in the
/// notification. Requests over HTTP or MQTT; notifications go to a real HTTP receiver.
/// </summary>
public sealed class OperationMonitoring : IWireScenarios
{
    public static readonly string[] Scenarios =
    [
        "retrieves, updates and creates below the resource are notified with nev om",
        "org limits the monitor to one originator",
        "a delete of the resource is notified",
        "enc om is checked",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        await using var receiver = new NotificationReceiver();
        var ae = await setup.RegisterAe();
        var container = (await setup.CreateContainer("/cse-in/" + ae, ae))[1..];
        var context = new Context(wire, receiver, ae, container);
        await (scenario switch
        {
            "retrieves, updates and creates below the resource are notified with nev om" => Operations(context),
            "org limits the monitor to one originator" => Originator(context),
            "a delete of the resource is notified" => Delete(context),
            "enc om is checked" => Rules(context),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        });
    }

    private sealed record Context(Wire Wire, NotificationReceiver Receiver, string Ae, string Container)
    {
        public Task<WireResponse> Monitor(string enc) =>
            Wire.Create(Container, Ae, 23, "{\"m2m:sub\":{\"nu\":[\"" + Receiver.Url + "\"],\"enc\":" + enc + "}}");

        public async Task<IReadOnlyList<ReceivedNotification>> Events(int count, string what) =>
            (await Receiver.WaitFor(r => r.Count(n => n.Signal?["nev"] is not null) >= count, what))
                .Where(n => n.Signal?["nev"] is not null).ToList();
    }

    private static async Task Operations(Context c)
    {
        (await c.Monitor("""{"om":[{"ops":2},{"ops":3},{"ops":1}]}""")).Is(2001);

        (await c.Wire.Retrieve(c.Container, c.Ae)).Is(2000);
        (await c.Wire.Update(c.Container, c.Ae, """{"m2m:cnt":{"lbl":["seen"]}}""")).Is(2004);
        (await c.Wire.Create(c.Container, c.Ae, 4, """{"m2m:cin":{"con":"x"}}""")).Is(2001);

        var events = await c.Events(3, "a notification of the retrieve, the update and the create");
        Assert.Equal([2L, 3L, 1L], events.Select(n => n.Signal!["nev"]!["om"]!["ops"]!.GetValue<long>()));
        Assert.All(events, n => Assert.Equal(c.Ae, n.Signal!["nev"]!["om"]!["org"]!.GetValue<string>()));
        Assert.All(events, n => Assert.Null(n.Signal!["nev"]!["net"]));
        Assert.All(events, n => Assert.NotNull(n.Signal!["nev"]!["rep"]!["m2m:cnt"]));
        Assert.Equal("seen", events[1].Signal!["nev"]!["rep"]!["m2m:cnt"]!["lbl"]![0]!.GetValue<string>());
    }

    private static async Task Originator(Context c)
    {
        (await c.Monitor("""{"om":[{"org":"CAdmin"}]}""")).Is(2001);

        (await c.Wire.Update(c.Container, c.Ae, """{"m2m:cnt":{"lbl":["by-owner"]}}""")).Is(2004);
        (await c.Wire.Update(c.Container, OneM2MClient.Admin, """{"m2m:cnt":{"lbl":["by-admin"]}}""")).Is(2004);

        var events = await c.Events(1, "the notification of the admin's update");
        var only = Assert.Single(events);
        Assert.Equal("CAdmin", only.Signal!["nev"]!["om"]!["org"]!.GetValue<string>());
        Assert.Equal(3, only.Signal!["nev"]!["om"]!["ops"]!.GetValue<long>());
    }

    private static async Task Delete(Context c)
    {
        (await c.Monitor("""{"om":[{"ops":4}]}""")).Is(2001);

        (await c.Wire.Delete(c.Container, c.Ae)).Is(2002);

        // The subscription goes with the container and sends what it still holds once more as it goes (at least
        // once, under the same request identifier).
        var events = await c.Events(1, "the notification of the delete");
        Assert.Single(events.Select(n => n.Headers["X-M2M-RI"]).Distinct());
        Assert.Equal(4, events[0].Signal!["nev"]!["om"]!["ops"]!.GetValue<long>());
    }

    private static async Task Rules(Context c)
    {
        (await c.Monitor("""{"net":[1],"om":[{"ops":2}]}""")).Is(4000);
        (await c.Monitor("""{"om":[]}""")).Is(4000);
        (await c.Monitor("""{"om":[{}]}""")).Is(4000);
        (await c.Monitor("""{"om":[{"ops":9}]}""")).Is(4000);
        (await c.Monitor("""{"om":[{"op":2}]}""")).Is(4000);

        var valid = await c.Monitor("""{"om":[{"ops":2,"org":"CAdmin"}]}""");

        Assert.Equal(2, valid.Is(2001).Resource("m2m:sub")["enc"]!["om"]![0]!["ops"]!.GetValue<long>());
    }
}

/// <summary>Operation monitoring with requests over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class OperationMonitorTests(CseFixture fixture) : HttpScenarioTests<OperationMonitoring>(fixture);

/// <summary>Operation monitoring with requests over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttOperationMonitorTests(MqttFixture fixture) : MqttScenarioTests<OperationMonitoring>(fixture);
