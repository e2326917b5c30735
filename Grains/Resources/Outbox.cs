using System.Globalization;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// A resource's outbox: the events it raised for its subscriptions, stored with the change that caused them and
/// kept until every subscription has stored them (at-least-once notifications: a silo may die right after the
/// change was acknowledged), and the one reminder that brings the resource back to hand them over again.
/// </summary>
/// <param name="owner">The resource grain the outbox belongs to (read through it, not through delegates: every active resource grain holds an outbox).</param>
/// <param name="resourceId">The resource's ID.</param>
internal sealed class Outbox(Outbox.IOwner owner, string resourceId)
{
    /// <summary>What an outbox reads of the resource grain it belongs to.</summary>
    internal interface IOwner : IGrainBase
    {
        /// <summary>The grain factory of the owner's silo.</summary>
        IGrainFactory Grains { get; }

        /// <summary>The resource's stored state (replaced as a whole at creation, so read each time).</summary>
        ResourceState StoredState { get; }

        /// <summary>The resource's children and subscriptions as held in memory.</summary>
        ResourceLinks CurrentLinks { get; }

        /// <summary>The CSE's time now, in oneM2M format.</summary>
        string Now();

        /// <summary>The resource's attributes as sent on the wire (a container's with its counters).</summary>
        Dictionary<string, object?> RepresentedAttributes();
    }

    /// <summary>
    /// Reminder a resource holds while it has subscriptions: it brings the resource back after a silo failure so
    /// that events stored in its outbox reach their subscriptions even if no request touches the resource again.
    /// </summary>
    public const string ReminderName = "outbox";

    private static readonly TimeSpan s_reminderPeriod = TimeSpan.FromMinutes(1);

    private HashSet<string>? _waitingAtLastTick;

    /// <summary>The most events handed to the fan-out worker in one call: bounds its message (each event carries its resource's representation).</summary>
    internal const int MaxBatch = 64;

    // The events waiting for the hand-over in flight to end, and the subscriptions of each. One hand-over at a time, the
    // next sent only once the previous was answered: Orleans does not keep the order of messages in flight (a message
    // to a fan-out worker still being placed can be overtaken by the next one), which would notify a later event first.
    private List<ResourceEvent>? _waiting;
    private List<IReadOnlyList<string>>? _waitingFor;
    private bool _handingOver;

    /// <summary>
    /// The originator of the request the resource is executing, carried by the events it raises (R5 <c>eeno</c>);
    /// set at the start of every create, update or delete (such turns never interleave), null otherwise.
    /// </summary>
    public string? Originator { get; set; }

    /// <summary>
    /// An event stored in the outbox and the subscriptions it goes to; <paramref name="Next"/>, another raised with it;
    /// <paramref name="Signals"/>, the subscriptions feeding cross-resource subscriptions only that select it (signalled
    /// directly, not kept in the outbox).
    /// </summary>
    public sealed record RaisedEvent(ResourceEvent Event, List<string> Subscriptions, RaisedEvent? Next = null, List<CrossResourceSignal>? Signals = null);

    /// <summary>
    /// Records an event for the subscriptions it concerns, in the outbox, to be stored by the state write that
    /// follows; null when no subscription wants it. Call <see cref="Dispatch"/> after that write. An update, and the
    /// creation of a child (a CREATE addressed to this resource), are also the operation that operation monitors
    /// (<c>enc/om</c>) watch: that event goes with it, representing this resource.
    /// </summary>
    public RaisedEvent? Raise(NotificationEventType eventType, ResourceType type, Dictionary<string, object?> attributes,
        Dictionary<string, object?>? modified = null, string? rootKey = null)
    {
        var links = owner.CurrentLinks;
        if (!links.HasSubscriptions)
        {
            return null;
        }

        var subscriptions = links.Subscriptions;

        var monitored = eventType switch
        {
            NotificationEventType.UpdateOfResource => RaiseOperation(Operation.Update, type, attributes, modified),
            NotificationEventType.CreateOfDirectChildResource => RaiseOperation(Operation.Create, owner.StoredState.Type, null, null),
            _ => null,
        };
        var matching = SubscriptionMatcher.Matching(subscriptions.Values, eventType, type, modified);
        var signals = TakeSignals(subscriptions, matching);
        if (matching.Count == 0 && signals is null)
        {
            return monitored;
        }

        var raised = NewEvent(eventType, type, attributes, modified);
        if (rootKey is not null)
        {
            raised = raised with { RootKey = rootKey };
        }

        if (matching.Count > 0)
        {
            (owner.StoredState.Outbox ??= []).Add(raised);
        }

        return new RaisedEvent(raised, matching, monitored, signals);
    }

