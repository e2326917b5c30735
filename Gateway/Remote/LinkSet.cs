using System.Collections.Concurrent;

namespace VirtualIoT.Gateway.Remote;

/// <summary>
/// The kept connections of one binding to other CSEs (MQTT brokers, WebSocket endpoints), by address: made on first
/// use, closed together when the host stops, after which none is made.
/// </summary>
internal sealed class LinkSet<TLink> : IAsyncDisposable
    where TLink : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, TLink> _links = new(StringComparer.Ordinal);
    private int _disposed;

    /// <summary>The link for <paramref name="key"/>, made by <paramref name="create"/> if there is none; null once the host is stopping.</summary>
    public TLink? Get<TState>(string key, Func<string, TState, TLink> create, TState state) =>
        Volatile.Read(ref _disposed) != 0 ? default : _links.GetOrAdd(key, create, state);

    /// <summary>Closes every link.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var link in _links.Values)
        {
            await link.DisposeAsync();
        }

        _links.Clear();
    }
}
