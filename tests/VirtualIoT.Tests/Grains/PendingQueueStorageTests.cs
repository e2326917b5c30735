using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using VirtualIoT.Grains.Resources;
using VirtualIoT.Grains.Resources.Subscription;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// A subscription's queue is stored with each notification serialised once (<see cref="EncodedRecords{TRecord}"/>):
/// unchanged notifications keep their bytes from write to write, a replaced one (a retry counted) is serialised again,
/// delivered ones are forgotten, and what is stored reads back as the same queue, also from the layout before.
/// </summary>
public sealed class PendingQueueStorageTests
{
    private static readonly Serializer s_serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public void Unchanged_notifications_keep_their_bytes_and_a_replaced_one_is_serialised_again()
    {
        var records = new EncodedRecords<PendingNotification>(s_serializer);
        var first = Notification("ev-1:sub1", attempts: 0);
        var second = Notification("ev-2:sub1", attempts: 0);
        var before = records.Encode([first, second]);

        var retried = second with { Attempts = 1, Targets = ["http://127.0.0.1:9/b"] };
        var third = Notification("ev-3:sub1", attempts: 0);
        var after = records.Encode([first, retried, third]);

        Assert.Same(before[0], after[0]);
        Assert.NotSame(before[1], after[1]);
        var read = after.Select(bytes => s_serializer.Deserialize<PendingNotification>(bytes)!).ToList();
        Assert.Equal(["ev-1:sub1", "ev-2:sub1", "ev-3:sub1"], read.Select(n => n.Id));
        Assert.Equal([0, 1, 0], read.Select(n => n.Attempts));
        Assert.Equal(["http://127.0.0.1:9/b"], read[1].Targets);
        Assert.Equal("ev-3:sub1", ((Dictionary<string, object?>)read[2].Content["m2m:sgn"]!)["sur"]);

        // Delivered (gone from the queue) and then queued again as a new record: serialised anew.
        Assert.Empty(records.Encode([]));
        Assert.NotSame(after[0], records.Encode([first])[0]);
    }

    [Fact]
    public void A_stored_queue_reads_back_in_order_and_its_bytes_are_reused()
    {
        var records = new EncodedRecords<PendingNotification>(s_serializer);
        var pending = new PendingNotifications();
        pending.Decode(records);
        pending.Queue.AddRange([Notification("ev-1:sub1", 0), Notification("ev-2:sub1", 3)]);
        pending.Encode(records);

        var readRecords = new EncodedRecords<PendingNotification>(s_serializer);
        var read = RoundTrip(pending);
        Assert.False(read.Decoded);
        read.Decode(readRecords);

        Assert.Equal(["ev-1:sub1", "ev-2:sub1"], read.Queue.Select(n => n.Id));
        Assert.Equal([0, 3], read.Queue.Select(n => n.Attempts));
        var stored = read.EncodedQueue;
        read.Encode(readRecords);
        Assert.Same(stored[0], read.EncodedQueue[0]);
        Assert.Same(stored[1], read.EncodedQueue[1]);
    }

    [Fact]
    public void A_queue_stored_as_records_before_the_encoded_queue_reads_and_is_then_stored_encoded()
    {
        // The layout before: the queue's notifications as records in field 0 (now StoredQueue).
        var older = RoundTrip(new PendingNotifications { StoredQueue = [Notification("ev-7:sub1", 2)] });
        var records = new EncodedRecords<PendingNotification>(s_serializer);

        older.Decode(records);
        Assert.Equal("ev-7:sub1", Assert.Single(older.Queue).Id);
        older.Encode(records);

        var stored = RoundTrip(older);
        Assert.Empty(stored.StoredQueue);
        stored.Decode(new EncodedRecords<PendingNotification>(s_serializer));
        Assert.Equal((ValueTuple<string, int>)("ev-7:sub1", 2), (Assert.Single(stored.Queue).Id, stored.Queue[0].Attempts));
    }

    private static PendingNotifications RoundTrip(PendingNotifications pending) =>
        s_serializer.Deserialize<PendingNotifications>(s_serializer.SerializeToArray(pending))!;

    private static PendingNotification Notification(string id, int attempts) => new(id, ["http://127.0.0.1:9/a"],
        new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["m2m:sgn"] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["sur"] = id,
                ["nev"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["net"] = 3L, ["rep"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["con"] = "v" } },
            },
        },
        attempts);
}
