using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VirtualIoT.Gateway.Coap;

/// <summary>
/// A bounded map whose entries lapse after a fixed lifetime, the binding's only state (no per-device state): at most
/// <c>capacity</c> entries, the oldest forgotten first. Used for duplicate detection by message ID, responses read
/// block by block and requests received block by block. Thread-safe (one lock; every operation is O(1) amortized).
/// </summary>
internal sealed class CoapExchangeCache<TKey, TValue>(int capacity, TimeSpan lifetime, TimeProvider time)
    where TKey : notnull
{
    private readonly Dictionary<TKey, (TValue Value, long Expires)> _entries = [];
    private readonly Queue<(TKey Key, long Expires)> _order = new();
    private readonly long _lifetimeTicks = (long)(lifetime.TotalSeconds * time.TimestampFrequency);

    /// <summary>Entries held now (expired ones included until the next write).</summary>
    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The live value under <paramref name="key"/>.</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        var now = time.GetTimestamp();
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var entry) && entry.Expires > now)
            {
                value = entry.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    /// <summary>Adds <paramref name="value"/> unless a live entry exists: false, with that entry's value, when one does.</summary>
    public bool TryAdd(TKey key, TValue value, out TValue existing)
    {
        var now = time.GetTimestamp();
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var entry) && entry.Expires > now)
            {
                existing = entry.Value;
                return false;
            }

            Store(key, value, now);
            existing = value;
            return true;
        }
    }

    /// <summary>Sets the value under <paramref name="key"/>, its lifetime starting now.</summary>
    public void Set(TKey key, TValue value)
    {
        var now = time.GetTimestamp();
        lock (_entries)
        {
            Store(key, value, now);
        }
    }

    /// <summary>
    /// Replaces the value of the live entry under <paramref name="key"/>, keeping its lifetime (and its one place in the
    /// order of expiry); stores it anew when the entry is gone.
    /// </summary>
    public void Update(TKey key, TValue value)
    {
        var now = time.GetTimestamp();
        lock (_entries)
        {
            ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
            if (!Unsafe.IsNullRef(ref entry) && entry.Expires > now)
            {
                entry.Value = value;
                return;
            }

            Store(key, value, now);
        }
    }

    /// <summary>Forgets <paramref name="key"/>.</summary>
    public void Remove(TKey key)
    {
        lock (_entries)
        {
            _entries.Remove(key);
        }
    }

    private void Store(TKey key, TValue value, long now)
    {
        var expires = now + _lifetimeTicks;
        _entries[key] = (value, expires);
        _order.Enqueue((key, expires));

        // Lapsed entries first, then the oldest while over capacity; a queue entry whose key was stored again since
        // (a later expiry) or removed is skipped.
        while (_order.TryPeek(out var oldest) && (oldest.Expires <= now || _entries.Count > capacity || _order.Count > 2 * capacity))
        {
            _order.Dequeue();
            if (_entries.TryGetValue(oldest.Key, out var current) && current.Expires == oldest.Expires)
            {
                _entries.Remove(oldest.Key);
            }
        }
    }
}
