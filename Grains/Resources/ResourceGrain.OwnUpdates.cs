namespace VirtualIoT.Grains.Resources;

/// <summary>Updates the CSE makes to a resource itself, not asked by a request (a request's completion, an AE contact list's <c>ail</c>).</summary>
internal abstract partial class ResourceGrain
{
    /// <summary>
    /// Merges <paramref name="modified"/> into the attributes and stores them, with the Update_of_Resource event
    /// for the resource's subscriptions (handed over after the write); memory is left as stored if the write fails.
    /// </summary>
    protected async Task StoreOwnUpdate(Dictionary<string, object?> modified)
    {
        var updated = new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal);
        foreach (var (key, value) in modified)
        {
            updated[key] = value;
        }

        var previous = State.Attributes;
        State.Attributes = updated;
        var raised = EventsIfAny?.Raise(NotificationEventType.UpdateOfResource, State.Type, updated, modified);
        try
        {
            await WriteStateAsync();
        }
        catch
        {
            State.Attributes = previous;
            throw;
        }

        EventsIfAny?.Dispatch(raised);
    }
}
