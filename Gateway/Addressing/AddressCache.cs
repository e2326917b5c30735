using System.Collections.Concurrent;

namespace VirtualIoT.Gateway.Addressing;

/// <summary>A structured address resolved to a resource.</summary>
/// <param name="Grain">The resource's grain (a grain reference is reusable, so it is kept rather than rebuilt).</param>
/// <param name="ResourceId">The resource ID.</param>
/// <param name="Type">The resource type, to tell whether <c>la</c>/<c>ol</c> below it are virtual resources.</param>
/// <param name="SubTarget"><c>la</c> or <c>ol</c> when the address ends in a container's virtual resource.</param>
/// <param name="Name">The resource name the grain was reached by (null when the address starts at the grain itself).</param>
public sealed record CachedAddress(IResourceGrain Grain, string ResourceId, ResourceType Type, string? SubTarget, string? Name);

/// <summary>
/// A bounded, thread-safe map from CSE-relative structured address (<c>cse-in/app/temp</c>) to the resource it named
/// when last resolved. When full it is cleared rather than kept in LRU order: the hot set refills within one
/// request per address, and clearing needs no bookkeeping on the hit path. Lookups take the address as a span of
/// the request path, so a hit allocates nothing.
/// </summary>
/// <remarks>
/// Entries can go stale when a resource is deleted; the resolver drops an entry when the grain it names answers
/// <see cref="ResourceResponse.TargetMissing"/>. Resource names cannot be updated (rn is NP on update), so a live
/// resource keeps its address.
/// </remarks>
public sealed class AddressCache
{
    private readonly ConcurrentDictionary<string, CachedAddress> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedAddress>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _capacity;
    private int _count;

    /// <summary>Creates a cache holding at most <paramref name="capacity"/> addresses; 0 disables it.</summary>
    public AddressCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
        _lookup = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The most addresses it holds before it is cleared.</summary>
    public int Capacity => _capacity;

    /// <summary>Number of cached addresses (approximate under concurrency).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Looks an address up.</summary>
    public bool TryGet(ReadOnlySpan<char> address, out CachedAddress entry) => _lookup.TryGetValue(address, out entry!);

    /// <summary>Remembers an address; clears the cache first when it is full.</summary>
    public void Set(string address, CachedAddress entry)
    {
        if (_capacity == 0)
        {
            return;
        }

        if (_entries.TryGetValue(address, out var existing))
        {
            _entries.TryUpdate(address, entry, existing);
            return;
        }

        if (Volatile.Read(ref _count) >= _capacity)
        {
            Clear();
        }

        if (_entries.TryAdd(address, entry))
        {
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>Forgets an address.</summary>
    public void Remove(ReadOnlySpan<char> address)
    {
        if (_lookup.TryRemove(address, out _, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Forgets every address.</summary>
    public void Clear()
    {
        _entries.Clear();
        Volatile.Write(ref _count, 0);
    }
}
