using VirtualIoT.Grains.Domain;
using static VirtualIoT.Grains.Resources.TimeSeries.TimeSeriesPolicy;

namespace VirtualIoT.Grains.Resources.TimeSeries;

/// <summary>
/// Missing-data detection (TS-0001 10.2.4.29), as ACME runs it: the first instance after <c>mdd</c> is turned on
/// starts it, expecting the next point at its <c>dgt</c> + <c>pei</c>; at each expected time + <c>mdt</c> a timer checks
/// whether an instance with a <c>dgt</c> within <c>peid</c> of the expected time arrived. A missing point's expected time
/// joins <c>mdlt</c> (at most <c>mdn</c> entries, oldest dropped; <c>mdc</c> its length) and the window of every
/// missing-data subscription (net 8); a window holding its <c>enc/md</c> <c>num</c> points is reported
/// (<c>m2m:tsn</c>, nct 5) and emptied, and a window ends <c>dur</c> after its first point. The timer exists only while
/// detection runs, and keeps the grain active meanwhile; a reactivated grain catches up from its instances. A point
/// whose data arrives before its check is settled on arrival (<see cref="ConsumeArrived"/>) and the timer moved on, so
/// while nothing is missing the timer never fires: detection then costs a timer change per instance, not a tick per
/// period.
/// </summary>
internal sealed partial class TimeSeriesGrain
{
    /// <summary>At most this many expected points are checked at one tick (a long-inactive series skips older ones).</summary>
    private const int MaxCatchUp = 10_000;

    private IGrainTimer? _detector;

    // Data generation times of instances that arrived and were not checked yet.
    private readonly SortedSet<DateTime> _arrived = [];

    /// <summary>The detection parameters when detection is configured (<c>mdd</c>, <c>pei</c>, <c>mdt</c>); null otherwise.</summary>
    private (TimeSpan Interval, TimeSpan Delta, TimeSpan Timer)? Settings =>
        State.Attributes.GetValueOrDefault(MissingDataDetect) is true
        && State.Attributes.Long(PeriodicInterval) is { } pei && State.Attributes.Long(MissingDataDetectTimer) is { } mdt
            ? (TimeSpan.FromMilliseconds(pei), TimeSpan.FromMilliseconds(State.Attributes.Long(PeriodicIntervalDelta) ?? 0), TimeSpan.FromMilliseconds(mdt))
            : null;

    /// <summary>A new instance: starts detection when it is the first since <c>mdd</c> was turned on, else counts for the next check.</summary>
    private void InstanceArrived(DateTime dgt)
    {
        if (Settings is not { } settings)
        {
            return;
        }

        if (Detection.Detecting)
        {
            _arrived.Add(dgt);
            if (ConsumeArrived(settings))
            {
                ArmDetector(settings);
            }

            return;
        }

        // As ACME: an instance whose next check would already be past does not start detection.
        if (dgt + settings.Interval + settings.Timer < UtcNow)
        {
            return;
        }

        Detection.Detecting = true;
        Detection.Expected = dgt + settings.Interval;
        _arrived.Clear();
        ArmDetector(settings);
    }

    /// <summary>
    /// Settles the expected points whose data arrived before their check was due: each moves the expected time one
    /// period on, so the timer is armed for the first point still waiting and never fires while nothing is missing (a
    /// tick only comes for a point that is late). The moved expected time is stored with the instance that moved it.
    /// A check that is already due is left to the tick, which also ends the windows of missing-data subscriptions.
    /// </summary>
    private bool ConsumeArrived((TimeSpan Interval, TimeSpan Delta, TimeSpan Timer) settings)
    {
        var now = UtcNow;
        var moved = false;
        while (_arrived.Count > 0 && Detection.Expected + settings.Timer > now)
        {
            var expected = Detection.Expected;
            if (_arrived.GetViewBetween(expected - settings.Delta + TimeSpan.FromTicks(1), expected + settings.Delta).Count == 0)
            {
                break;
            }

            while (_arrived.Count > 0 && _arrived.Min <= expected + settings.Delta)
            {
                _arrived.Remove(_arrived.Min);
            }

            Detection.Expected = expected + settings.Interval;
            moved = true;
        }

        return moved;
    }

    /// <summary>On activation of a detecting series: what arrived since the stored expected time counts, then the timer runs.</summary>
    private void ResumeDetection()
    {
        if (Settings is not { } settings)
        {
            return;
        }

        _arrived.Clear();
        var from = Detection.Expected - settings.Delta;
        foreach (var segment in Instances.Segments.Values)
        {
            foreach (var held in segment)
            {
                if (GenerationTime(Instances.Record(held).Attributes) is var dgt && dgt > from)
                {
                    _arrived.Add(dgt);
                }
            }
        }

        ConsumeArrived(settings);
        ArmDetector(settings);
    }

    /// <summary>Stops detection (<c>mdd</c> changed, or the series is deleted); the next instance restarts it.</summary>
    private void StopDetection()
    {
        Detection.Detecting = false;
        _arrived.Clear();
        _detector?.Dispose();
        _detector = null;
    }

