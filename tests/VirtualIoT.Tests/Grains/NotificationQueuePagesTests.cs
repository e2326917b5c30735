using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using VirtualIoT.Grains.Resources.Subscription;
using VirtualIoT.Silo.Storage;
using VirtualIoT.Tests.CrashPoints;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// A subscription's queue stored in pages (<see cref="NotificationQueuePages"/>) from what its in-memory queue
/// (<see cref="NotificationQueue"/>) noted as changed: each store writes the changed pages and no others, a store
/// that fails part-way writes the rest next time, and whatever the queue went through, the pages read back hold it in
/// order (plus, at least once, delivered notifications whose pages the state did not name yet).
/// </summary>
public sealed class NotificationQueuePagesTests(ITestOutputHelper output) : IDisposable
{
    private const string SubscriptionId = "sub-q";

    private readonly ServiceProvider _services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    private readonly CrashSwitch _crash = new();
    private CrashingGrainStorage? _storage;

    private CrashingGrainStorage Storage => _storage ??= new CrashingGrainStorage(
        new InProcessGrainStorage(new PooledStateSerializer(_services.GetRequiredService<Serializer>())), _crash);

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Each_store_writes_the_changed_pages_only()
    {
        var pages = new NotificationQueuePages(Storage, SubscriptionId);
        pages.Start();
        var queue = new NotificationQueue();
        for (var i = 0; i < 40; i++)
        {
            queue.Add(Notification(i));
        }

        _crash.Arm(0);
        await pages.StoreAsync(queue);
        Assert.Equal(40, _crash.Writes.Count);
        var range = pages.Range();
        await pages.NamedAsync(range.NextPage);

        _crash.Arm(0);
        queue.Add(Notification(40));
        await pages.StoreAsync(queue);
        Assert.Equal([$"write queue vi-queue/{SubscriptionId}/40"], _crash.Writes);

        _crash.Arm(0);
        queue[0] = queue[0] with { Attempts = 1 };
        await pages.StoreAsync(queue);
        Assert.Equal([$"write queue vi-queue/{SubscriptionId}/0"], _crash.Writes);

        _crash.Arm(0);
        queue.RemoveAt(0);
        queue.RemoveAt(0);
        await pages.StoreAsync(queue);
        Assert.Equal([$"clear queue vi-queue/{SubscriptionId}/0", $"clear queue vi-queue/{SubscriptionId}/1"], _crash.Writes);

        _crash.Arm(0);
        await pages.StoreAsync(queue);
        Assert.Empty(_crash.Writes);

        // Past what the state names (page 40): its clear waits for the state to name it.
        _crash.Arm(0);
        queue.Remove(queue[^1]);
        await pages.StoreAsync(queue);
        Assert.Empty(_crash.Writes);
        Assert.Equal(1, pages.WaitingClears);
        await pages.NamedAsync(pages.Range().NextPage);
        Assert.Equal([$"clear queue vi-queue/{SubscriptionId}/40"], _crash.Writes);
        Assert.Equal(0, pages.WaitingClears);

        var loaded = await new NotificationQueuePages(Storage, SubscriptionId).LoadAsync(pages.Range().FirstPage, pages.Range().NextPage);
        Assert.Equal(queue.Select(n => (n.Id, n.Attempts)), loaded.Select(n => (n.Id, n.Attempts)));
    }

    [Fact]
    public async Task The_pages_read_back_hold_the_queue_in_order_whatever_it_went_through_and_whichever_writes_failed()
    {
        var seed = TestSeed.Resolve(1807, output);
        var random = new Random(seed);
        var pages = new NotificationQueuePages(Storage, SubscriptionId);
        pages.Start();
        var queue = new NotificationQueue();
        var removed = new HashSet<string>(StringComparer.Ordinal);
        var named = (FirstPage: 0L, NextPage: 0L);
        var next = 0;
        var failures = 0;
        for (var step = 0; step < 600; step++)
        {
            switch (random.Next(10))
            {
                case < 4:
                    for (var n = random.Next(1, 4); n > 0; n--)
                    {
                        queue.Add(Notification(next++));
                    }

                    break;
                case 4 when queue.Count > 0:
                    var retried = random.Next(queue.Count);
                    queue[retried] = queue[retried] with { Attempts = queue[retried].Attempts + 1 };
                    break;
                case 5 or 6 when queue.Count > 0:
                    // Delivered from the head, as a rule; now and then from the middle (latestNotify's replacement).
                    for (var n = Math.Min(queue.Count, random.Next(1, 5)); n > 0; n--)
                    {
                        removed.Add(queue[0].Id);
                        queue.RemoveAt(0);
                    }

                    if (queue.Count > 2 && random.Next(4) == 0)
                    {
                        var middle = queue[queue.Count / 2];
                        removed.Add(middle.Id);
                        Assert.True(queue.Remove(middle));
                    }

                    break;
            }

            // Every store may fail at one of its writes; what it did not store is stored by a later one.
            _crash.Arm(random.Next(3) == 0 ? random.Next(1, 4) : 0);
            try
            {
                await pages.StoreAsync(queue);
                if (random.Next(4) == 0)
                {
                    // The state is written, naming the pages (SubscriptionGrain.StoreAsync).
                    var range = pages.Range();
                    named = range;
                    await pages.NamedAsync(range.NextPage);
                }
            }
            catch (SimulatedCrashException)
            {
                failures++;
            }

            _crash.Revive();
            if (step % 50 == 49)
            {
                await pages.StoreAsync(queue);
                await ReadBack(seed, step, queue, removed, named);
            }
        }

        // Once the state names every page, the delivered ones are cleared: what reads back is the queue, nothing more.
        await pages.StoreAsync(queue);
        named = pages.Range();
        await pages.NamedAsync(named.NextPage);
        Assert.Equal(0, pages.WaitingClears);
        await ReadBack(seed, -1, queue, [], named);
        output.WriteLine($"{next} notifications, {failures} stores failed part-way, {queue.Count} queued at the end");
        Assert.True(failures > 0, TestSeed.Replay(seed) + "no store failed: the failure paths were not exercised");
    }

    // What a new activation would read: the queue in order, and at most delivered notifications (again) besides.
    private async Task ReadBack(int seed, int step, NotificationQueue queue, HashSet<string> removed, (long FirstPage, long NextPage) named)
    {
        var loaded = await new NotificationQueuePages(Storage, SubscriptionId).LoadAsync(named.FirstPage, named.NextPage);
        var stillQueued = loaded.Where(n => !removed.Contains(n.Id)).Select(n => (n.Id, n.Attempts)).ToList();
        Assert.True(queue.Select(n => (n.Id, n.Attempts)).SequenceEqual(stillQueued),
            TestSeed.Replay(seed) + $"step {step}: queued [{string.Join(' ', queue.Select(n => $"{n.Id}/{n.Attempts}"))}], " +
            $"read back [{string.Join(' ', loaded.Select(n => $"{n.Id}/{n.Attempts}"))}]");
    }

    private static PendingNotification Notification(int number) =>
        new($"ev-{number}:{SubscriptionId}", ["http://receiver.example/n"],
            new Dictionary<string, object?>(StringComparer.Ordinal) { ["m2m:sgn"] = number.ToString(System.Globalization.CultureInfo.InvariantCulture) }, 0);
}
