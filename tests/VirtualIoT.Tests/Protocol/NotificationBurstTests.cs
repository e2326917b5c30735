using System.Globalization;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Events raised in a burst, faster than their subscriptions take them: the CSE hands a resource's events over in
/// batches (those that arrive while the previous batch is handed over), each subscription taking its share of a batch
/// at once. Whatever the batches, every subscription gets each event it selects exactly once, in the order the events
/// happened, and none it does not select. The order is read from the notifications' request identifiers, which carry
/// the event's sequence number on its resource (<c>{resource}-{n}:{subscription}</c>).
/// </summary>
public sealed class NotificationBursts : IWireScenarios
{
    public static readonly string[] Scenarios =
    [
        "creates and updates in a burst reach each subscription once, in order",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        await using var receiver = new NotificationReceiver();
        var ae = await setup.RegisterAe();
        var container = (await setup.CreateContainer("/cse-in/" + ae, ae))[1..];
        await (scenario switch
        {
            "creates and updates in a burst reach each subscription once, in order" => MixedBurst(wire, receiver, ae, container),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        });
    }

    private static async Task MixedBurst(Wire wire, NotificationReceiver receiver, string ae, string container)
    {
        const int Rounds = 12;
        var creates = new List<string>();
        var updates = new List<string>();
        var both = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            creates.Add(await Subscribe(wire, receiver, ae, container, "c" + i, "[3],\"chty\":[4]"));
            updates.Add(await Subscribe(wire, receiver, ae, container, "u" + i, "[1]"));
            both.Add(await Subscribe(wire, receiver, ae, container, "b" + i, "[1,3],\"chty\":[4]"));
        }

        for (var i = 0; i < Rounds; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            (await wire.Create(container, ae, 4, "{\"m2m:cin\":{\"con\":\"" + n + "\"}}")).Is(2001);
            (await wire.Update(container, ae, "{\"m2m:cnt\":{\"lbl\":[\"round" + n + "\"]}}")).Is(2004);
        }

        var expected = (creates.Count + updates.Count + both.Count) * Rounds + both.Count * Rounds;
        var received = await receiver.WaitFor(r => r.Count(n => n.Signal?["nev"] is not null) >= expected,
            $"{expected} notifications of the burst", TimeSpan.FromSeconds(60));

        var events = received.Where(n => n.Signal?["nev"] is not null).ToList();
        Assert.Equal(expected, events.Count);
        List<long> Sequence(string subscription, int eventType)
        {
            var mine = events.Where(n => n.Signal!["sur"]!.GetValue<string>().EndsWith("/" + subscription, StringComparison.Ordinal)).ToList();
            Assert.All(mine, n => Assert.True(eventType == 0 || n.Signal!["nev"]!["net"]!.GetValue<int>() == eventType,
                $"{subscription} got net {n.Signal!["nev"]!["net"]}"));
            return mine.Select(n => EventNumber(n.Headers["X-M2M-RI"])).ToList();
        }

        var createSequence = Sequence(creates[0], 3);
        var updateSequence = Sequence(updates[0], 1);
        Assert.Equal(Rounds, createSequence.Count);
        Assert.Equal(Rounds, updateSequence.Count);
        var all = createSequence.Concat(updateSequence).Order().ToList();
        Assert.Equal(all.Distinct().Count(), all.Count);
        Assert.Equal(createSequence.Order(), createSequence);
        Assert.Equal(updateSequence.Order(), updateSequence);
        foreach (var subscription in creates)
        {
            Assert.Equal(createSequence, Sequence(subscription, 3));
        }

        foreach (var subscription in updates)
        {
            Assert.Equal(updateSequence, Sequence(subscription, 1));
        }

        foreach (var subscription in both)
        {
            Assert.Equal(all, Sequence(subscription, 0));
        }
    }

    private static async Task<string> Subscribe(Wire wire, NotificationReceiver receiver, string ae, string container, string name, string criteria) =>
        (await wire.Create(container, ae, 23, $$$$"""{"m2m:sub":{"rn":"{{{{name}}}}","nu":["{{{{receiver.Url}}}}"],"enc":{"net":{{{{criteria}}}}}}}""")).Is(2001)
            .Resource("m2m:sub")["ri"]!.GetValue<string>();

    // The event's number on its resource, from the notification's request identifier {resource}-{n}:{subscription}.
    private static long EventNumber(string requestId)
    {
        var eventId = requestId[..requestId.IndexOf(':', StringComparison.Ordinal)];
        return long.Parse(eventId[(eventId.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
    }
}

/// <summary>Notification bursts with requests over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class NotificationBurstTests(CseFixture fixture) : HttpScenarioTests<NotificationBursts>(fixture);

/// <summary>Notification bursts with requests over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttNotificationBurstTests(MqttFixture fixture) : MqttScenarioTests<NotificationBursts>(fixture);
