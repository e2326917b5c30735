using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Notifications;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>
/// A subscription (ty 23). Events of the subscribed-to resource arrive through <see cref="Accept"/>, become
/// notifications in a stored queue (a page per notification, <see cref="NotificationQueuePages"/>) and are delivered in
/// order, several at a time, by <see cref="IDeliveryGrain"/>: this grain only sends messages and stores its queue, so
/// no receiver ever holds up a turn. A failed delivery is
/// retried with doubling delays and dropped after <see cref="NotificationOptions.MaxAttempts"/>.
/// </summary>
[DevicePlacement]
internal sealed partial class SubscriptionGrain : ResourceGrain, ISubscriptionGrain
{
    private readonly NotificationOptions _notifications;
    private readonly NotificationMetrics _metrics;
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private IGrainTimer? _timer;
    private IGrainTimer? _batchTimer;
    private bool _unstoredDeliveries;
    private bool _queueReminder;
    private EncodedRecords<PendingNotification>? _queueRecords;
    private NotificationQueuePages? _queuePages;
    private IDeliveryGrain? _delivery;

    // The event criteria of the attributes they were read from (attributes are replaced, never changed in place).
    private (Dictionary<string, object?> Attributes, SubscriptionFilter Filter)? _filter;

    // The notification targets of the attributes they were read from, shared by the notifications made meanwhile (read only).
    private (Dictionary<string, object?> Attributes, List<string> Targets)? _targets;

    /// <summary>
    /// Reminder held while notifications wait: should this grain's silo die, it brings the subscription back
    /// elsewhere within a minute to deliver what its stored queue holds. Dropped at the first tick that finds the
    /// queue empty, so a subscription with steady traffic keeps it and an idle one costs nothing.
    /// </summary>
    private const string QueueReminder = "queue";

    public SubscriptionGrain(
        [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
        IOptions<CseOptions> options,
        IOptions<NotificationOptions> notifications,
        NotificationMetrics metrics,
        ILogger<SubscriptionGrain> logger)
        : base(store, options, logger)
    {
        _notifications = notifications.Value;
        _metrics = metrics;
    }

    protected override ResourcePolicy Policy => SubscriptionPolicy.Rules;

    private string SubscriptionReference => string.Concat(Options.CseId, "/", ResourceId);

    private IDeliveryGrain Delivery => _delivery ??= GrainFactory.GetGrain<IDeliveryGrain>(0);

    /// <summary>The notifications not delivered yet (the subscription's own part of its state record).</summary>
    private PendingNotifications Pending
    {
        get
        {
            var pending = Specific<PendingNotifications>();
            if (!pending.Decoded)
            {
                pending.Decode(QueueRecords);
            }

            return pending;
        }
    }

    /// <summary>Reads a queue stored in the state record by an earlier layout (<see cref="PendingNotifications.EncodedQueue"/>).</summary>
    private EncodedRecords<PendingNotification> QueueRecords => _queueRecords ??= new(ServiceProvider.GetRequiredService<Serializer>());

    /// <summary>The queue's pages in storage.</summary>
    private NotificationQueuePages QueuePages => _queuePages ??= new(
        ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources), ResourceId);

    protected override TypeState? MoveLegacyFields(ResourceState stored) => PendingNotifications.FromLegacy(stored);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (Exists)
        {
            var pending = Pending;
            pending.AddPaged(await QueuePages.LoadAsync(pending.FirstPage, pending.NextPage));
        }
        else
        {
            QueuePages.Start();
        }

        if (Exists && Pending.Batch.Count > 0)
        {
            ArmBatchTimer();
        }

        if (Exists)
        {
            ArmHeldTimer();
        }

