using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using static VirtualIoT.Grains.Resources.TimeSyncBeacon.TimeSyncBeaconPolicy;

namespace VirtualIoT.Grains.Resources.TimeSyncBeacon;

/// <summary>
/// A <c>&lt;timeSyncBeacon&gt;</c> (ty 60), keyed by its <c>ri</c>, under the CSEBase or an AE. With <c>bcnc</c> 1 it
/// sends a beacon every <c>bcni</c>, counted from its creation (or the last change of <c>bcnc</c> or <c>bcni</c>): a
/// NOTIFY from the CSE to each <c>bcnu</c> carrying <c>{"m2m:tsbn":{"tbr":&lt;its ri&gt;,"ctm":&lt;the CSE's time&gt;}}</c>,
/// as ACME sends it. A one-shot grain timer, re-armed for the next beacon (or the expiration time, whichever comes
/// first), keeps the grain active and the beacons on time; the beacon is handed to the delivery worker, which sends
/// it outside this grain's turn, once and without retry (a late beacon is a wrong one). A reminder brings the grain
/// back after a silo failure, within <see cref="s_watch"/>. A beacon with <c>bcnc</c> 2 (loss of synchronization)
/// lists itself with its requester's <see cref="ITimeSyncRequesterGrain"/> and sends the same beacon when a request
/// of <c>bcnr</c> carries an originating timestamp (<c>ot</c>) more than <c>bcnt</c> away from the CSE's time, at most
/// one every <see cref="TimeSync.BeaconHoldOff"/>.
/// </summary>
internal sealed partial class TimeSyncBeaconGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<TimeSyncBeaconGrain> logger) : ResourceGrain(store, options, logger), ITimeSyncBeaconGrain
{
    private const string WatchReminder = "tsb-watch";

    // Orleans' shortest reminder period: how soon beacons resume after the silo holding the grain died.
    private static readonly TimeSpan s_watch = TimeSpan.FromMinutes(1);

    // A timer may fire this early and still count as on time for its beacon.
    private static readonly TimeSpan s_early = TimeSpan.FromMilliseconds(50);

    private static readonly TimeSpan s_longestWait = TimeSpan.FromDays(1);

    private IGrainTimer? _timer;

    // When the next beacon is due (UTC); null while no timer is armed.
    private DateTime? _beaconDue;

    // When the last loss-of-synchronization beacon left (UTC).
    private DateTime _lastLossBeacon = DateTime.MinValue;

    // The requester a loss-of-synchronization beacon stops watching with the update being made.
    private string? _unwatched;

    protected override ResourcePolicy Policy => TimeSyncBeaconPolicy.Rules;

