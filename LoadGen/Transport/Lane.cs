using System.Net;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>A worker's own connection, request buffer and timeout source.</summary>
internal sealed class Lane : IDisposable
{
    private readonly HttpConnection _connection;
    private readonly string _authority;
    private readonly string _pathPrefix;
    private readonly CancellationToken _runToken;
    private readonly byte[] _buffer = new byte[8 * 1024];
    private CancellationTokenSource _timeout;

    public Lane(EndPoint endPoint, Uri baseUrl, CancellationToken runToken)
    {
        _connection = new HttpConnection(endPoint);
        _authority = baseUrl.Authority;
        var path = baseUrl.AbsolutePath;
        _pathPrefix = path.EndsWith('/') ? path : path + "/";
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

    public ValueTask<Reply> ExchangeAsync(RequestSpec spec, TimeSpan timeout)
    {
        var length = RequestFormatter.WriteHttp(_buffer, spec, _authority, _pathPrefix);
        if (length < 0)
        {
            throw new InvalidOperationException($"request to {spec.To} is larger than {_buffer.Length} bytes");
        }

        return _connection.ExchangeAsync(_buffer.AsMemory(0, length), spec.KeepBody, Arm(timeout));
    }

    public void Dispose()
    {
        _connection.Dispose();
        _timeout.Dispose();
    }
}
