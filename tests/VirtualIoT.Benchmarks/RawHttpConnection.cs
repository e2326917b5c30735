using System.Net;
using System.Net.Sockets;
using System.Text;

namespace VirtualIoT.Benchmarks;

/// <summary>
/// One keep-alive HTTP/1.1 connection that sends a prepared request and reads the answer's status line, the
/// <c>X-M2M-RSC</c> and <c>Content-Length</c> headers and the body, and nothing else. A load generator's client,
/// lean so that it takes little of the CPU it shares; wrk does the same in C. Not a general HTTP client: the
/// response must carry a Content-Length (the CSE and the ceiling server always send one).
/// </summary>
internal sealed class RawHttpConnection : IDisposable
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    private readonly EndPoint _endPoint;
    private Socket? _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    public RawHttpConnection(EndPoint endPoint) => _endPoint = endPoint;

    /// <summary>Sends <paramref name="request"/> and reads its whole response; reconnects first if needed.</summary>
    /// <returns>The HTTP status and the <c>X-M2M-RSC</c> value (0 when absent).</returns>
    public async ValueTask<(int Status, int Rsc)> ExchangeAsync(ReadOnlyMemory<byte> request)
    {
        if (_socket is null)
        {
            var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(_endPoint);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _socket = socket;
            _start = _end = 0;
        }

        try
        {
            while (!request.IsEmpty)
            {
                var sent = await _socket.SendAsync(request, SocketFlags.None);
                request = request[sent..];
            }

            int headerLength;
            while ((headerLength = _buffer.AsSpan(_start, _end - _start).IndexOf(HeaderEnd)) < 0)
            {
                await ReceiveAsync();
            }

            var (status, rsc, contentLength) = ParseHead(_buffer.AsSpan(_start, headerLength));
            var total = headerLength + HeaderEnd.Length + contentLength;
            while (_end - _start < total)
            {
                await ReceiveAsync();
            }

            _start += total;
            if (_start == _end)
            {
                _start = _end = 0;
            }

            return (status, rsc);
        }
        catch
        {
            Close();
            throw;
        }
    }

    public void Dispose() => Close();

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
    }

    private async ValueTask ReceiveAsync()
    {
        if (_end == _buffer.Length)
        {
            // Compact, or grow for a response larger than the buffer.
            var live = _end - _start;
            var target = live > _buffer.Length / 2 ? new byte[_buffer.Length * 2] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, live);
            _buffer = target;
            _start = 0;
            _end = live;
        }

        var read = await _socket!.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
        if (read == 0)
        {
            throw new IOException("the server closed the connection");
        }

        _end += read;
    }

    /// <summary>Status code, X-M2M-RSC and Content-Length from a response head (status line and headers).</summary>
    private static (int Status, int Rsc, int ContentLength) ParseHead(ReadOnlySpan<byte> head)
    {
        // "HTTP/1.1 201 Created"
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8))
        {
            throw new IOException("not an HTTP/1.x response");
        }

        var status = ParseInt(head.Slice(9, 3));
        var rsc = 0;
        var contentLength = -1;
        var rest = head;
        while (true)
        {
            var newline = rest.IndexOf("\r\n"u8);
            if (newline < 0)
            {
                break;
            }

            rest = rest[(newline + 2)..];
            var lineEnd = rest.IndexOf("\r\n"u8);
            var line = lineEnd < 0 ? rest : rest[..lineEnd];
            var colon = line.IndexOf((byte)':');
            if (colon > 0)
            {
                var name = line[..colon];
                var value = line[(colon + 1)..].Trim((byte)' ');
                if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
                {
                    contentLength = ParseInt(value);
                }
                else if (Ascii.EqualsIgnoreCase(name, "x-m2m-rsc"u8))
                {
                    rsc = ParseInt(value);
                }
                else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
                {
                    throw new IOException("chunked responses are not supported by this client");
                }
            }
        }

        if (contentLength < 0)
        {
            throw new IOException("response without Content-Length");
        }

        return (status, rsc, contentLength);
    }

    private static int ParseInt(ReadOnlySpan<byte> digits)
    {
        var value = 0;
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                throw new IOException($"not a number: '{Encoding.ASCII.GetString(digits)}'");
            }

            value = (value * 10) + (b - '0');
        }

        return value;
    }
}
