namespace VirtualIoT.Grains.Resources.CrossResourceSubscription;

/// <summary>
/// A cross-resource subscription's own stored state: the subscriptions named by its <c>srat</c>, as SP-relative
/// resource IDs (an <c>srat</c> entry may be structured or bare; notifications name the subscription by its ID).
/// The subscriptions it made for <c>rrat</c> are its <c>rrats</c> attribute.
/// </summary>
[GenerateSerializer, Alias("VirtualIoT.CrossResourceTargets")]
public sealed class CrossResourceTargets : TypeState
{
    /// <summary>The <c>srat</c> subscriptions this resource added itself to (SP-relative IDs), in <c>srat</c> order.</summary>
    [Id(0)] public List<string> SubscriptionIds { get; set; } = [];
}
