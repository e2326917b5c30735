using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Blocking update (<c>net</c> 7, TS-0001 10.2.11.x): an update of a resource with a blocking update subscription is
/// committed only after the subscriber answered its notification with 2000. The notification is remote I/O, so it
/// never happens in this grain's turn: the update is answered "awaits approval" with nothing changed, the request
/// dispatcher sends the notification and waits, then repeats the update with the approval's token.
/// </summary>
internal abstract partial class ResourceGrain
{
    /// <summary>
    /// The "awaits approval" answer for an update setting <paramref name="accepted"/> that a blocking update
    /// subscription must approve first; null when none must, or when the request carries the approval of the
    /// current state (the token names the subscription and the resource's <c>lt</c> and <c>st</c>: had either
    /// changed meanwhile, the subscriber is asked again about the update as it would now apply).
    /// </summary>
    private ResourceResponse? AwaitingApproval(ResourceRequest request, Dictionary<string, object?> accepted)
    {
        if (!Links.HasSubscriptions || SubscriptionMatcher.Blocking(Links.Subscriptions.Values, accepted) is not { } blocking)
        {
            return null;
        }

        var token = string.Concat(blocking.SubscriptionId, "|", State.Attributes.TryGetValue(AttributeNames.LastModifiedTime, out var lt) ? lt as string : null,
            "|", CurrentAttributes().Long(AttributeNames.StateTag)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (request.BlockingApproval == token)
        {
            return null;
        }

        return new ResourceResponse(ResponseStatusCode.Accepted, Message: "the update awaits the approval of a blocking update subscription")
        {
            AwaitsApproval = new BlockingUpdateApproval(blocking.SubscriptionId, token, Representation.Resource(Policy.RootKey, accepted)),
        };
    }
}
