namespace VirtualIoT.LoadGen.Transport;

/// <summary>
/// The WebSocket devices (TS-0020): a fixed set of WebSockets per endpoint, shared by the devices, with device d always
/// on the same one (endpoint d mod n, as its queue; WebSocket (d / n) mod k there), because the CSE binds an originator
/// to the connection that first uses it and refuses it on any other. A WebSocket carries one request at a time
/// (<see cref="WebSocketChannel"/>); a device's request waits for its WebSocket, within the request's timeout.
/// </summary>
internal sealed class WebSocketDevices : IDisposable
{
    private readonly Socket[] _sockets;
    private readonly int _endpoints;
    private readonly int _perEndpoint;

    /// <summary><paramref name="perEndpoint"/> WebSockets to each of <paramref name="endpoints"/>, opened when first used.</summary>
    public WebSocketDevices(IReadOnlyList<Endpoint> endpoints, int perEndpoint, BindingOptions options)
    {
        _endpoints = endpoints.Count;
        _perEndpoint = perEndpoint;
        _sockets = new Socket[_endpoints * perEndpoint];
        for (var i = 0; i < _sockets.Length; i++)
        {
            _sockets[i] = new Socket(RequestChannels.Open(DeviceProtocol.WebSocket, endpoints[i / perEndpoint], options));
        }
    }

    /// <summary>Sends device <paramref name="device"/>'s request over its WebSocket and waits for the answer.</summary>
    public async ValueTask<Reply> SendAsync(int device, RequestSpec spec, CancellationToken cancellationToken)
    {
        var endpoint = device % _endpoints;
        var socket = _sockets[(endpoint * _perEndpoint) + (device / _endpoints % _perEndpoint)];
        await socket.Gate.WaitAsync(cancellationToken);
        try
        {
            return await socket.Channel.ExchangeAsync(spec, cancellationToken);
        }
        finally
        {
            socket.Gate.Release();
        }
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Channel.Dispose();
            socket.Gate.Dispose();
        }
    }

    private sealed class Socket(IRequestChannel channel)
    {
        public IRequestChannel Channel { get; } = channel;

        public SemaphoreSlim Gate { get; } = new(1, 1);
    }
}
