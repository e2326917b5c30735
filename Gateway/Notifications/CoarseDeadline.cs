namespace VirtualIoT.Gateway.Notifications;

/// <summary>
/// Cancellation tokens that fire no sooner than <see cref="Bound"/> after they were taken and at most a quarter of it
/// later: every token taken within the same quarter of the bound is the one token of a source made with a timer for that
/// quarter, so a burst of thousands of notification exchanges shares one timer per quarter instead of a cancellation
/// source and a timer each (a notification's timeout need not be exact to the millisecond).
/// </summary>
internal sealed class CoarseDeadline
{
    private readonly long _sliceMilliseconds;
    private readonly TimeSpan _fireAfter;
    private Slice? _current;

    /// <summary>Tokens that fire between <paramref name="bound"/> and 1.25 × <paramref name="bound"/> after they are taken.</summary>
    public CoarseDeadline(TimeSpan bound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(bound, TimeSpan.Zero);
        Bound = bound;
        _sliceMilliseconds = Math.Max(1, (long)bound.TotalMilliseconds / 4);
        _fireAfter = bound + TimeSpan.FromMilliseconds(_sliceMilliseconds);
    }

    /// <summary>The least time a token runs before it fires.</summary>
    public TimeSpan Bound { get; }

    /// <summary>A token that fires after at least <see cref="Bound"/> from now; shared with the others taken in this quarter.</summary>
    public CancellationToken Token()
    {
        var now = Environment.TickCount64;
        var current = Volatile.Read(ref _current);
        if (current is null || now >= current.Until)
        {
            // Made at most once per quarter: a racing caller's source is used instead, and this one's timer dropped.
            var fresh = new Slice(new CancellationTokenSource(_fireAfter), now + _sliceMilliseconds);
            var seen = Interlocked.CompareExchange(ref _current, fresh, current);
            if (ReferenceEquals(seen, current))
            {
                current = fresh;
            }
            else
            {
                fresh.Source.Dispose();
                current = seen!;
            }
        }

        return current.Source.Token;
    }

    // A source fires _fireAfter after its quarter began; tokens are taken from it until Until (one quarter): so at
    // least the bound and at most a quarter more after each was taken. Fired sources are left to the collector.
    private sealed record Slice(CancellationTokenSource Source, long Until);
}
