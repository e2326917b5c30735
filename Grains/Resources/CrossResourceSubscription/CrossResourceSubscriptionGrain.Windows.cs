using Microsoft.Extensions.Logging;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Subscription;
using static VirtualIoT.Grains.Resources.CrossResourceSubscription.CrossResourceSubscriptionPolicy;

namespace VirtualIoT.Grains.Resources.CrossResourceSubscription;

/// <summary>
/// The time windows, as ACME keeps them. A periodic window (<c>twt</c> 1) is a grain timer of period <c>tws</c> from
/// the creation (or the last change of <c>twt</c>/<c>tws</c>); a sliding one (<c>twt</c> 2) is a one-shot timer of
/// <c>tws</c> started by the first notification after the previous window closed. A window notes which of the
/// subscriptions feeding this resource notified (each counts once); when it closes, that count against their number
/// is judged by <c>eem</c> and, when it holds, <c>{"m2m:sgn":{"sur":&lt;this resource&gt;}}</c> goes to <c>nu</c>
/// through the delivery worker (outside this grain's turn, one attempt per target, as ACME sends it). The open window
/// lives in memory, as ACME's: should the grain's silo fail, that window's notes are lost; a reminder brings a
/// periodic window back within a minute.
/// </summary>
internal sealed partial class CrossResourceSubscriptionGrain
{
    private const string WatchReminder = "crs-watch";

    private static readonly TimeSpan s_watch = TimeSpan.FromMinutes(1);

    // The subscriptions that notified in the open window (SP-relative IDs).
    private readonly HashSet<string> _window = new(StringComparer.Ordinal);

    private IGrainTimer? _timer;

