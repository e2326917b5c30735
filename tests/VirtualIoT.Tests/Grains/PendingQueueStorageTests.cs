using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using VirtualIoT.Grains.Resources;
using VirtualIoT.Grains.Resources.Subscription;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// Stored records serialised once (<see cref="EncodedRecords{TRecord}"/>, a holder's request ledger): unchanged
/// records keep their bytes from write to write, a replaced one is serialised again, removed ones are forgotten. A
/// subscription's queue stored in its state record by the layouts before its pages still reads back in order, and is
/// stored in pages only from then on.
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
    public void A_queue_stored_encoded_in_the_record_reads_back_in_order_and_is_then_stored_in_pages_only()
    {
        // The layout before pages: each queued notification's bytes in field 3 (EncodedQueue).
        var older = RoundTrip(new PendingNotifications
        {
            EncodedQueue = [s_serializer.SerializeToArray(Notification("ev-1:sub1", 0)), s_serializer.SerializeToArray(Notification("ev-2:sub1", 3))],
        });

        older.Decode(new EncodedRecords<PendingNotification>(s_serializer));
        older.Paged((0, 2));
        var stored = RoundTrip(older);

        Assert.Equal(["ev-1:sub1", "ev-2:sub1"], older.Queue.Select(n => n.Id));
        Assert.Equal([0, 3], older.Queue.Select(n => n.Attempts));
        Assert.Empty(stored.EncodedQueue);
        Assert.Equal((0L, 2L), (stored.FirstPage, stored.NextPage));
    }

    [Fact]
    public void A_queue_stored_as_records_before_the_encoded_queue_reads_and_is_then_stored_in_pages_only()
    {
        // The layout before: the queue's notifications as records in field 0 (now StoredQueue).
        var older = RoundTrip(new PendingNotifications { StoredQueue = [Notification("ev-7:sub1", 2)] });

        older.Decode(new EncodedRecords<PendingNotification>(s_serializer));
        older.Paged((5, 6));
        var stored = RoundTrip(older);

        Assert.Equal((ValueTuple<string, int>)("ev-7:sub1", 2), (Assert.Single(older.Queue).Id, older.Queue[0].Attempts));
        Assert.Empty(stored.StoredQueue);
        Assert.Equal((5L, 6L), (stored.FirstPage, stored.NextPage));
    }

    [Fact]
    public void A_paged_copy_of_a_notification_the_record_still_holds_replaces_it_in_place()
    {
        var pending = RoundTrip(new PendingNotifications { StoredQueue = [Notification("ev-1:sub1", 0), Notification("ev-2:sub1", 0)] });
        pending.Decode(new EncodedRecords<PendingNotification>(s_serializer));

        pending.AddPaged([Notification("ev-1:sub1", 4), Notification("ev-3:sub1", 0)]);

        Assert.Equal(["ev-1:sub1", "ev-2:sub1", "ev-3:sub1"], pending.Queue.Select(n => n.Id));
        Assert.Equal([4, 0, 0], pending.Queue.Select(n => n.Attempts));
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
