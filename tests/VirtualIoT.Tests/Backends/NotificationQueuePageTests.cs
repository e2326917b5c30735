using VirtualIoT.Tests.CrashPoints;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Protocol;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// A subscription stores its queue one notification per page: an event writes its notification's page and not the
/// subscription's state record, and a subscription whose activation was lost (memory gone, storage kept) delivers
/// every queued notification, in order, once reactivated.
/// </summary>
[Trait("Speed", "Slow")]
public sealed class NotificationQueuePageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Each_event_writes_only_its_page_and_the_paged_queue_survives_a_lost_activation()
    {
        var writes = new CrashSwitch();
        await using var receiver = new NotificationReceiver();
        await using var host = PlatformHost.Start(new Dictionary<string, string>(), services => CrashingGrainStorage.Register(services, writes));
        var client = host.Client;
        var aeId = await client.RegisterAe();
        var container = await client.CreateContainer("/cse-in/" + aeId, aeId);
        var subscribed = await client.Create(container, aeId, 23,
            "{\"m2m:sub\":{\"rn\":\"sub\",\"nu\":[\"" + receiver.Url + "\"],\"enc\":{\"net\":[3]}}}");
        Assert.True(subscribed.Rsc == 2001, subscribed.Body);
        var subscriptionId = subscribed.Resource("m2m:sub")["ri"]!.GetValue<string>();

        // The receiver refuses: every notification stays queued behind the first one's retries.
        receiver.AnswerWith = 5000;
        writes.Arm(0);
        string[] values = ["page-a", "page-b", "page-c"];
        foreach (var value in values)
        {
            await client.CreateInstance(container, aeId, con: value);
        }

        await receiver.WaitFor(r => r.Any(n => n.Body.Contains("page-a", StringComparison.Ordinal)), "a first, refused attempt");
        // The events reach the subscription in batches, after the creates' answers: the first attempt can be on its
        // way before the last event's page is written.
        string[] pages = [.. new[] { 0, 1, 2 }.Select(page => $"write queue vi-queue/{subscriptionId}/{page}")];
        await M2MTime.WaitUntil(() => Task.FromResult(pages.All(writes.Writes.Contains)), "a queue page written for each event", TimeSpan.FromSeconds(30));
        var ofSubscription = writes.Writes.Where(w => w.Contains(subscriptionId, StringComparison.Ordinal)).ToList();
        output.WriteLine(string.Join("\n", ofSubscription));

        Assert.DoesNotContain(ofSubscription, w => w.StartsWith("write resource ", StringComparison.Ordinal));

        var refused = receiver.Received.Count;
        await host.DiscardActivations(TimeSpan.FromSeconds(30));
        receiver.AnswerWith = 2000;
        Assert.Equal(2000, (await client.Retrieve(container + "/sub", aeId)).Rsc);

        var arrived = await receiver.WaitFor(r => values.All(v => r.Skip(refused).Any(n => n.Body.Contains(v, StringComparison.Ordinal))),
            "every queued notification after the reactivation");
        var order = arrived.Skip(refused).Select(n => Array.FindIndex(values, v => n.Body.Contains(v, StringComparison.Ordinal))).Where(i => i >= 0)
            .Distinct().ToList();
        Assert.Equal([0, 1, 2], order);
    }
}
