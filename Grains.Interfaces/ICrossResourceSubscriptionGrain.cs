using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;crossResourceSubscription&gt;</c> (ty 48, key = its <c>ri</c>). It subscribes to each of its
/// targets (<c>rrat</c>: a subscription it creates there; <c>srat</c>: an existing subscription it adds itself to),
/// collects which of those subscriptions notified within one time window (<c>twt</c>, <c>tws</c>) and notifies its
/// own <c>nu</c> when the window's events satisfy its <c>eem</c>.
/// </summary>
[Alias("VirtualIoT.ICrossResourceSubscriptionGrain")]
public interface ICrossResourceSubscriptionGrain : IClusterResourceGrain
{
    /// <summary>
    /// Cluster-internal: one of the subscriptions feeding this resource sent it a notification (the delivery worker
    /// hands it over instead of sending it over the network). Only touches the open window, so it interleaves:
    /// a notification never waits for this resource's own turn. Returns the receiver's answer (2000 when taken).
    /// </summary>
    [Alias("Notified"), AlwaysInterleave]
    ValueTask<ResponseStatusCode> Notified(Dictionary<string, object?> content);

    /// <summary>
    /// Cluster-internal: the subscription <paramref name="subscriptionReference"/> (SP-relative) feeding this resource
    /// had an event. What a subscription whose targets are all cross-resource subscriptions sends instead of a
    /// notification: the window only notes which subscription notified. One-way and interleaving, as
    /// <see cref="Notified"/>.
    /// </summary>
    [Alias("Signal"), OneWay, AlwaysInterleave]
    ValueTask Signal(string subscriptionReference);

    /// <summary>Cluster-internal: the outcome of a window's notification, reported by the delivery worker.</summary>
    [Alias("Delivered"), OneWay]
    ValueTask Delivered(string notificationId, IReadOnlyList<string> deliveredTargets);

    /// <summary>
    /// Cluster-internal: the subscription <paramref name="subscriptionId"/> (SP-relative) that fed this resource was
    /// deleted; as ACME does, the cross-resource subscription then deletes itself (and its other subscriptions).
    /// </summary>
    [Alias("SubscriptionDeleted"), OneWay]
    ValueTask SubscriptionDeleted(string subscriptionId);
}
