namespace VirtualIoT.LoadGen.Transport;

/// <summary>
/// A worker's own connection, request buffer and timeout source. A lane talks to its own endpoint, or, when the
/// devices are spread over a changing <see cref="EndpointSet"/>, to whichever endpoint the request's device has now
/// (one keep-alive connection per endpoint, opened when first needed, closed when the endpoint leaves the set).
/// </summary>
internal sealed class Lane : IDisposable
{
    private readonly Endpoint _endpoint;
    private readonly HttpConnection _connection;
    private readonly Dictionary<Endpoint, HttpConnection> _others = [];
    private readonly CancellationToken _runToken;
    private readonly byte[] _buffer = new byte[8 * 1024];
    private CancellationTokenSource _timeout;
    private int _setVersion;

    public Lane(Endpoint endpoint, CancellationToken runToken)
    {
        _endpoint = endpoint;
        _connection = new HttpConnection(endpoint.Address);
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
    public ValueTask<Reply> ExchangeAsync(RequestSpec spec, TimeSpan timeout) => Send(_endpoint, _connection, spec, timeout);

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
            return Send(endpoint, _connection, spec, timeout);
        }

        if (!_others.TryGetValue(endpoint, out var connection))
        {
            connection = new HttpConnection(endpoint.Address);
            _others.Add(endpoint, connection);
        }

        return Send(endpoint, connection, spec, timeout);
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

    private ValueTask<Reply> Send(Endpoint endpoint, HttpConnection connection, RequestSpec spec, TimeSpan timeout)
    {
        var length = RequestFormatter.WriteHttp(_buffer, spec, endpoint.Authority, endpoint.PathPrefix);
        if (length < 0)
        {
            throw new InvalidOperationException($"request to {spec.To} is larger than {_buffer.Length} bytes");
        }

        return connection.ExchangeAsync(_buffer.AsMemory(0, length), spec.KeepBody, Arm(timeout));
    }

    /// <summary>Closes the connections to endpoints that left the set (a stopped silo's sockets are not reused).</summary>
    private void CloseOthersThan(IReadOnlyList<Endpoint> current)
    {
        if (!current.Contains(_endpoint))
        {
            _connection.Dispose();   // reconnects when the endpoint comes back
        }

        foreach (var endpoint in _others.Keys.Where(e => !current.Contains(e)).ToArray())
        {
            _others[endpoint].Dispose();
            _others.Remove(endpoint);
        }
    }
}