    private void ArmDetector((TimeSpan Interval, TimeSpan Delta, TimeSpan Timer) settings)
    {
        var due = Detection.Expected + settings.Timer - UtcNow;
        var options = new GrainTimerCreationOptions
        {
            DueTime = due < TimeSpan.Zero ? TimeSpan.Zero : due,
            Period = Timeout.InfiniteTimeSpan,
            KeepAlive = true,
        };
        if (_detector is null)
        {
            _detector = this.RegisterGrainTimer(Detect, options);
        }
        else
        {
            _detector.Change(options.DueTime, options.Period);
        }
    }

    /// <summary>The detection tick: checks every expected point whose detection time has come, stores and reports what is missing.</summary>
    private async Task Detect(CancellationToken cancellationToken)
    {
        if (!Exists || !Detection.Detecting || Settings is not { } settings)
        {
            StopDetection();
            return;
        }

        var now = UtcNow;
        var missing = false;
        var checkedPoints = 0;
        for (; Detection.Expected + settings.Timer <= now && checkedPoints < MaxCatchUp; checkedPoints++)
        {
            var expected = Detection.Expected;
            var detectedAt = expected + settings.Timer;
            if (EndWindows(detectedAt))
            {
                missing = true;
            }

            // Present: a data point within (expected - peid, expected + peid].
            if (_arrived.GetViewBetween(expected - settings.Delta + TimeSpan.FromTicks(1), expected + settings.Delta).Count == 0)
            {
                RecordMissing(expected, detectedAt);
                missing = true;
            }

            while (_arrived.Count > 0 && _arrived.Min <= expected + settings.Delta)
            {
                _arrived.Remove(_arrived.Min);
            }

            Detection.Expected = expected + settings.Interval;
        }

        if (checkedPoints == MaxCatchUp && Detection.Expected + settings.Timer <= now)
        {
            var behind = (now - settings.Timer - Detection.Expected).Ticks / settings.Interval.Ticks + 1;
            Detection.Expected += TimeSpan.FromTicks(behind * settings.Interval.Ticks);
        }

        try
        {
            if (missing)
            {
                var raised = ReportWindows();
                await WriteStateAsync();
                foreach (var report in raised)
                {
                    Events.Dispatch(report);
                }
            }
        }
        finally
        {
            // A failed write leaves memory ahead of storage: the next tick (or a reactivation) stores it again.
            ArmDetector(settings);
        }
    }

    /// <summary>Adds a missing point to <c>mdlt</c> (kept to <c>mdn</c> entries) and to every missing-data subscription's window.</summary>
    private void RecordMissing(DateTime expected, DateTime detectedAt)
    {
        var point = OneM2MTime.Format(expected);
        var list = State.Attributes.GetValueOrDefault(MissingDataList) is List<object?> current ? new List<object?>(current) : [];
        list.Add(point);
        if (State.Attributes.Long(MissingDataMaxNr) is { } mdn && list.Count > mdn)
        {
            list.RemoveRange(0, list.Count - (int)mdn);
        }

        State.Attributes = new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal)
        {
            [MissingDataList] = list,
            [MissingDataCurrentNr] = (long)list.Count,
        };

        foreach (var filter in Links.Subscriptions.Values)
        {
            if (filter.MissingData is { } criteria)
            {
                if (!Detection.Windows.TryGetValue(filter.SubscriptionId, out var window))
                {
                    Detection.Windows[filter.SubscriptionId] = window = new MissingDataWindow();
                }

                window.Missing.Add(point);
                if (window.Missing.Count == 1)
                {
                    window.Ends = detectedAt + criteria.Duration;
                }
            }
        }
    }

    /// <summary>Drops the windows that ended by <paramref name="detectedAt"/> and those of subscriptions gone; true when any was dropped.</summary>
    private bool EndWindows(DateTime detectedAt)
    {
        var ended = false;
        foreach (var (subscriptionId, window) in Detection.Windows)
        {
            if (window.Ends <= detectedAt || !Links.Subscriptions.ContainsKey(subscriptionId))
            {
                Detection.Windows.Remove(subscriptionId);
                ended = true;
            }
        }

        return ended;
    }

    /// <summary>A missing-data report (net 8, <c>m2m:tsn</c>) for every window that holds its subscription's <c>num</c> points, which it empties.</summary>
    private List<Outbox.RaisedEvent> ReportWindows()
    {
        var raised = new List<Outbox.RaisedEvent>();
        foreach (var (subscriptionId, window) in Detection.Windows)
        {
            if (Links.Subscriptions.GetValueOrDefault(subscriptionId)?.MissingData is { } criteria && window.Missing.Count >= criteria.Number)
            {
                var report = new Dictionary<string, object?>(2, StringComparer.Ordinal)
                {
                    [MissingDataList] = new List<object?>(window.Missing),
                    [MissingDataCurrentNr] = (long)window.Missing.Count,
                };
                if (Events.RaiseFor(subscriptionId, NotificationEventType.ReportOnGeneratedMissingDataPoints, ResourceType.TimeSeries, report, "m2m:tsn") is { } one)
                {
                    raised.Add(one);
                }

                window.Missing.Clear();
            }
        }

        return raised;
    }
}
