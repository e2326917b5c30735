using System.Diagnostics;

namespace VirtualIoT.Tests.Infrastructure;

/// <summary>
/// A moment a test waits for, on the monotonic clock. Never wait on <see cref="DateTime.UtcNow"/>: the wall clock can
/// be set forward or back during a run (a clock sync, a resumed VM), which would end a wait at once or stretch it.
/// </summary>
public readonly struct Deadline
{
    private readonly long _end;

    private Deadline(long end) => _end = end;

    /// <summary>A deadline <paramref name="span"/> from now.</summary>
    public static Deadline In(TimeSpan span) => new(Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency));

    /// <summary>True once the deadline has passed.</summary>
    public bool Passed => Stopwatch.GetTimestamp() > _end;
}