    private BeaconSchedule Schedule => Specific<BeaconSchedule>();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (Exists)
        {
            Arm();
        }
    }

    public override async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != WatchReminder)
        {
            await base.ReceiveReminder(reminderName, status);
            return;
        }

        // The activation the reminder brought (OnActivateAsync armed it), or one that is live already.
        if (!Exists || PeriodOf(State.Attributes) is null)
        {
            await ForgetWatch();
        }
        else if (_timer is null)
        {
            Arm();
        }
    }

    protected override async ValueTask Created(NewResource resource)
    {
        Arm();
        if (PeriodOf(State.Attributes) is not null)
        {
            await KeepWatch();
        }

        if (WatchedRequester(State.Attributes) is { } requester)
        {
            await ListWithRequester(requester, watch: true);
        }
    }

    public async ValueTask<bool> LostSynchronization(string requester, TimeSpan drift)
    {
        var now = UtcNow;
        if (!IsLive(OneM2MTime.Format(now)) || WatchedRequester(State.Attributes) != requester)
        {
            return false;
        }

        if (!OneM2MTime.TryParseDuration(State.Attributes.GetValueOrDefault(Threshold) as string, out var threshold)
            || drift.Duration() <= threshold || now - _lastLossBeacon < TimeSync.BeaconHoldOff)
        {
            return true;
        }

        _lastLossBeacon = now;
        await Send(string.Concat(ResourceId, ":los:", now.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture)), now);
        return true;
    }

    /// <summary>The requester a beacon with <paramref name="attributes"/> watches (<c>bcnr</c> with <c>bcnc</c> 2); null for any other.</summary>
    private static string? WatchedRequester(Dictionary<string, object?> attributes) =>
        attributes.Long(Criteria) == LossOfSynchronization && attributes.GetValueOrDefault(Requester) is string { Length: > 0 } requester
            ? requester
            : null;

    /// <summary>Lists this beacon with <paramref name="requester"/>, or takes it off; a failure is logged (the list heals itself on use).</summary>
    private async Task ListWithRequester(string requester, bool watch)
    {
        try
        {
            var grain = GrainFactory.GetGrain<ITimeSyncRequesterGrain>(requester);
            await (watch ? grain.Watch(ResourceId) : grain.Unwatch(ResourceId));
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogRequesterNotChanged(Logger, exception, ResourceId, requester);
        }
    }

    /// <summary>
    /// A change of <c>bcnc</c> drops the attributes of the old criteria the request does not set again and brings the
    /// new criteria's default; the merged beacon is then checked as a whole (4000). A change of <c>bcnc</c> or
    /// <c>bcni</c> restarts the count of the interval.
    /// </summary>
    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator)
    {
        _unwatched = null;
        if (accepted.ContainsKey(Criteria) && updated.Long(Criteria) != State.Attributes.Long(Criteria))
        {
            _unwatched = WatchedRequester(State.Attributes);
            foreach (var name in (string[])[Interval, Threshold, Requester])
            {
                if (!accepted.ContainsKey(name))
                {
                    updated.Remove(name);
                }
            }

            ApplyDefaults(updated);
        }

        if (CheckCriteria(updated) is { } invalid)
        {
            return ValueTask.FromResult<ResourceResponse?>(ResourceResponse.Error(invalid));
        }

        if (accepted.ContainsKey(Criteria) || accepted.ContainsKey(Interval))
        {
            Schedule.Anchor = UtcNow;
        }

        return ValueTask.FromResult<ResourceResponse?>(null);
    }

    protected override void Updated(Dictionary<string, object?> accepted)
    {
        Arm();
        if (accepted.ContainsKey(Criteria))
        {
            // Not awaited in the update's turn: the reminder table is remote. Should this fail, the beacon still runs
            // while the grain is active, and a stale reminder finds nothing to watch and forgets itself.
            _ = PeriodOf(State.Attributes) is null ? ForgetWatch() : KeepWatch();
        }

        if (_unwatched is { } requester)
        {
            // Not awaited either: a beacon that no longer watches answers so, and the requester's list drops it then.
            _unwatched = null;
            _ = ListWithRequester(requester, watch: false);
        }
    }

    protected override async Task WillBeDeleted()
    {
        Disarm();
        await ForgetWatch();
        if (WatchedRequester(State.Attributes) is { } requester)
        {
            await ListWithRequester(requester, watch: false);
        }
    }

    /// <summary>
    /// (Re)arms the timer for the next beacon after <paramref name="after"/> (now when not given) or the expiration
    /// time, whichever comes first. A beacon that is not periodic has no timer: it expires on access, as any resource.
    /// </summary>
    private void Arm(DateTime? after = null)
    {
        if (PeriodOf(State.Attributes) is not { } period)
        {
            Disarm();
            return;
        }

        var now = UtcNow;
        _beaconDue = NextBeacon(period, after is { } last && last > now ? last : now);
        var due = Expiration is { } et && OneM2MTime.TryParse(et, out var expires) && expires <= _beaconDue ? expires : _beaconDue.Value;

        // A grain timer waits at most ~49 days; a longer wait is taken in steps (a tick with nothing due re-arms).
        var wait = due - now;
        wait = wait < TimeSpan.Zero ? TimeSpan.Zero : wait > s_longestWait ? s_longestWait : wait;
        var options = new GrainTimerCreationOptions
        {
            DueTime = wait,
            Period = Timeout.InfiniteTimeSpan,
            KeepAlive = true,
        };
        if (_timer is null)
        {
            _timer = this.RegisterGrainTimer(Tick, options);
        }
        else
        {
            _timer.Change(options.DueTime, options.Period);
        }
    }

    private void Disarm()
    {
        _timer?.Dispose();
        _timer = null;
        _beaconDue = null;
    }

    /// <summary>The first beacon time after <paramref name="after"/>: the anchor (creation time until a change) plus a whole number of intervals.</summary>
    private DateTime NextBeacon(TimeSpan period, DateTime after)
    {
        var anchor = Schedule.Anchor != default ? Schedule.Anchor
            : OneM2MTime.TryParse(State.Attributes.GetValueOrDefault(AttributeNames.CreationTime) as string, out var ct) ? ct
            : after;
        if (after < anchor)
        {
            return anchor + period;
        }

        var intervals = ((after - anchor).Ticks / period.Ticks) + 1;
        return anchor + TimeSpan.FromTicks(intervals * period.Ticks);
    }

    private async Task Tick(CancellationToken cancellationToken)
    {
        if (!Exists)
        {
            Disarm();
            return;
        }

        var now = UtcNow;
        if (IsExpired(OneM2MTime.Format(now + s_early)))
        {
            Disarm();
            try
            {
                await ExpireAsync();
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // The next access (or the watch reminder's activation) finds it expired and tries again.
                LogExpiryFailed(Logger, exception, ResourceId);
            }

            return;
        }

        if (_beaconDue is { } due && now >= due - s_early)
        {
            await Send(string.Concat(ResourceId, ":", due.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture)), now);
            Arm(after: due);
        }
        else
        {
            Arm();
        }
    }

    /// <summary>Hands the beacon <paramref name="notificationId"/> to the delivery worker (this turn does not wait for the targets).</summary>
    private async Task Send(string notificationId, DateTime now)
    {
        if (State.Attributes.GetValueOrDefault(NotificationUris) is not List<object?> uris || uris.Count == 0)
        {
            return;
        }

        var beacon = new Dictionary<string, object?>(2, StringComparer.Ordinal)
        {
            ["tbr"] = ResourceId,
            ["ctm"] = OneM2MTime.Format(now),
        };
        var content = new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:tsbn"] = beacon };
        var targets = uris.OfType<string>().ToList();
        var notification = new PendingNotification(notificationId, targets, content, 0);
        await GrainFactory.GetGrain<IDeliveryGrain>(0).Post(notification);
        LogBeaconSent(Logger, ResourceId, targets.Count);
    }

    private async Task KeepWatch()
    {
        try
        {
            await this.RegisterOrUpdateReminder(WatchReminder, s_watch, s_watch);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogWatchNotChanged(Logger, exception, ResourceId);
        }
    }

    private async Task ForgetWatch()
    {
        try
        {
            if (await this.GetReminder(WatchReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The reminder comes back once more, finds nothing to watch, and is forgotten then.
            LogWatchNotChanged(Logger, exception, ResourceId);
        }
    }

    [LoggerMessage(EventId = 2901, Level = LogLevel.Debug, Message = "Time sync beacon {ResourceId} sent to {Targets} target(s)")]
    private static partial void LogBeaconSent(ILogger logger, string resourceId, int targets);

    [LoggerMessage(EventId = 2902, Level = LogLevel.Warning, Message = "The watch reminder of time sync beacon {ResourceId} could not be changed now; beacons run while the grain is active")]
    private static partial void LogWatchNotChanged(ILogger logger, Exception exception, string resourceId);

    [LoggerMessage(EventId = 2905, Level = LogLevel.Warning, Message = "Time sync beacon {ResourceId} could not change its listing with requester {Requester}")]
    private static partial void LogRequesterNotChanged(ILogger logger, Exception exception, string resourceId, string requester);

    [LoggerMessage(EventId = 2903, Level = LogLevel.Warning, Message = "Time sync beacon {ResourceId} expired but could not be deleted now; the next access deletes it")]
    private static partial void LogExpiryFailed(ILogger logger, Exception exception, string resourceId);
}
