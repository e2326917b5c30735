using VirtualIoT.Gateway.Security;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// The per-originator token buckets behind <c>Limits:RequestsPerSecond</c> and the authentication failure throttle,
/// on a clock the test moves: a bucket's size, its refill from the clock, the wait it names, and the sweep that
/// drops only buckets that are full again.
/// </summary>
public sealed class OriginatorRateLimiterTests
{
    [Fact]
    public void A_bucket_admits_its_size_then_refuses_with_the_wait_until_its_next_token()
    {
        var clock = new ManualClock();
        var limiter = new OriginatorRateLimiter(capacity: 10, tokensPerSecond: 10, clock);

        Assert.All(Enumerable.Range(0, 10), _ => Assert.True(limiter.TryAcquire("Cdev", out var _)));
        Assert.False(limiter.TryAcquire("Cdev", out var wait));
        Assert.InRange(wait.TotalMilliseconds, 99, 101);
        Assert.False(limiter.HasToken("Cdev"));

        // Other originators have buckets of their own.
        Assert.True(limiter.TryAcquire("Cother", out _));
        Assert.True(limiter.HasToken("Cnever"));
    }

    [Fact]
    public void A_bucket_refills_at_its_rate_and_never_beyond_its_size()
    {
        var clock = new ManualClock();
        var limiter = new OriginatorRateLimiter(capacity: 10, tokensPerSecond: 10, clock);
        for (var i = 0; i < 10; i++)
        {
            limiter.TryAcquire("Cdev", out _);
        }

        clock.Advance(TimeSpan.FromMilliseconds(350));
        Assert.Equal(3, Enumerable.Range(0, 5).Count(_ => limiter.TryAcquire("Cdev", out var _)));

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(10, Enumerable.Range(0, 20).Count(_ => limiter.TryAcquire("Cdev", out var _)));
    }

    [Fact]
    public void A_slow_rate_names_a_wait_of_seconds()
    {
        var clock = new ManualClock();
        var limiter = new OriginatorRateLimiter(capacity: 2, tokensPerSecond: 2 / 60.0, clock);

        Assert.True(limiter.TryAcquire("Cdev", out var _));
        Assert.True(limiter.TryAcquire("Cdev", out var _));
        Assert.False(limiter.TryAcquire("Cdev", out var wait));
        Assert.InRange(wait.TotalSeconds, 29.9, 30.1);
    }

    [Fact]
    public void The_sweep_drops_full_buckets_and_keeps_the_others_with_their_tokens()
    {
        var clock = new ManualClock();
        var limiter = new OriginatorRateLimiter(capacity: 10, tokensPerSecond: 1, clock);
        limiter.TryAcquire("Cidle", out _);
        clock.Advance(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 10; i++)
        {
            limiter.TryAcquire("Cbusy", out _);
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        limiter.Sweep();

        Assert.Equal(1, limiter.Count);
        Assert.Equal(2, Enumerable.Range(0, 5).Count(_ => limiter.TryAcquire("Cbusy", out var _)));
        Assert.Equal(10, Enumerable.Range(0, 20).Count(_ => limiter.TryAcquire("Cidle", out var _)));
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000;

        public override long TimestampFrequency => 1_000_000;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += (long)(by.TotalSeconds * TimestampFrequency);
    }
}
