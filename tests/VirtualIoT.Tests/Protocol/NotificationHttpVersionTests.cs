using System.Globalization;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// The HTTP version of notifications to plain <c>http</c> receivers by default (<c>Notifications:TryHttp2</c> off):
/// HTTP/1.1, never an HTTP/2 preface, to a receiver that would also take HTTP/2 (Kestrel's plain endpoint) as to one
/// that would not. Each scenario subscribes, creates three content instances and expects the verification and the
/// three notifications exactly once, in order, over HTTP/1.1. The opt-in HTTP/2 is tested on the sender
/// (<c>HttpNotificationSenderVersionTests</c>).
/// </summary>
public sealed class NotificationHttpVersions : IWireScenarios
{
    public static readonly string[] Scenarios =
    [
        "a Kestrel receiver gets the verification and the notifications over HTTP/1.1",
        "an HttpListener receiver gets the verification and the notifications over HTTP/1.1",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        var ae = await setup.RegisterAe();
        var container = (await setup.CreateContainer("/cse-in/" + ae, ae))[1..];
        switch (scenario)
        {
            case "a Kestrel receiver gets the verification and the notifications over HTTP/1.1":
                await Kestrel(wire, ae, container);
                break;
            case "an HttpListener receiver gets the verification and the notifications over HTTP/1.1":
                await Listener(wire, ae, container);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario));
        }
    }

    private static async Task Kestrel(Wire wire, string ae, string container)
    {
        await using var receiver = await KestrelNotificationReceiver.StartAsync(http2Only: false);
        await SubscribeAndCreate(wire, ae, container, receiver.Url);
        var received = await receiver.WaitFor(r => r.Count(n => n.Signal?["nev"] is not null) >= 3, "three notifications");

        Assert.Equal(4, received.Count);
        Assert.NotNull(received[0].Signal?["vrq"]);
        Assert.All(received, n => Assert.Equal("HTTP/1.1", n.Protocol));
        Assert.Equal(["0", "1", "2"], received.Skip(1).Select(Content));
    }

    private static async Task Listener(Wire wire, string ae, string container)
    {
        await using var receiver = new NotificationReceiver();
        await SubscribeAndCreate(wire, ae, container, receiver.Url);
        var received = await receiver.WaitFor(r => r.Count(n => n.Signal?["nev"] is not null) >= 3, "three notifications");
        Assert.Equal(4, received.Count);
        Assert.NotNull(received.First().Signal?["vrq"]);
        Assert.Equal(["0", "1", "2"], receiver.Events.Select(n => n.Signal!["nev"]!["rep"]!["m2m:cin"]!["con"]!.GetValue<string>()));
    }

    // The subscription's create answers 2001 only once its verification request was answered 2000.
    private static async Task SubscribeAndCreate(Wire wire, string ae, string container, string url)
    {
        (await wire.Create(container, ae, 23, $$$$"""{"m2m:sub":{"rn":"versions","nu":["{{{{url}}}}"],"enc":{"net":[3]}}}""")).Is(2001);
        for (var i = 0; i < 3; i++)
        {
            (await wire.Create(container, ae, 4, "{\"m2m:cin\":{\"con\":\"" + i.ToString(CultureInfo.InvariantCulture) + "\"}}")).Is(2001);
        }
    }

    private static string Content(KestrelNotification notification) => notification.Signal!["nev"]!["rep"]!["m2m:cin"]!["con"]!.GetValue<string>();
}

/// <summary>Notification HTTP versions with requests over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class NotificationHttpVersionTests(CseFixture fixture) : HttpScenarioTests<NotificationHttpVersions>(fixture);

/// <summary>Notification HTTP versions with requests over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttNotificationHttpVersionTests(MqttFixture fixture) : MqttScenarioTests<NotificationHttpVersions>(fixture);
