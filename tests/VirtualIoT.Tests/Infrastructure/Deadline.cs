using System.Diagnostics;

namespace VirtualIoT.Tests.Infrastructure;

/// <summary>
/// A moment a test waits for, on the monotonic clock. Never wait on <see cref="DateTime.UtcNow"/>: the wall clock of
/// a CI machine can jump by hours in the middle of a run (a resumed VM, a late clock sync), which would end every
/// wait at once.
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