    /// <summary>
    /// Takes out of <paramref name="matching"/> the subscriptions that feed cross-resource subscriptions only and are
    /// not ending (<see cref="SubscriptionFilter.Signal"/>): their signals, or null when there are none.
    /// </summary>
    private List<CrossResourceSignal>? TakeSignals(Dictionary<string, SubscriptionFilter> subscriptions, List<string> matching)
    {
        List<CrossResourceSignal>? signals = null;
        string? time = null;
        for (var i = matching.Count - 1; i >= 0; i--)
        {
            if (subscriptions[matching[i]].Signal is { } signal
                && (signal.ExpirationTime is not { } et || string.CompareOrdinal(et, time ??= owner.Now()) > 0))
            {
                (signals ??= []).Add(signal);
                matching.RemoveAt(i);
            }
        }

        return signals;
    }

    /// <summary>
    /// Records an event for one subscription only (<see cref="ResourceEvent.Subscription"/>), in the outbox, to be
    /// stored by the state write that follows; null when the resource no longer has that subscription.
    /// </summary>
    public RaisedEvent? RaiseFor(string subscriptionId, NotificationEventType eventType, ResourceType type, Dictionary<string, object?> attributes, string rootKey)
    {
        if (!owner.CurrentLinks.Subscriptions.ContainsKey(subscriptionId))
        {
            return null;
        }

        var raised = NewEvent(eventType, type, attributes, null) with { RootKey = rootKey, Subscription = subscriptionId };
        (owner.StoredState.Outbox ??= []).Add(raised);
        return new RaisedEvent(raised, [subscriptionId]);
    }

    /// <summary>The operation event of <paramref name="operation"/> for the operation monitors it concerns, in the outbox; null when none.</summary>
    /// <remarks><paramref name="attributes"/> null: the resource's own, asked for only when a monitor wants them.</remarks>
    private RaisedEvent? RaiseOperation(Operation operation, ResourceType type, Dictionary<string, object?>? attributes, Dictionary<string, object?>? modified)
    {
        var matching = SubscriptionMatcher.Monitoring(owner.CurrentLinks.Subscriptions.Values, operation, Originator);
        if (matching.Count == 0)
        {
            return null;
        }

        var raised = NewEvent(NotificationEventType.MonitoredOperation, type, attributes ?? owner.RepresentedAttributes(), modified) with { Operation = operation };
        (owner.StoredState.Outbox ??= []).Add(raised);
        return new RaisedEvent(raised, matching);
    }

    /// <summary>
    /// Hands a retrieve to the operation monitors (<c>enc/om</c>) it concerns, straight to the fan-out worker: a
    /// retrieve stores nothing, so its event is not kept in the outbox (a silo failure before the subscriptions
    /// stored it loses it) and has an ID of its own rather than the next of the stored sequence.
    /// </summary>
    public void MonitorRetrieve(ResourceType type, Dictionary<string, object?> attributes, string originator)
    {
        var links = owner.CurrentLinks;
        if (!links.HasSubscriptions)
        {
            return;
        }

        var subscriptions = links.Subscriptions;

        var matching = SubscriptionMatcher.Monitoring(subscriptions.Values, Operation.Retrieve, originator);
        if (matching.Count > 0)
        {
            var retrieved = new ResourceEvent(string.Concat(resourceId, "-r", Guid.NewGuid().ToString("N")), NotificationEventType.MonitoredOperation, type,
                attributes, null, originator, Operation.Retrieve);
            Dispatch(new RaisedEvent(retrieved, matching));
        }
    }

    /// <summary>A new event with the next event ID, not put in the outbox (the resource's deletion event is handed over directly).</summary>
    public ResourceEvent NewEvent(NotificationEventType eventType, ResourceType type, Dictionary<string, object?> attributes, Dictionary<string, object?>? modified)
    {
        var current = owner.StoredState;
        current.EventSequence++;
        return new ResourceEvent(string.Concat(resourceId, "-", current.EventSequence.ToString(CultureInfo.InvariantCulture)),
            eventType, type, attributes, modified, Originator);
    }

