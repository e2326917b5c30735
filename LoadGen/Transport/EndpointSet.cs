using System.Net;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>One HTTP endpoint of the CSE (a silo's binding, a gateway): its base URL and socket address.</summary>
internal sealed record Endpoint(Uri BaseUrl, IPEndPoint Address)
{
    /// <summary>The <c>Host</c> header value.</summary>
    public string Authority => BaseUrl.Authority;

    /// <summary>The base URL's path, ending in <c>/</c>.</summary>
    public string PathPrefix => BaseUrl.AbsolutePath.EndsWith('/') ? BaseUrl.AbsolutePath : BaseUrl.AbsolutePath + "/";

    /// <summary>A stable 64-bit key of the URL (FNV-1a of its text), the endpoint's weight seed in <see cref="EndpointSet.Choose"/>.</summary>
    public ulong Key { get; } = Fnv(BaseUrl.AbsoluteUri);

    /// <summary>Resolves <paramref name="baseUrl"/>'s host (an address, or its first DNS address).</summary>
    public static async Task<Endpoint> ResolveAsync(Uri baseUrl, CancellationToken cancellationToken)
    {
        var address = IPAddress.TryParse(baseUrl.Host, out var ip) ? ip : (await Dns.GetHostAddressesAsync(baseUrl.Host, cancellationToken))[0];
        return new Endpoint(baseUrl, new IPEndPoint(address, baseUrl.Port));
    }

    private static ulong Fnv(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}

/// <summary>
/// The endpoints the devices are spread over, as a load balancer in front of the silos spreads them, and which of
/// them a device talks to: rendezvous hashing (highest random weight), so a device keeps its endpoint while the set
/// does not change, and when an endpoint joins only the devices it now wins (about 1/N) move to it; when one leaves,
/// only its own devices move, spread over the rest. The set is replaced as a whole (<see cref="Update"/>), for example
/// by <see cref="WatchAsync"/> from a file that the deployment rewrites when a silo is ready or about to stop.
/// </summary>
internal sealed class EndpointSet
{
    private Endpoint[] _current;
    private int _version;

    public EndpointSet(IReadOnlyList<Endpoint> initial)
    {
        _current = initial.Count > 0 ? [.. initial] : throw new ArgumentException("an endpoint set needs at least one endpoint", nameof(initial));
    }

    /// <summary>The endpoints now.</summary>
    public IReadOnlyList<Endpoint> Current => Volatile.Read(ref _current);

    /// <summary>Incremented by every change of the set.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>The endpoint device <paramref name="device"/> talks to now.</summary>
    public Endpoint For(int device)
    {
        var current = Volatile.Read(ref _current);
        return current[Choose(device, current.Length, i => current[i].Key)];
    }

    /// <summary>How many of devices 0 … <paramref name="devices"/>−1 talk to another endpoint in <paramref name="after"/> than in <paramref name="before"/>.</summary>
    public static int Moved(int devices, IReadOnlyList<Endpoint> before, IReadOnlyList<Endpoint> after)
    {
        var moved = 0;
        for (var d = 0; d < devices; d++)
        {
            if (!before[Choose(d, before.Count, i => before[i].Key)].Equals(after[Choose(d, after.Count, i => after[i].Key)]))
            {
                moved++;
            }
        }

        return moved;
    }

    /// <summary>Index of the endpoint with the highest weight for <paramref name="device"/> among <paramref name="count"/> with the given keys.</summary>
    public static int Choose(int device, int count, Func<int, ulong> key)
    {
        var best = 0;
        var bestWeight = 0UL;
        for (var i = 0; i < count; i++)
        {
            var weight = Mix(key(i) ^ ((ulong)(uint)device * 0x9E3779B97F4A7C15UL));
            if (i == 0 || weight > bestWeight)
            {
                best = i;
                bestWeight = weight;
            }
        }

        return best;
    }

    /// <summary>Replaces the set; false (and no change) when it is empty or the same as now.</summary>
    public bool Update(IReadOnlyList<Endpoint> endpoints)
    {
        var current = Volatile.Read(ref _current);
        if (endpoints.Count == 0 || endpoints.Select(e => e.BaseUrl).SequenceEqual(current.Select(e => e.BaseUrl)))
        {
            return false;
        }

        Volatile.Write(ref _current, [.. endpoints]);
        Interlocked.Increment(ref _version);
        return true;
    }

    /// <summary>Base URLs from an endpoints file: one per line (or separated by commas); blank lines and <c>#</c> comments are skipped.</summary>
    public static IReadOnlyList<Uri> Parse(string text)
    {
        var urls = new List<Uri>();
        foreach (var line in text.Split('\n'))
        {
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            var content = hash < 0 ? line : line[..hash];
            foreach (var part in content.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                urls.Add(Uri.TryCreate(part, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp
                    ? url
                    : throw new FormatException($"'{part}' is not an http:// URL"));
            }
        }

        return urls.Distinct().ToArray();
    }

    /// <summary>The endpoints listed in <paramref name="path"/>, resolved.</summary>
    public static async Task<IReadOnlyList<Endpoint>> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var urls = Parse(await File.ReadAllTextAsync(path, cancellationToken));
        var endpoints = new Endpoint[urls.Count];
        for (var i = 0; i < urls.Count; i++)
        {
            endpoints[i] = await Endpoint.ResolveAsync(urls[i], cancellationToken);
        }

        return endpoints;
    }

    /// <summary>
    /// Re-reads <paramref name="path"/> every <paramref name="every"/> until cancelled and applies what it lists. A file
    /// that cannot be read or parsed, or lists nothing, leaves the set as it is (a deployment rewriting it non-atomically
    /// is read again next time); <paramref name="changed"/> hears of each change (the set before, the set after).
    /// </summary>
    public async Task WatchAsync(string path, TimeSpan every, Action<IReadOnlyList<Endpoint>, IReadOnlyList<Endpoint>> changed, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                IReadOnlyList<Endpoint> endpoints;
                try
                {
                    endpoints = await ReadAsync(path, cancellationToken);
                }
                catch (Exception exception) when (exception is IOException or FormatException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
                {
                    continue;
                }

                var before = Current;
                if (Update(endpoints))
                {
                    changed(before, endpoints);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    private static ulong Mix(ulong x)
    {
        // splitmix64's finalizer: every input bit affects every output bit.
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
