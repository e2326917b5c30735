namespace VirtualIoT.Tests.Infrastructure;

/// <summary>A clock that moves only when told to, with timers that fire when it passes their due time.</summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly List<(long Due, TimerCallback Callback, object? State)> _timers = [];
    private long _now = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _now);

    public TimeSpan Elapsed(long start) => GetElapsedTime(start);

    public void Advance(TimeSpan by)
    {
        _now += by.Ticks;
        List<(long, TimerCallback Callback, object? State)> due;
        lock (_timers)
        {
            due = _timers.Where(t => t.Due <= _now).ToList();
            _timers.RemoveAll(t => t.Due <= _now);
        }

        foreach (var timer in due)
        {
            timer.Callback(timer.State);
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        lock (_timers)
        {
            _timers.Add((_now + dueTime.Ticks, callback, state));
        }

        return new NoTimer();
    }

    private sealed class NoTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