    /// <summary>
    /// Hands a stored event to the fan-out worker, after the events handed over before it (with the others raised
    /// meanwhile, when a hand-over is in flight), without waiting in the resource's turn for subscriptions or receivers.
    /// </summary>
    public void Dispatch(RaisedEvent? raised)
    {
        for (var next = raised; next is not null; next = next.Next)
        {
            if (next.Subscriptions.Count > 0)
            {
                (_waiting ??= []).Add(next.Event);
                (_waitingFor ??= []).Add(next.Subscriptions);
            }

            foreach (var signal in next.Signals ?? [])
            {
                foreach (var crossResource in signal.CrossResourceSubscriptions)
                {
                    // One-way: the message is queued, nothing waits for the cross-resource subscription.
                    _ = owner.Grains.GetGrain<ICrossResourceSubscriptionGrain>(crossResource).Signal(signal.SubscriptionReference);
                }
            }
        }

        if (!_handingOver && _waiting is { Count: > 0 })
        {
            _handingOver = true;
            _ = HandOverWaiting();
        }
    }

    // Runs on the resource's activation (between its turns), so the waiting lists need no lock. A failed hand-over
    // leaves its events in the outbox (handed over again at the reminder's next ticks or on activation); the next
    // batch still goes.
    private async Task HandOverWaiting()
    {
        var fanOut = owner.Grains.GetGrain<IFanOutGrain>(resourceId);
        try
        {
            while (_waiting is { Count: > 0 } waiting)
            {
                var waitingFor = _waitingFor!;
                List<ResourceEvent> events;
                List<IReadOnlyList<string>> subscriptions;
                if (waiting.Count <= MaxBatch)
                {
                    // The whole list goes, and new events start another: a list is never changed once sent.
                    (events, subscriptions) = (waiting, waitingFor);
                    (_waiting, _waitingFor) = (null, null);
                }
                else
                {
                    (events, subscriptions) = (waiting.GetRange(0, MaxBatch), waitingFor.GetRange(0, MaxBatch));
                    waiting.RemoveRange(0, MaxBatch);
                    waitingFor.RemoveRange(0, MaxBatch);
                }

                try
                {
                    await fanOut.DispatchAll(resourceId, events, subscriptions);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    // The events stay in the outbox, and are handed over again at the reminder's next ticks or on activation.
                }
            }
        }
        finally
        {
            _handingOver = false;
        }
    }

    /// <summary>Every subscription stored the event: dropped from memory only, the next write stores the shorter outbox.</summary>
    public void Dispatched(string eventId)
    {
        var state = owner.StoredState;
        if (state.Outbox is { } outbox && outbox.RemoveAll(e => e.EventId == eventId) > 0 && outbox.Count == 0)
        {
            state.Outbox = null;
        }
    }

    /// <summary>Hands over again every stored event (on activation: the silo may have died before they reached every subscription).</summary>
    public void RedispatchAll()
    {
        if (owner.StoredState.Outbox is { Count: > 0 } outbox)
        {
            Redispatch(outbox);
        }
    }

    /// <summary>
    /// At a reminder tick, hands over again the events that were already waiting at the previous tick (younger
    /// ones are still on their way).
    /// </summary>
    public void OnReminder()
    {
        var outbox = owner.StoredState.Outbox ?? [];
        var waiting = new HashSet<string>(outbox.Select(e => e.EventId), StringComparer.Ordinal);
        if (_waitingAtLastTick is { } previous)
        {
            Redispatch(outbox.Where(e => previous.Contains(e.EventId)).ToList());
        }

        _waitingAtLastTick = waiting;
    }

    /// <summary>Registers the reminder; call before the first subscription is stored, so none exists without it.</summary>
    public Task EnsureReminder() => owner.RegisterOrUpdateReminder(ReminderName, s_reminderPeriod, s_reminderPeriod);

    /// <summary>Holds the reminder while the resource has subscriptions, and drops it with the last one.</summary>
    public async Task KeepReminder()
    {
        if (owner.CurrentLinks.HasSubscriptions)
        {
            await EnsureReminder();
        }
        else if (await owner.GetReminder(ReminderName) is { } reminder)
        {
            await owner.UnregisterReminder(reminder);
        }
    }

    private void Redispatch(IReadOnlyList<ResourceEvent> events)
    {
        var subscriptions = owner.CurrentLinks.Subscriptions.Values;
        foreach (var pending in events)
        {
            var matching = pending switch
            {
                { Subscription: { } one } => owner.CurrentLinks.Subscriptions.ContainsKey(one) ? [one] : [],
                { EventType: NotificationEventType.MonitoredOperation, Operation: { } operation } =>
                    SubscriptionMatcher.Monitoring(subscriptions, operation, pending.Originator),
                _ => SubscriptionMatcher.Matching(subscriptions, pending.EventType, pending.ResourceType, pending.ModifiedAttributes),
            };
            Dispatch(new RaisedEvent(pending, matching));
        }
    }
}
