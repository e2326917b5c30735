namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Watchers: actions (<c>&lt;action&gt;</c> <c>sri</c>) told of this resource's events through its outbox and
/// fan-out, exactly as subscriptions are (at least once), without being its children. An action under this resource
/// with no <c>sri</c> is linked by <see cref="CreateChild"/> itself (it may not call back into this turn); one whose
/// <c>sri</c> names this resource calls <see cref="Watch"/>.
/// </summary>
internal abstract partial class ResourceGrain
{
    /// <summary>The filter an action watches its subject with: every update (its criteria are its own to evaluate).</summary>
    internal static SubscriptionFilter ActionFilter(string actionId) =>
        new(actionId, [(int)NotificationEventType.UpdateOfResource], [], []);

    public async ValueTask<bool> Watch(SubscriptionFilter filter)
    {
        if (!IsLive(Now()))
        {
            return false;
        }

        if (!Links.Subscriptions.ContainsKey(filter.SubscriptionId))
        {
            await SubscriptionWillBeLinked();
            await Events.EnsureReminder();
            Links.Subscriptions[filter.SubscriptionId] = filter;
            await WriteLinksAsync(filter.SubscriptionId);
        }

        return true;
    }

    /// <summary>Called before a subscription or a watcher is linked here (and stored); the CSEBase tells its index shards.</summary>
    protected virtual ValueTask SubscriptionWillBeLinked() => ValueTask.CompletedTask;

    public async ValueTask Unwatch(string watcherId)
    {
        if (Exists && Links.Subscriptions.Remove(watcherId))
        {
            await WriteLinksAsync(watcherId);
            await Events.KeepReminder();
        }
    }

    /// <summary>
    /// The resource ID of a non-held resource of this CSE that <paramref name="reference"/> names: its ID
    /// (unstructured or SP-relative) or its structured address; null when it names none.
    /// </summary>
    protected async ValueTask<string?> ResolveReference(string reference)
    {
        var ri = AccessPolicies.Forms.Normalize(reference);
        return ResourceIds.Classify(ri, Options.CseBaseId) is { } type && !ResourceTypeRegistry.IsHeld(type) ? ri : await ResolveStructuredId(reference);
    }
}
