using System.Diagnostics;

namespace VirtualIoT.LoadGen.Scheduling;

/// <summary>
/// Releases the events of one or more schedules at their times, on a thread of its own, until every schedule is
/// exhausted or the phase's end is reached. It never waits for answers (open loop): <c>release</c> must not block,
/// it hands the event on or counts it as dropped. It sleeps in 1 ms steps, so an event can leave up to ~1 ms late;
/// latency is measured from the intended time, so that lateness is part of every figure (an overstatement).
/// </summary>
public sealed class Pacer
{
    /// <summary>Called for each due event: schedule index, event index, intended Stopwatch timestamp.</summary>
    public delegate void Release(int schedule, long k, long intended);

    private readonly ISchedule[] _schedules;
    private readonly long[] _next;
    private readonly bool[] _done;

    public Pacer(params ISchedule[] schedules)
    {
        _schedules = schedules;
        _next = new long[schedules.Length];
        _done = new bool[schedules.Length];
    }

    /// <summary>Events released so far, per schedule.</summary>
    public long Released(int schedule) => Volatile.Read(ref _next[schedule]);

    /// <summary>
    /// Runs until <paramref name="end"/> (a Stopwatch timestamp) or every schedule is done; <paramref name="start"/>
    /// is the phase's time zero. Returns the number of events released.
    /// </summary>
    public long Run(long start, long end, Release release, CancellationToken cancellationToken)
    {
        long released = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            var nextDue = long.MaxValue;
            var active = false;
            for (var s = 0; s < _schedules.Length; s++)
            {
                if (_done[s])
                {
                    continue;
                }

                var schedule = _schedules[s];
                var k = _next[s];
                while (true)
                {
                    if (k >= schedule.Count)
                    {
                        _done[s] = true;
                        break;
                    }

                    var intended = start + schedule.OffsetOf(k);
                    if (intended >= end)
                    {
                        _done[s] = true;
                        break;
                    }

                    if (intended > now)
                    {
                        nextDue = Math.Min(nextDue, intended);
                        break;
                    }

                    release(s, k, intended);
                    released++;
                    k++;
                }

                Volatile.Write(ref _next[s], k);
                active |= !_done[s];
            }

            if (!active)
            {
                return released;
            }

            var waitMs = (nextDue - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
            Thread.Sleep((int)Math.Clamp(waitMs, 1, 50));
        }

        return released;
    }
}
