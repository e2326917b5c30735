namespace VirtualIoT.LoadGen.Scheduling;

/// <summary>
/// A fixed schedule of events: event <c>k</c> is due <see cref="OffsetOf"/> ticks after the phase starts, offsets
/// never decrease with k. Open loop: the pacer releases each event at its time whatever the answers do.
/// </summary>
public interface ISchedule
{
    /// <summary>Events in the schedule (<see cref="long.MaxValue"/> when only the phase's end bounds it).</summary>
    long Count { get; }

    /// <summary>Ticks after the phase start at which event <paramref name="k"/> is due.</summary>
    long OffsetOf(long k);

    /// <summary>Device the event <paramref name="k"/> belongs to.</summary>
    int DeviceOf(long k);
}

/// <summary>Registrations at a fixed rate: device <c>k</c> at <c>k / rate</c>.</summary>
public sealed class RampSchedule(int devices, double perSecond, long ticksPerSecond) : ISchedule
{
    private readonly double _ticksPerEvent = ticksPerSecond / perSecond;

    public long Count => devices;

    public long OffsetOf(long k) => (long)(k * _ticksPerEvent);

    public int DeviceOf(long k) => (int)k;
}

/// <summary>
/// Every device posts once per interval, each at its own phase in the interval (jittered start). The interval is
/// cut into one slot per device; a seeded permutation gives each device a slot and a seeded hash a position inside
/// it. So starts are random, yet the total rate is flat (devices / interval) with no bunching, and the schedule
/// costs one int per device however long it runs. Event <c>k</c> is cycle <c>k / N</c> of the device in slot
/// <c>k mod N</c>; that cycle + 1 is the device's sequence number for the instance.
/// </summary>
public sealed class SteadySchedule : ISchedule
{
    private readonly int[] _deviceInSlot;
    private readonly long _interval;
    private readonly int _seed;

    public SteadySchedule(int devices, long intervalTicks, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(devices, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(intervalTicks, 1);
        _interval = intervalTicks;
        _seed = seed;
        _deviceInSlot = new int[devices];
        for (var i = 0; i < devices; i++)
        {
            _deviceInSlot[i] = i;
        }

        new Random(seed).Shuffle(_deviceInSlot);
    }

    public long Count => long.MaxValue;

    public int Devices => _deviceInSlot.Length;

    public long OffsetOf(long k)
    {
        var n = _deviceInSlot.Length;
        var cycle = k / n;
        var slot = k % n;
        var within = Unit(_seed, slot);
        return (cycle * _interval) + (long)((slot + within) * _interval / n);
    }

    public int DeviceOf(long k) => _deviceInSlot[k % _deviceInSlot.Length];

    /// <summary>Sequence number (1, 2, …) of event <paramref name="k"/> within its device's posts.</summary>
    public int SequenceOf(long k) => (int)(k / _deviceInSlot.Length) + 1;

    /// <summary>A seeded value in [0, 1) for <paramref name="key"/> (SplitMix64).</summary>
    public static double Unit(int seed, long key)
    {
        var z = unchecked((ulong)key + ((ulong)(uint)seed << 32) + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}

/// <summary>Reads at a fixed total rate, evenly spaced; each goes to a seeded random device.</summary>
public sealed class ReaderSchedule(int devices, double perSecond, long ticksPerSecond, int seed) : ISchedule
{
    private readonly double _ticksPerEvent = ticksPerSecond / perSecond;

    public long Count => long.MaxValue;

    public long OffsetOf(long k) => (long)(k * _ticksPerEvent);

    public int DeviceOf(long k) => (int)(SteadySchedule.Unit(seed ^ 0x5eed, k) * devices);

    /// <summary>True when read <paramref name="k"/> is a discovery rather than an la retrieve.</summary>
    public bool IsDiscovery(long k, double discoveryShare) => SteadySchedule.Unit(seed ^ 0xd15c, k) < discoveryShare;
}
