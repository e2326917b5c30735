using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Remote;

/// <summary>
/// The routes this process forwards requests for other CSEs over, by the CSE-ID a request names (<c>/id-mn</c>): the
/// <c>&lt;remoteCSE&gt;</c>'s CSE-ID and points of access, or, for an MN-CSE, its registrar's for a CSE it has no
/// registration of. A hit costs no grain call; an entry is asked again after <see cref="CseOptions.RemoteRouteRefresh"/>,
/// and every entry goes when a <c>&lt;remoteCSE&gt;</c> of this process changes (<see cref="IRemoteCseRouteCache"/>) or a
/// route answered on none of its points of access (<see cref="Forget"/>). No route is remembered for an unknown CSE.
/// </summary>
public sealed class RemoteCseRoutes : IRemoteCseRouteCache
{
    /// <summary>Beyond this many entries the cache starts afresh rather than growing without bound.</summary>
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly long _refreshMilliseconds;

    // Counts invalidations: a look-up that overlapped one may have read the old registration and is not kept.
    private long _invalidations;

    /// <summary>Creates the cache.</summary>
    public RemoteCseRoutes(IOptions<CseOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _refreshMilliseconds = (long)options.Value.RemoteRouteRefresh.TotalMilliseconds;
    }

    /// <summary>
    /// The route to <paramref name="cseId"/>: the cached one while it is fresh, else <paramref name="find"/>'s answer,
    /// kept when there is one and no invalidation overlapped the look-up.
    /// </summary>
    public ValueTask<RemoteCseRoute?> GetAsync(string cseId, Func<string, ValueTask<RemoteCseRoute?>> find)
    {
        ArgumentNullException.ThrowIfNull(find);
        return _entries.TryGetValue(cseId, out var entry) && Environment.TickCount64 - entry.Fetched < _refreshMilliseconds
            ? ValueTask.FromResult<RemoteCseRoute?>(entry.Route)
            : FindAsync(cseId, find);
    }

    /// <summary>Forgets the route to <paramref name="cseId"/> (none of its points of access answered).</summary>
    public void Forget(string cseId) => _entries.TryRemove(cseId, out _);

    /// <inheritdoc/>
    public void Invalidate()
    {
        Interlocked.Increment(ref _invalidations);
        _entries.Clear();
    }

    private async ValueTask<RemoteCseRoute?> FindAsync(string cseId, Func<string, ValueTask<RemoteCseRoute?>> find)
    {
        var invalidations = Interlocked.Read(ref _invalidations);
        var route = await find(cseId);
        if (route is not null && _refreshMilliseconds > 0)
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[cseId] = new Entry(route, Environment.TickCount64);
            if (Interlocked.Read(ref _invalidations) != invalidations)
            {
                _entries.TryRemove(cseId, out _);
            }
        }

        return route;
    }

    private sealed record Entry(RemoteCseRoute Route, long Fetched);
}
