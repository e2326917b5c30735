namespace VirtualIoT.LoadGen.Devices;

/// <summary>Registration state of one device, as acknowledged by the CSE.</summary>
[Flags]
public enum DeviceFlags : byte
{
    None = 0,
    Registered = 1,
    HasContainer = 2,
    Subscribed = 4,
}

/// <summary>
/// Every device as a few numbers in parallel arrays (about 20 bytes a device; no object, task or connection per
/// HTTP device): what was registered, and for verification what the CSE acknowledged. <c>Acked</c> counts
/// contentInstances answered 2001, <c>LastAcked</c> is the highest sequence number among them (the <c>con</c> of
/// instance n starts with <c>n:</c>), <c>Unknown</c> counts creates that got no answer (timeout, broken
/// connection): they may or may not exist, so they widen what a read-back may find. Updated from many threads.
/// </summary>
public sealed class DeviceTable
{
    private readonly byte[] _flags;
    private readonly int[] _acked;
    private readonly int[] _lastAcked;
    private readonly int[] _unknown;
    private readonly int[] _notified;
    private readonly int[] _lastNotified;

    public DeviceTable(int devices, bool trackNotifications)
    {
        _flags = new byte[devices];
        _acked = new int[devices];
        _lastAcked = new int[devices];
        _unknown = new int[devices];
        _notified = trackNotifications ? new int[devices] : [];
        _lastNotified = trackNotifications ? new int[devices] : [];
    }

    public int Count => _flags.Length;

    public DeviceFlags Flags(int device) => (DeviceFlags)Volatile.Read(ref _flags[device]);

    public bool Has(int device, DeviceFlags flag) => (Flags(device) & flag) == flag;

    public void Set(int device, DeviceFlags flag)
    {
        // One writer per device at a time (its registration), so a plain read-modify-write is enough.
        ref var value = ref _flags[device];
        Volatile.Write(ref value, (byte)(value | (byte)flag));
    }

    public void Clear(int device, DeviceFlags flag)
    {
        ref var value = ref _flags[device];
        Volatile.Write(ref value, (byte)(value & ~(byte)flag));
    }

    public int Acked(int device) => Volatile.Read(ref _acked[device]);

    public int LastAcked(int device) => Volatile.Read(ref _lastAcked[device]);

    public int Unknown(int device) => Volatile.Read(ref _unknown[device]);

    public int Notified(int device) => _notified.Length == 0 ? 0 : Volatile.Read(ref _notified[device]);

    /// <summary>The CSE acknowledged instance <paramref name="sequence"/> of <paramref name="device"/>.</summary>
    public void RecordAcked(int device, int sequence)
    {
        Interlocked.Increment(ref _acked[device]);
        Max(ref _lastAcked[device], sequence);
    }

    /// <summary>A create of <paramref name="device"/> got no answer: it may or may not have been stored.</summary>
    public void RecordUnknown(int device) => Interlocked.Increment(ref _unknown[device]);

    /// <summary>
    /// A notification for instance <paramref name="sequence"/> of <paramref name="device"/> arrived. Returns false
    /// for a repeat (sequence not above the last one seen): a subscription delivers in order and keeps the
    /// notification's identity across retries, so a repeat is a redelivery, not a new event.
    /// </summary>
    public bool RecordNotified(int device, int sequence)
    {
        if (_notified.Length == 0 || !Max(ref _lastNotified[device], sequence))
        {
            return false;
        }

        Interlocked.Increment(ref _notified[device]);
        return true;
    }

    /// <summary>Devices with all of <paramref name="flag"/>.</summary>
    public int CountWith(DeviceFlags flag)
    {
        var n = 0;
        for (var i = 0; i < _flags.Length; i++)
        {
            if (((DeviceFlags)_flags[i] & flag) == flag)
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>Acknowledged instances, over devices with <paramref name="flag"/> (all when None).</summary>
    public long SumAcked(DeviceFlags flag = DeviceFlags.None)
    {
        long n = 0;
        for (var i = 0; i < _flags.Length; i++)
        {
            if (((DeviceFlags)_flags[i] & flag) == flag)
            {
                n += _acked[i];
            }
        }

        return n;
    }

    /// <summary>Notifications expected but not (yet) received: acknowledged instances of subscribed containers minus those notified.</summary>
    public long MissingNotifications()
    {
        long missing = 0;
        for (var i = 0; i < _flags.Length && _notified.Length > 0; i++)
        {
            if (((DeviceFlags)_flags[i] & DeviceFlags.Subscribed) != 0)
            {
                missing += Math.Max(0, Volatile.Read(ref _acked[i]) - Volatile.Read(ref _notified[i]));
            }
        }

        return missing;
    }

    private static bool Max(ref int location, int value)
    {
        var current = Volatile.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }
}
