using System.Diagnostics;
using HdrHistogram;

namespace VirtualIoT.LoadGen.Measurement;

/// <summary>The requests LoadGen sends, each measured on its own.</summary>
public enum Operation
{
    AeCreate,
    ContainerCreate,
    SubscriptionCreate,
    ContentInstanceCreate,
    LatestRetrieve,
    Discovery,
    VerifyContainer,
    VerifyLatest,
    AeDelete,
}

/// <summary>
/// Counters and latency histograms of one operation, recorded from many threads. <c>Latency</c> runs from the
/// intended send time (for scheduled phases: the schedule's time, so a stall shows in every request due during it,
/// no coordinated omission); <c>Service</c> runs from the actual send. Microseconds, up to 10 minutes.
/// </summary>
public sealed class OperationStats
{
    /// <summary>Largest latency recorded, in microseconds; larger values are clamped to it.</summary>
    public const long HighestMicroseconds = 600_000_000;

    private readonly long[] _byRsc = new long[10_000];

    // Latency (from the intended send) since the last TakeInterval, for progress lines.
    private readonly Recorder _interval = new(1, HighestMicroseconds, 3, (id, lowest, highest, digits) => new LongHistogram(id, lowest, highest, digits));
    private long _ok;
    private long _failed;
    private long _timeouts;
    private long _dropped;
    private long _errors;
    private string? _firstProblem;

    public OperationStats(Operation operation, int expectedRsc)
    {
        Operation = operation;
        ExpectedRsc = expectedRsc;
    }

    public Operation Operation { get; }

    /// <summary>The RSC of success (2001 created, 2000 OK, 2002 deleted).</summary>
    public int ExpectedRsc { get; }

    public LongConcurrentHistogram Latency { get; } = new(1, HighestMicroseconds, 3);

    public LongConcurrentHistogram Service { get; } = new(1, HighestMicroseconds, 3);

    /// <summary>Answered with the expected RSC.</summary>
    public long Ok => Volatile.Read(ref _ok);

    /// <summary>Answered with another RSC (see <see cref="ByRsc"/>).</summary>
    public long Errors => Volatile.Read(ref _errors);

    /// <summary>No answer: connection refused or broken, unreadable answer.</summary>
    public long Failed => Volatile.Read(ref _failed);

    /// <summary>No answer within the request timeout.</summary>
    public long Timeouts => Volatile.Read(ref _timeouts);

    /// <summary>Due but never sent: the pending queue was full (the client could not keep up with the schedule).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Requests that got an answer or failed (not the dropped ones).</summary>
    public long Completed => Ok + Errors + Failed + Timeouts;

    /// <summary>The first unexpected answer or failure, as a line for the report.</summary>
    public string? FirstProblem => Volatile.Read(ref _firstProblem);

    public void NoteFirstProblem(string problem) => Interlocked.CompareExchange(ref _firstProblem, problem, null);

    /// <summary>Answers by RSC (non-zero entries only).</summary>
    public SortedDictionary<int, long> ByRsc()
    {
        var result = new SortedDictionary<int, long>();
        for (var i = 0; i < _byRsc.Length; i++)
        {
            var n = Volatile.Read(ref _byRsc[i]);
            if (n > 0)
            {
                result[i] = n;
            }
        }

        return result;
    }

    /// <summary>An answer: counts it by RSC and records both latencies (Stopwatch timestamps).</summary>
    public bool RecordAnswer(int rsc, long intended, long sent, long done)
    {
        Interlocked.Increment(ref _byRsc[rsc is > 0 and < 10_000 ? rsc : 0]);
        var ok = rsc == ExpectedRsc;
        Interlocked.Increment(ref ok ? ref _ok : ref _errors);
        RecordLatency(intended, sent, done);
        return ok;
    }

    public void RecordFailure(bool timeout, long intended, long sent, long done)
    {
        Interlocked.Increment(ref timeout ? ref _timeouts : ref _failed);
        RecordLatency(intended, sent, done);
    }

    /// <summary>The latencies recorded since the previous call (one reader: the progress view).</summary>
    public HistogramBase TakeInterval() => _interval.GetIntervalHistogram();

    public void RecordDropped() => Interlocked.Increment(ref _dropped);

    public static long Microseconds(long ticks) => Math.Clamp(ticks * 1_000_000 / Stopwatch.Frequency, 0, HighestMicroseconds);

    private void RecordLatency(long intended, long sent, long done)
    {
        var latency = Math.Max(1, Microseconds(done - intended));
        Latency.RecordValue(latency);
        _interval.RecordValue(latency);
        Service.RecordValue(Math.Max(1, Microseconds(done - sent)));
    }
}
