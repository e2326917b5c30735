using System.Collections.Concurrent;

namespace VirtualIoT.Gateway.Security;

/// <summary>
/// A token bucket per originator, refilled from the clock when the originator is next seen rather than by a timer:
/// System.Threading.RateLimiting's partitioned limiter visits every live bucket ten times a second, which a gateway
/// registering thousands of devices a second paid for with 6–7 % of its CPU (BENCHMARKS.md, "Request-path
/// profile"). A bucket left alone until it is full again is no different from no bucket, so such buckets are
/// dropped by a sweep on the thread pool at most once per <see cref="SweepInterval"/>.
/// </summary>
internal sealed class OriginatorRateLimiter
{
    /// <summary>How often, at most, buckets that refilled completely are dropped.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly double _capacity;
    private readonly double _tokensPerTick;
    private readonly long _sweepTicks;
    private long _nextSweep;
    private int _sweeping;

    /// <summary>Buckets of <paramref name="capacity"/> tokens, each refilled at <paramref name="tokensPerSecond"/>.</summary>
    public OriginatorRateLimiter(int capacity, double tokensPerSecond, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokensPerSecond);
        _time = time ?? TimeProvider.System;
        _capacity = capacity;
        _tokensPerTick = tokensPerSecond / _time.TimestampFrequency;
        _sweepTicks = (long)(SweepInterval.TotalSeconds * _time.TimestampFrequency);
        _nextSweep = _time.GetTimestamp() + _sweepTicks;
    }

    /// <summary>Buckets held (originators seen and not yet refilled completely, or not yet swept).</summary>
    public int Count => _buckets.Count;

    /// <summary>
    /// Takes a token of <paramref name="originator"/>'s bucket; false when it has none, with the time until it has
    /// one in <paramref name="retryAfter"/>.
    /// </summary>
    public bool TryAcquire(string originator, out TimeSpan retryAfter)
    {
        var now = _time.GetTimestamp();
        SweepIfDue(now);
        while (true)
        {
            var bucket = _buckets.GetOrAdd(originator, static (_, start) => new Bucket(start.Capacity, start.Now), (Capacity: _capacity, Now: now));
            lock (bucket)
            {
                if (bucket.Dropped)
                {
                    continue;
                }

                var tokens = Refill(bucket, now);
                if (tokens >= 1)
                {
                    bucket.Tokens = tokens - 1;
                    retryAfter = TimeSpan.Zero;
                    return true;
                }

                retryAfter = TimeSpan.FromSeconds((1 - tokens) / (_tokensPerTick * _time.TimestampFrequency));
                return false;
            }
        }
    }

    /// <summary>Whether <paramref name="originator"/>'s bucket holds a token, without taking it.</summary>
    public bool HasToken(string originator)
    {
        if (!_buckets.TryGetValue(originator, out var bucket))
        {
            return true;
        }

        lock (bucket)
        {
            return bucket.Dropped || Refill(bucket, _time.GetTimestamp()) >= 1;
        }
    }

    // The bucket's tokens at `now` (stored back, with the time they were counted at).
    private double Refill(Bucket bucket, long now)
    {
        if (now > bucket.Counted)
        {
            bucket.Tokens = Math.Min(_capacity, bucket.Tokens + ((now - bucket.Counted) * _tokensPerTick));
            bucket.Counted = now;
        }

        return bucket.Tokens;
    }

    private void SweepIfDue(long now)
    {
        if (now < Volatile.Read(ref _nextSweep) || Interlocked.CompareExchange(ref _sweeping, 1, 0) != 0)
        {
            return;
        }

        Volatile.Write(ref _nextSweep, now + _sweepTicks);
        ThreadPool.UnsafeQueueUserWorkItem(static limiter => limiter.Sweep(), this, preferLocal: false);
    }

    internal void Sweep()
    {
        try
        {
            var now = _time.GetTimestamp();
            foreach (var (originator, bucket) in _buckets)
            {
                lock (bucket)
                {
                    if (Refill(bucket, now) < _capacity)
                    {
                        continue;
                    }

                    // Full: as if never seen. Marked first, so an acquire that holds it takes a new one instead.
                    bucket.Dropped = true;
                }

                _buckets.TryRemove(new KeyValuePair<string, Bucket>(originator, bucket));
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private sealed class Bucket(double tokens, long counted)
    {
        public double Tokens = tokens;
        public long Counted = counted;
        public bool Dropped;
    }
}
