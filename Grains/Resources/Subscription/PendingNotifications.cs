namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>A subscription's own stored state (<see cref="ResourceState.Specific"/>): the notifications it has not delivered yet.</summary>
[GenerateSerializer, Alias("VirtualIoT.PendingNotifications")]
public sealed class PendingNotifications : TypeState
{
    /// <summary>
    /// Notifications waiting for delivery, oldest first: in memory once <see cref="Decode"/> ran; stored as
    /// <see cref="EncodedQueue"/>.
    /// </summary>
    internal List<PendingNotification> Queue => _queue;

    /// <summary>The queue as records stored before <see cref="EncodedQueue"/> held it; read once, written empty since.</summary>
    [Id(0)] public List<PendingNotification> StoredQueue { get; set; } = [];

    /// <summary>With <c>bn</c>: notifications gathered for the next batch (<c>m2m:agn</c>).</summary>
    [Id(1)] public List<PendingNotification> Batch { get; set; } = [];

    /// <summary>With <c>pn</c>: notifications of events outside the subscription's schedule, sent when a window opens.</summary>
    [Id(2)] public List<PendingNotification> Held { get; set; } = [];

    /// <summary>
    /// The queue as stored: each notification serialised on its own (<see cref="PendingNotification"/> in Orleans'
    /// binary format) when it was first stored. Every event stores the whole queue again, and re-serialising each
    /// queued notification's content tree every time cost a third of a silo's CPU under a notification burst.
    /// </summary>
    [Id(3)] public List<byte[]> EncodedQueue { get; set; } = [];

    /// <summary>Whether <see cref="Queue"/> holds the stored queue (a state just read holds it encoded).</summary>
    internal bool Decoded => _decoded;

    [NonSerialized] private List<PendingNotification> _queue = [];
    [NonSerialized] private bool _decoded;

    /// <summary>Reads the stored queue into <see cref="Queue"/> (once per state read).</summary>
    internal void Decode(EncodedRecords<PendingNotification> records)
    {
        var queue = new List<PendingNotification>(StoredQueue.Count + EncodedQueue.Count);
        queue.AddRange(StoredQueue);
        foreach (var bytes in EncodedQueue)
        {
            queue.Add(records.Decode(bytes));
        }

        _queue = queue;
        StoredQueue = [];
        _decoded = true;
    }

    /// <summary>Puts <see cref="Queue"/> into its stored form, before the state is written.</summary>
    internal void Encode(EncodedRecords<PendingNotification> records)
    {
        if (Decoded)
        {
            EncodedQueue = records.Encode(Queue);
        }
    }

    /// <summary>The pending notifications of a subscription stored before the per-type records, from its flat fields.</summary>
    internal static PendingNotifications FromLegacy(ResourceState stored) => new()
    {
        StoredQueue = stored.LegacyQueue ?? [],
        Batch = stored.LegacyBatch ?? [],
    };
}