        Kick();
    }

    /// <summary>
    /// The queue's new and changed pages first, then the state naming them, then the pages of delivered notifications
    /// that only now are named (<see cref="NotificationQueuePages"/>).
    /// </summary>
    protected override async Task StoreAsync()
    {
        var pending = State.Specific as PendingNotifications;
        var paged = pending is { Decoded: true } && QueuePages.Loaded;
        if (paged)
        {
            await QueuePages.StoreAsync(pending!.Queue);
            pending.Paged(QueuePages.Range());
        }

        await base.StoreAsync();
        if (paged)
        {
            await QueuePages.NamedAsync(pending!.NextPage);
        }

        _unstoredDeliveries = QueuePages.WaitingClears > 0;
    }

    /// <summary>An event's notification, a retry or a delivery: the queue's pages only, no state write.</summary>
    protected override async Task StoreApartAsync()
    {
        await QueuePages.StoreAsync(Pending.Queue);
        _unstoredDeliveries = QueuePages.WaitingClears > 0;
    }

    public override async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != QueueReminder)
        {
            await base.ReceiveReminder(reminderName, status);
            return;
        }

        if (Exists && (Pending.Queue.Count > 0 || Pending.Batch.Count > 0 || Pending.Held.Count > 0))
        {
            _queueReminder = true;
            ArmHeldTimer();
            if (Pending.Batch.Count > 0)
            {
                ArmBatchTimer();
            }

            Kick();
            return;
        }

        if (await this.GetReminder(QueueReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        _queueReminder = false;
    }

    /// <summary>On a graceful deactivation, clear the delivered notifications' pages not cleared yet, so they are not sent again.</summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_unstoredDeliveries && Exists && reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            try
            {
                await WriteStateAsync();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Best effort: unsaved deliveries are only sent once more after reactivation.
                LogDeactivationWriteFailed(Logger, exception, ResourceId);
            }
        }

        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>Verifies every notification target other than the originator before the subscription exists (TS-0004 7.4.8.2.1).</summary>
    protected override async ValueTask<ResourceResponse?> WillBeCreated(NewResource resource) =>
        await Verify(resource.Attributes, resource.Originator);

    public ValueTask Accept(ResourceEvent resourceEvent) => AcceptAll([resourceEvent]);

    /// <summary>
    /// Takes each event as it comes, then stores what they changed in one write: the queue's new pages alone when only
    /// the queue changed, else the state with them. Nothing is acknowledged before that write; if it fails, the events
    /// stay in their resource's outbox and come again (a copy already queued is dropped by its notification ID).
    /// </summary>
    public async ValueTask AcceptAll(IReadOnlyList<ResourceEvent> resourceEvents)
    {
        var store = Store.Nothing;
        List<PendingNotification>? queued = null;
        foreach (var resourceEvent in resourceEvents)
        {
            // Each event was caused by a request, counted as when events came one per call (a batch carries the origin of
            // the call that handed it over).
            FollowRequestOrigin();
            var (taken, notification) = await Take(resourceEvent);
            store = taken > store ? taken : store;
            if (taken == Store.Queue)
            {
                (queued ??= []).Add(notification!);
            }
        }

        if (store == Store.State)
        {
            await WriteStateAsync();
        }
        else if (store == Store.Queue)
        {
            try
            {
                await WriteApartAsync();
            }
            catch
            {
                // Not stored, so not accepted: the events stay in their resource's outbox and come again.
                foreach (var notification in queued!)
                {
                    Pending.Queue.Remove(notification);
                }

                throw;
            }
        }

        if (store != Store.Nothing)
        {
            Kick();
        }
    }

    /// <summary>What taking an event changed, and so what must be stored before it is acknowledged.</summary>
    private enum Store
    {
        /// <summary>Nothing: the event does not concern the subscription now, or it already holds its notification.</summary>
        Nothing,

        /// <summary>The queue only, by the notification appended to it: its page alone is written.</summary>
        Queue,

        /// <summary>More than the queue (statistics, held, batched or released notifications): the state is written.</summary>
        State,
    }

    /// <summary>Turns one event into its notification in memory (queued, batched or held), stored by the caller.</summary>
    private async ValueTask<(Store Store, PendingNotification? Queued)> Take(ResourceEvent resourceEvent)
    {
        if (!Exists || IsExpired(Now()))
        {
            return (Store.Nothing, null);
        }

        if (!SubscriptionMatcher.Selects(Filter(), resourceEvent))
        {
            return (Store.Nothing, null);
        }

        var inSchedule = await InSchedule();
        if (!inSchedule && PendingMode is null)
        {
            return (Store.Nothing, null);
        }

        if (inSchedule && CrossResourceTargetsOnly() is { } crossResource)
        {
            await SignalCrossResource(crossResource);
            return (Store.Nothing, null);
        }

        var id = string.Concat(resourceEvent.EventId, ":", ResourceId);
        if (Pending.Queue.Contains(id) || Holds(Pending.Held, id) || Holds(Pending.Batch, id))
        {
            return (Store.Nothing, null);
        }

        var notification = new PendingNotification(id, Targets(), EventNotification(resourceEvent), 0, State.Attributes.EventCategory());
        CountEvent();
        if (!_queueReminder)
        {
            // Before the queue is stored, so a stored notification always has a reminder behind it.
            await this.RegisterOrUpdateReminder(QueueReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            _queueReminder = true;
        }

        // Only the queue changes (no statistics, nothing held, batched or released): the event writes its page alone.
        var queueOnly = inSchedule && !State.Attributes.StatisticsEnabled();

        // A window is open: what was kept outside the windows goes ahead of this event.
        if (inSchedule && ReleaseHeld())
        {
            queueOnly = false;
        }

        if (!inSchedule)
        {
            Hold(notification);
        }
        else if (Batching(out var number, out _))
        {
            queueOnly = false;
            // batchNotify: gather until num notifications or dur elapse, then one m2m:agn (TS-0004 7.5.1.2.4).
            Pending.Batch.Add(notification);
            if (Pending.Batch.Count >= number)
            {
                FlushBatch();
            }
            else
            {
                ArmBatchTimer();
            }
        }
        else
        {
            if (LatestOnly)
            {
                // latestNotify: a newer notification replaces those still waiting (the one in flight goes on).
                Pending.Queue.RemoveAll(n => !_inFlight.Contains(n.Id));
            }

            Pending.Queue.Add(notification);
        }

        return queueOnly ? (Store.Queue, notification) : (Store.State, null);
    }

    private static bool Holds(List<PendingNotification> notifications, string id)
    {
        foreach (var notification in notifications)
        {
            if (notification.Id == id)
            {
                return true;
            }
        }

        return false;
    }

    public ValueTask<PendingNotification?> BlockingNotification(Dictionary<string, object?> representation, string originator)
    {
        if (!Exists || IsExpired(Now()) || Targets() is not [var target, ..])
        {
            return ValueTask.FromResult<PendingNotification?>(null);
        }

        // As ACME sends it: nev with net 7 and the attributes the update sets, from the update's originator.
        var nev = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [AttributeNames.NotificationEventType] = (long)NotificationEventType.BlockingUpdate,
            [NotificationMembers.Representation] = representation,
        };
        var content = Signal(new Dictionary<string, object?>(StringComparer.Ordinal) { [NotificationMembers.Event] = nev });
        var id = string.Concat(ResourceId, ":blocking:", Guid.NewGuid().ToString("N"));
        return ValueTask.FromResult<PendingNotification?>(new PendingNotification(id, [target], content, 0, Originator: originator));
    }

    /// <summary>The subscription's event criteria, read from its attributes once per change of them.</summary>
    private SubscriptionFilter Filter()
    {
        if (_filter is not { } known || !ReferenceEquals(known.Attributes, State.Attributes))
        {
            known = (State.Attributes, SubscriptionPolicy.Filter(ResourceId, State.Attributes, Options));
            _filter = known;
        }

        return known.Filter;
    }

    private bool LatestOnly => State.Attributes.LatestNotify();

    private bool Batching(out int number, out TimeSpan duration)
    {
        number = 0;
        duration = default;
        return State.Attributes.BatchNotify() is { } bn && SubscriptionPolicy.TryReadBatch(bn, out number, out duration, out _);
    }

    /// <summary>Moves the gathered batch into the delivery queue as one aggregated notification.</summary>
    private void FlushBatch()
    {
        _batchTimer?.Dispose();
        _batchTimer = null;
        if (Pending.Batch.Count == 0)
        {
            return;
        }

        var content = NotificationContent.Aggregate(LatestOnly ? [Pending.Batch[^1]] : Pending.Batch);
        // With latestNotify the batch is sent with event category 4, latest (TS-0004 7.5.1.2.4; as ACME does), else nec's.
        Pending.Queue.Add(new PendingNotification(string.Concat(Pending.Batch[^1].Id, ":agn"), Targets(), content, 0,
            LatestOnly ? 4 : State.Attributes.EventCategory()));
        Pending.Batch = [];
    }

    private void ArmBatchTimer()
    {
        if (_batchTimer is not null || !Batching(out _, out var duration))
        {
            return;
        }

        _batchTimer = this.RegisterGrainTimer(async _ =>
        {
            _batchTimer?.Dispose();
            _batchTimer = null;
            if (Exists && Pending.Batch.Count > 0)
            {
                FlushBatch();
                await WriteStateAsync();
                Kick();
            }
        }, new GrainTimerCreationOptions { DueTime = duration, Period = Timeout.InfiniteTimeSpan });
    }

    protected override async ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator)
    {
        if (SubscriptionPolicy.Rules.Check!(updated, new ValidationContext(Operation.Update, null, Merged: true)) is { } invalid)
        {
            return ResourceResponse.Error(invalid);
        }

        if (ChildTypeCheck(updated) is { } unfit)
        {
            return ResourceResponse.Error(unfit);
        }

        if (accepted.TryGetValue(AttributeNames.NotificationStatsEnable, out var nse) && nse is not false)
        {
            // Turning statistics on (again) starts them afresh, absent until the first is counted; turning them off
            // keeps what was counted (R4, as ACME does).
            updated.Remove(AttributeNames.NotificationStatsInfo);
        }

        return accepted.ContainsKey(AttributeNames.NotificationUri) ? await Verify(updated, originator) : null;
    }

    protected override void Updated(Dictionary<string, object?> accepted)
    {
        if (CrossResourceFeeds.ChangesFilter(accepted))
        {
            TellParentFilter();
        }
    }

    /// <summary>Tells the subscribed-to resource this subscription's criteria (and whether it may signal cross-resource subscriptions itself).</summary>
    private void TellParentFilter()
    {
        if (GrainFactory.GetClusterResource(State.ParentId, Options.CseBaseId) is { } parent)
        {
            var scheduled = Links.Children.Values.Any(c => c.Type == ResourceType.Schedule);
            _ = parent.SubscriptionChanged(SubscriptionPolicy.Filter(ResourceId, State.Attributes, Options, scheduled));
        }
    }

    /// <summary>
    /// On deletion what is still queued is sent once more, best effort (the queue goes with the subscription), and
    /// then the subscriber (<c>su</c>) gets the deletion notification, both before the deletion is answered
    /// (TS-0004 7.4.8.2.4): the delete waits for those receivers, about one send timeout at most, since the queued
    /// notifications go out together. The subscription is going away, so no other request waits on this turn.
    /// </summary>
    protected override async Task WillBeDeleted()
    {
        StopTimer();
        FlushBatch();
        if (await this.GetReminder(QueueReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        if (Pending.Queue.Count > 0)
        {
            var pending = new List<Task<IReadOnlyList<string>>>(Pending.Queue.Count);
            foreach (var notification in Pending.Queue)
            {
                pending.Add(Delivery.SendNow(notification).AsTask());
            }

            await Task.WhenAll(pending);
        }

        Pending.Queue.Clear();
        await QueuePages.ClearAsync();

        // The cross-resource subscriptions this one fed delete themselves (as ACME does on the deletion notification
        // it sends them); one-way, so a cross-resource subscription deleting this one never waits on itself.
        foreach (var crs in State.Attributes.AssociatedCrossResourceSubscriptions())
        {
            if (NotificationTargetVerifier.LocalId(Options, crs) is { } crsId
                && ResourceIds.Classify(crsId, Options.CseBaseId) == ResourceType.CrossResourceSubscription)
            {
                await GrainFactory.GetGrain<ICrossResourceSubscriptionGrain>(crsId).SubscriptionDeleted(SubscriptionReference);
            }
        }

        if (State.Attributes.SubscriberUri() is { } subscriber)
        {
            var content = Signal(new Dictionary<string, object?>(StringComparer.Ordinal) { [NotificationMembers.SubscriptionDeletion] = true });
            await Delivery.SendNow(new PendingNotification(string.Concat(ResourceId, ":sud"), [subscriber], content, 0));
        }
    }

    // ---- delivery -------------------------------------------------------------------------------------------

    /// <summary>
    /// notificationStatsInfo (R4, TS-0004 7.5.1.2.2): with <c>nse</c> on, per target the requests sent
    /// (<c>rqs</c>) and the success responses received (<c>rsr</c>).
    /// </summary>
    private bool CountStatistics(IReadOnlyList<string> attempted, IReadOnlyList<string> delivered)
    {
        if (!State.Attributes.StatisticsEnabled())
        {
            return false;
        }

        var updated = NotificationContent.CountStatistics(State.Attributes.Statistics(), attempted, delivered);
        State.Attributes = State.Attributes.With(AttributeNames.NotificationStatsInfo, updated);
        return true;
    }

    private void ArmTimer(TimeSpan due)
    {
        StopTimer();
        _timer = this.RegisterGrainTimer(OnTimer, new GrainTimerCreationOptions { DueTime = due, Period = Timeout.InfiniteTimeSpan });
    }

    private void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private Task OnTimer(CancellationToken cancellationToken)
    {
        StopTimer();
        _inFlight.Clear();
        Kick();
        return Task.CompletedTask;
    }

    /// <summary>The notification targets (<c>nu</c>), read from the attributes once per change of them; the caller must not change the list.</summary>
    private List<string> Targets()
    {
        if (_targets is not { } known || !ReferenceEquals(known.Attributes, State.Attributes))
        {
            known = (State.Attributes, State.Attributes.NotificationTargets());
            _targets = known;
        }

        return known.Targets;
    }

    /// <summary>
    /// Verifies the targets (TS-0004 7.4.8.2.1) as <see cref="NotificationTargetVerifier"/> does, except the
    /// cross-resource subscriptions this subscription feeds (<c>acrs</c>): a cross-resource subscription takes the
    /// notifications of its own subscriptions, the one being created with it included.
    /// </summary>
    private async Task<ResourceResponse?> Verify(Dictionary<string, object?> attributes, string? updater) =>
        await NotificationTargetVerifier.Verify(GrainFactory, Options, SubscriptionReference, ResourceId, attributes, updater,
            attributes.AssociatedCrossResourceSubscriptions());

    private Dictionary<string, object?> EventNotification(ResourceEvent resourceEvent) =>
        NotificationContent.ForEvent(resourceEvent, State.Attributes, SubscriptionReference);

    private Dictionary<string, object?> Signal(Dictionary<string, object?> members) =>
        NotificationContent.Signal(members, State.Attributes, SubscriptionReference);

    [LoggerMessage(EventId = 2402, Level = LogLevel.Debug, Message = "Subscription {SubscriptionId} could not store its deliveries on deactivation")]
    private static partial void LogDeactivationWriteFailed(ILogger logger, Exception exception, string subscriptionId);

    [LoggerMessage(EventId = 2401, Level = LogLevel.Warning,
        Message = "Notification {NotificationId} of subscription {SubscriptionId} dropped after {Attempts} attempts; undelivered to {Targets}")]
    private static partial void LogDropped(ILogger logger, string notificationId, string subscriptionId, string targets, int attempts);
}
