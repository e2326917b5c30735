namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>A subscription's own stored state (<see cref="ResourceState.Specific"/>): the notifications it has not delivered yet.</summary>
[GenerateSerializer, Alias("VirtualIoT.PendingNotifications")]
public sealed class PendingNotifications : TypeState
{
    /// <summary>Notifications waiting for delivery, oldest first.</summary>
    [Id(0)] public List<PendingNotification> Queue { get; set; } = [];

    /// <summary>With <c>bn</c>: notifications gathered for the next batch (<c>m2m:agn</c>).</summary>
    [Id(1)] public List<PendingNotification> Batch { get; set; } = [];

    /// <summary>With <c>pn</c>: notifications of events outside the subscription's schedule, sent when a window opens.</summary>
    [Id(2)] public List<PendingNotification> Held { get; set; } = [];

    /// <summary>The pending notifications of a subscription stored before the per-type records, from its flat fields.</summary>
    internal static PendingNotifications FromLegacy(ResourceState stored) => new()
    {
        Queue = stored.LegacyQueue ?? [],
        Batch = stored.LegacyBatch ?? [],
    };
}
