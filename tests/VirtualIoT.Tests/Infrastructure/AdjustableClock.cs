namespace VirtualIoT.Tests.Infrastructure;

/// <summary>
/// A clock that runs with the system clock plus an offset a test moves: registered as the platform's
/// <c>CseClock</c>, it lets a test expire a resource by moving time past its <c>et</c> instead of waiting for it,
/// whatever the machine's load. The offset is one per platform: a test moves it in a <c>using</c> scope, so it is
/// back when the test ends (the tests of a collection run one at a time).
/// </summary>
public sealed class AdjustableClock : TimeProvider
{
    private long _offsetTicks;

    /// <summary>How far ahead of the system clock this clock is.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;

    /// <summary>Moves the clock ahead by <paramref name="by"/> until the returned scope is disposed.</summary>
    public IDisposable Advance(TimeSpan by)
    {
        Interlocked.Add(ref _offsetTicks, by.Ticks);
        return new Scope(this, by);
    }

    private sealed class Scope(AdjustableClock clock, TimeSpan by) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Add(ref clock._offsetTicks, -by.Ticks);
            }
        }
    }
}