    private bool IsPeriodic => State.Attributes.Long(WindowType) == PeriodicWindow;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (Exists && IsPeriodic)
        {
            OpenWindows();
        }
    }

    public override async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != WatchReminder)
        {
            await base.ReceiveReminder(reminderName, status);
        }
        else if (!Exists || !IsPeriodic)
        {
            await ForgetWatch();
        }

        // Otherwise the activation the reminder brought (or a live one) has its periodic window open.
    }

    public ValueTask<ResponseStatusCode> Notified(Dictionary<string, object?> content)
    {
        if (content.GetValueOrDefault(NotificationMembers.Notification) is not Dictionary<string, object?> signal)
        {
            return ValueTask.FromResult(ResponseStatusCode.BadRequest);
        }

        // A verification request is answered 2000 (as ACME's receiver does); a notification of a subscription that
        // does not feed this resource is taken and ignored.
        if (signal.GetValueOrDefault(NotificationMembers.VerificationRequest) is not true
            && signal.GetValueOrDefault(NotificationMembers.SubscriptionReference) is string subscription)
        {
            Note(subscription);
        }

        return ValueTask.FromResult(ResponseStatusCode.Ok);
    }

    public ValueTask Signal(string subscriptionReference)
    {
        Note(subscriptionReference);
        return ValueTask.CompletedTask;
    }

    /// <summary>Notes in the open window that <paramref name="subscription"/> had an event (ignored unless it feeds this resource).</summary>
    private void Note(string subscription)
    {
        if (!Exists || _deleting || !Feeds(subscription))
        {
            return;
        }

        if (_timer is null)
        {
            // A sliding window opens with its first event; a periodic one is open already (unless this activation
            // was brought by this very notification, which opened it in OnActivateAsync).
            OpenWindow(IsPeriodic);
        }

        _window.Add(subscription);
    }

    public async ValueTask Delivered(string notificationId, IReadOnlyList<string> deliveredTargets)
    {
        if (!Exists || _deleting)
        {
            return;
        }

        var changed = false;
        if (State.Attributes.StatisticsEnabled())
        {
            State.Attributes = State.Attributes.With(AttributeNames.NotificationStatsInfo,
                NotificationContent.CountStatistics(State.Attributes.Statistics(), State.Attributes.NotificationTargets(), deliveredTargets));
            changed = true;
        }

        // expirationCounter counts delivered notifications, as a subscription's; at zero the resource ends.
        if (deliveredTargets.Count > 0 && State.Attributes.ExpirationCounter() is { } counter)
        {
            if (counter <= 1)
            {
                LogExpirationCounterSpent(Logger, ResourceId, notificationId);
                await DeleteSelfAsync();
                return;
            }

            State.Attributes = State.Attributes.With(AttributeNames.ExpirationCounter, counter - 1);
            changed = true;
        }

        if (changed)
        {
            await WriteStateAsync();
        }
    }

    /// <summary>Opens the windows of the resource's type: a periodic one at once (and its watch); a sliding one waits for an event.</summary>
    private void OpenWindows()
    {
        if (IsPeriodic)
        {
            OpenWindow(periodic: true);
            _ = KeepWatch();
        }
        else
        {
            _ = ForgetWatch();
        }
    }

    private void OpenWindow(bool periodic)
    {
        var size = WindowSizeOf(State.Attributes);
        if (size <= TimeSpan.Zero)
        {
            return;
        }

        _window.Clear();
        _timer?.Dispose();
        _timer = this.RegisterGrainTimer(CloseWindow, new GrainTimerCreationOptions
        {
            DueTime = size,
            Period = periodic ? size : Timeout.InfiniteTimeSpan,
            KeepAlive = true,
        });
    }

    private void CloseWindows()
    {
        _timer?.Dispose();
        _timer = null;
        _window.Clear();
    }

    /// <summary>A window closed: judge its events by <c>eem</c> and notify when they hold.</summary>
    private async Task CloseWindow(CancellationToken cancellationToken)
    {
        var notified = _window.Count;
        _window.Clear();
        if (!IsPeriodic)
        {
            _timer?.Dispose();
            _timer = null;
        }

        if (!Exists || _deleting)
        {
            CloseWindows();
            return;
        }

        if (IsExpired(Now()))
        {
            CloseWindows();
            await ExpireAsync();
            return;
        }

        var expected = (State.Attributes.GetValueOrDefault(RegularTargetSubscriptions) as List<object?>)?.Count ?? 0;
        expected += Subscriptions.SubscriptionIds.Count;
        var mode = State.Attributes.Long(EvaluationMode) ?? AllEventsPresent;
        if (!Satisfied(mode, notified, expected))
        {
            LogWindowClosed(Logger, ResourceId, notified, expected, mode, false);
            return;
        }

        LogWindowClosed(Logger, ResourceId, notified, expected, mode, true);
        var targets = State.Attributes.NotificationTargets();
        var content = new Dictionary<string, object?>(1, StringComparer.Ordinal)
        {
            [NotificationMembers.Notification] = new Dictionary<string, object?>(1, StringComparer.Ordinal)
            {
                [NotificationMembers.SubscriptionReference] = Reference,
            },
        };
        var id = string.Concat(ResourceId, ":", UtcNow.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (State.Attributes.StatisticsEnabled())
        {
            State.Attributes = State.Attributes.With(AttributeNames.NotificationStatsInfo, NotificationContent.CountEvent(State.Attributes.Statistics(), targets));
            await WriteStateAsync();
        }

        // One-way: the delivery worker sends outside this turn and reports back through Delivered.
        await GrainFactory.GetGrain<IDeliveryGrain>(0).Deliver(ResourceId, new PendingNotification(id, targets, content, 0, State.Attributes.EventCategory()));
    }

    private Task KeepWatch() => KeepWatch(WatchReminder, s_watch);

    private Task ForgetWatch() => ForgetWatch(WatchReminder);

    [LoggerMessage(EventId = 2953, Level = LogLevel.Debug,
        Message = "Cross-resource subscription {ResourceId}: window closed with {Notified} of {Expected} subscriptions notified (eem {Mode}); notify: {Notify}")]
    private static partial void LogWindowClosed(ILogger logger, string resourceId, int notified, int expected, long mode, bool notify);

    [LoggerMessage(EventId = 2954, Level = LogLevel.Debug, Message = "Cross-resource subscription {ResourceId}: expiration counter spent with {NotificationId}")]
    private static partial void LogExpirationCounterSpent(ILogger logger, string resourceId, string notificationId);
}
