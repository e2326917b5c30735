namespace VirtualIoT.LoadGen.Transport;

/// <summary>
/// A worker's own connection (an <see cref="IRequestChannel"/> of the run's binding) and timeout source. A lane talks
/// to its own endpoint, or, when the devices are spread over a changing <see cref="EndpointSet"/>, to whichever
/// endpoint the request's device has now (one channel per endpoint, opened when first needed, closed when the
/// endpoint leaves the set).
/// </summary>
internal sealed class Lane : IDisposable
{
    private readonly Endpoint _endpoint;
    private readonly Func<Endpoint, IRequestChannel> _open;
    private readonly Dictionary<Endpoint, IRequestChannel> _others = [];
    private readonly CancellationToken _runToken;
    private IRequestChannel _connection;
    private CancellationTokenSource _timeout;
    private int _setVersion;

    /// <summary>A lane to <paramref name="endpoint"/>, opening its channels with <paramref name="open"/>.</summary>
    public Lane(Endpoint endpoint, Func<Endpoint, IRequestChannel> open, CancellationToken runToken)
    {
        _endpoint = endpoint;
        _open = open;
        _connection = open(endpoint);
        _runToken = runToken;
        _timeout = CancellationTokenSource.CreateLinkedTokenSource(runToken);
    }

    /// <summary>A token that fires after <paramref name="timeout"/> (or when the run is cancelled).</summary>
    public CancellationToken Arm(TimeSpan timeout)
    {
        if (!_timeout.TryReset())
        {
            _timeout.Dispose();
            _timeout = CancellationTokenSource.CreateLinkedTokenSource(_runToken);
        }

        _timeout.CancelAfter(timeout);
        return _timeout.Token;
    }

    /// <summary>Sends <paramref name="spec"/> to the lane's own endpoint.</summary>
    public ValueTask<Reply> ExchangeAsync(RequestSpec spec, TimeSpan timeout) => Send(_connection, spec, timeout);

    /// <summary>Sends <paramref name="spec"/> to the endpoint <paramref name="endpoints"/> gives device <paramref name="device"/> now.</summary>
    public ValueTask<Reply> ExchangeAsync(EndpointSet endpoints, int device, RequestSpec spec, TimeSpan timeout)
    {
        var version = endpoints.Version;
        if (version != _setVersion)
        {
            _setVersion = version;
            CloseOthersThan(endpoints.Current);
        }

        var endpoint = endpoints.For(device);
        if (endpoint.Equals(_endpoint))
        {
            return Send(_connection, spec, timeout);
        }

        if (!_others.TryGetValue(endpoint, out var connection))
        {
            connection = _open(endpoint);
            _others.Add(endpoint, connection);
        }

        return Send(connection, spec, timeout);
    }

    public void Dispose()
    {
        _connection.Dispose();
        foreach (var connection in _others.Values)
        {
            connection.Dispose();
        }

        _timeout.Dispose();
    }

    private ValueTask<Reply> Send(IRequestChannel connection, RequestSpec spec, TimeSpan timeout) => connection.ExchangeAsync(spec, Arm(timeout));

    /// <summary>Closes the connections to endpoints that left the set (a stopped silo's sockets are not reused).</summary>
    private void CloseOthersThan(IReadOnlyList<Endpoint> current)
    {
        if (!current.Contains(_endpoint))
        {
            _connection.Dispose();   // a fresh channel reconnects when the endpoint comes back
            _connection = _open(_endpoint);
        }

        foreach (var endpoint in _others.Keys.Where(e => !current.Contains(e)).ToArray())
        {
            _others[endpoint].Dispose();
            _others.Remove(endpoint);
        }
    }
}
