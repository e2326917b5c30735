namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>A subscription's own stored state (<see cref="ResourceState.Specific"/>): the notifications it has not delivered yet.</summary>
[GenerateSerializer, Alias("VirtualIoT.PendingNotifications")]
public sealed class PendingNotifications : TypeState
{
    /// <summary>
    /// Notifications waiting for delivery, oldest first: in memory once <see cref="Decode"/> ran and the subscription
    /// loaded its pages; stored one per page (<see cref="NotificationQueuePages"/>).
    /// </summary>
    internal NotificationQueue Queue => _queue;

    /// <summary>The queue as records stored before <see cref="EncodedQueue"/> held it; read once, written empty since.</summary>
    [Id(0)] public List<PendingNotification> StoredQueue { get; set; } = [];

    /// <summary>With <c>bn</c>: notifications gathered for the next batch (<c>m2m:agn</c>).</summary>
    [Id(1)] public List<PendingNotification> Batch { get; set; } = [];

    /// <summary>With <c>pn</c>: notifications of events outside the subscription's schedule, sent when a window opens.</summary>
    [Id(2)] public List<PendingNotification> Held { get; set; } = [];

    /// <summary>
    /// The queue as stored before it moved to pages (<see cref="FirstPage"/>): each notification serialised on its own;
    /// read once, written empty since.
    /// </summary>
    [Id(3)] public List<byte[]> EncodedQueue { get; set; } = [];

    /// <summary>The lowest page of the queue that may still be stored (<see cref="NotificationQueuePages"/>).</summary>
    [Id(4)] public long FirstPage { get; set; }

    /// <summary>The page after the last one this record names; pages written since follow it without a gap.</summary>
    [Id(5)] public long NextPage { get; set; }

    /// <summary>Whether <see cref="Queue"/> holds the queue stored in this record (a state just read holds it encoded).</summary>
    internal bool Decoded => _decoded;

    [NonSerialized] private NotificationQueue _queue = new();
    [NonSerialized] private bool _decoded;

    /// <summary>Reads the queue stored in this record by the earlier layouts into <see cref="Queue"/> (once per state read).</summary>
    internal void Decode(EncodedRecords<PendingNotification> records)
    {
        var queue = new NotificationQueue();
        queue.AddRange(StoredQueue);
        foreach (var bytes in EncodedQueue)
        {
            queue.Add(records.Decode(bytes));
        }

        _queue = queue;
        _decoded = true;
    }

    /// <summary>
    /// Adds the notifications read from the queue's pages to <see cref="Queue"/>: a copy of one the record still held
    /// (stored in pages before the record was written without it) replaces it.
    /// </summary>
    internal void AddPaged(List<PendingNotification> paged) => _queue.AddRange(paged);

    /// <summary>Before the state is written: the queue is in the pages <paramref name="range"/> names, none of it in this record.</summary>
    internal void Paged((long FirstPage, long NextPage) range)
    {
        StoredQueue = [];
        EncodedQueue = [];
        (FirstPage, NextPage) = range;
    }

    /// <summary>The pending notifications of a subscription stored before the per-type records, from its flat fields.</summary>
    internal static PendingNotifications FromLegacy(ResourceState stored) => new()
    {
        StoredQueue = stored.LegacyQueue ?? [],
        Batch = stored.LegacyBatch ?? [],
    };
}

/// <summary>A page of a subscription's queue: one notification (<see cref="NotificationQueuePages"/>).</summary>
[GenerateSerializer, Alias("VirtualIoT.QueuedNotification")]
public sealed class QueuedNotification
{
    /// <summary>The queued notification.</summary>
    [Id(0)] public PendingNotification? Notification { get; set; }
}
