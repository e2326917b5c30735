using System.Diagnostics;
using VirtualIoT.LoadGen;
using VirtualIoT.LoadGen.Scheduling;

namespace VirtualIoT.Tests.LoadGen;

public sealed class SchedulingTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void Steady_schedule_has_every_device_once_per_interval_in_time_order()
    {
        var schedule = new SteadySchedule(devices: 1000, intervalTicks: 60 * Second, seed: 3);
        var seen = new int[1000];
        var previous = -1L;

        for (long k = 0; k < 3000; k++)
        {
            var offset = schedule.OffsetOf(k);
            Assert.True(offset >= previous, $"event {k} at {offset} comes before event {k - 1} at {previous}");
            Assert.InRange(offset, (k / 1000) * 60 * Second, ((k / 1000) + 1) * 60 * Second - 1);
            Assert.Equal((int)(k / 1000) + 1, schedule.SequenceOf(k));
            seen[schedule.DeviceOf(k)]++;
            previous = offset;
        }

        Assert.All(seen, count => Assert.Equal(3, count));
    }

    [Fact]
    public void Steady_schedule_is_flat_every_slot_of_the_interval_holds_one_post()
    {
        var schedule = new SteadySchedule(devices: 600, intervalTicks: 60 * Second, seed: 1);

        for (long k = 0; k < 600; k++)
        {
            Assert.InRange(schedule.OffsetOf(k), k * Second / 10, ((k + 1) * Second / 10) - 1);
        }
    }

    [Fact]
    public void Steady_schedule_start_order_depends_on_the_seed_only()
    {
        var a = new SteadySchedule(100, Second, seed: 1);
        var b = new SteadySchedule(100, Second, seed: 1);
        var c = new SteadySchedule(100, Second, seed: 2);

        var orderA = Enumerable.Range(0, 100).Select(k => a.DeviceOf(k)).ToArray();

        Assert.Equal(orderA, Enumerable.Range(0, 100).Select(k => b.DeviceOf(k)));
        Assert.NotEqual(orderA, Enumerable.Range(0, 100).Select(k => c.DeviceOf(k)));
        Assert.NotEqual(Enumerable.Range(0, 100), orderA);
    }

    [Fact]
    public void Ramp_schedule_spaces_registrations_at_the_rate()
    {
        var ramp = new RampSchedule(devices: 10, perSecond: 4, ticksPerSecond: Second);

        Assert.Equal(10, ramp.Count);
        Assert.Equal(0, ramp.OffsetOf(0));
        Assert.Equal(Second / 4, ramp.OffsetOf(1));
        Assert.Equal(9 * Second / 4, ramp.OffsetOf(9));
        Assert.Equal(7, ramp.DeviceOf(7));
    }

    [Fact]
    public void Reader_schedule_targets_every_device_range_and_mixes_discovery_by_share()
    {
        var reads = new ReaderSchedule(devices: 50, perSecond: 100, ticksPerSecond: Second, seed: 1);

        var targets = Enumerable.Range(0, 10_000).Select(k => reads.DeviceOf(k)).ToArray();
        var discoveries = Enumerable.Range(0, 10_000).Count(k => reads.IsDiscovery(k, 0.1));

        Assert.All(targets, d => Assert.InRange(d, 0, 49));
        Assert.Equal(50, targets.Distinct().Count());
        Assert.InRange(discoveries, 800, 1200);
        Assert.Equal(Second / 100 * 3, reads.OffsetOf(3));
    }

    [Theory]
    [InlineData(1000, 0.1, 100)]
    [InlineData(300, 0.2, 60)]
    [InlineData(7, 1.0, 7)]
    [InlineData(10, 0.0, 0)]
    [InlineData(3, 0.5, 1)]
    public void Subscribers_are_exactly_the_ratio_of_devices(int devices, double ratio, int expected)
    {
        Assert.Equal(expected, Enumerable.Range(0, devices).Count(d => Run.IsSubscriber(d, ratio)));
    }

    [Fact]
    public void Pacer_releases_every_due_event_in_order_with_its_intended_time()
    {
        var ramp = new RampSchedule(devices: 100, perSecond: 1000, ticksPerSecond: Stopwatch.Frequency);
        var pacer = new Pacer(ramp);
        var released = new List<(long K, long Intended)>();
        // Time zero a second ago: all 100 events (over 0.1 s) are due at once, so the run needs no waiting.
        var start = Stopwatch.GetTimestamp() - Stopwatch.Frequency;

        var count = pacer.Run(start, long.MaxValue, (_, k, intended) => released.Add((k, intended)), CancellationToken.None);

        Assert.Equal(100, count);
        Assert.Equal(Enumerable.Range(0, 100).Select(k => (long)k), released.Select(r => r.K));
        Assert.All(released, r => Assert.Equal(start + ramp.OffsetOf(r.K), r.Intended));
        Assert.Equal(100, pacer.Released(0));
    }

    [Fact]
    public void Pacer_stops_at_the_phase_end_without_releasing_later_events()
    {
        var steady = new SteadySchedule(devices: 10, intervalTicks: Stopwatch.Frequency / 10, seed: 1);
        var reads = new ReaderSchedule(devices: 10, perSecond: 50, ticksPerSecond: Stopwatch.Frequency, seed: 1);
        var pacer = new Pacer(steady, reads);
        var start = Stopwatch.GetTimestamp() - (2 * Stopwatch.Frequency);
        var end = start + Stopwatch.Frequency; // one second of schedule, all of it in the past
        var perSchedule = new long[2];

        pacer.Run(start, end, (s, k, intended) =>
        {
            Assert.True(intended < end);
            perSchedule[s]++;
        }, CancellationToken.None);

        Assert.Equal(100, perSchedule[0]); // 10 devices × 10 intervals
        Assert.Equal(50, perSchedule[1]);
    }
}
