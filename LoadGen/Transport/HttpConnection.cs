using System.Net;
using System.Net.Sockets;
using System.Text;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>What LoadGen needs from an answer: HTTP status, <c>X-M2M-RSC</c> and, when asked for, the body.</summary>
public readonly record struct Reply(int Status, int Rsc, string? Body);

/// <summary>
/// One keep-alive HTTP/1.1 connection that sends a prepared request and reads the status line, the
/// <c>X-M2M-RSC</c> and <c>Content-Length</c> headers and the body. Lean on purpose: LoadGen shares the machine with
/// the CSE it measures, and HttpClient costs several times the CPU per request. Not a general client: responses
/// must carry a Content-Length (oneM2M CSEs answer with one; a chunked answer is reported as a failure).
/// </summary>
internal sealed class HttpConnection : IDisposable
{
    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;

    private readonly EndPoint _endPoint;
    private Socket? _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;
    private bool _closedBeforeAnswer;

    public HttpConnection(EndPoint endPoint) => _endPoint = endPoint;

    /// <summary>
    /// Sends <paramref name="request"/> and reads its whole answer; connects first when needed. A kept-alive connection
    /// that the server closed while it was idle (Kestrel closes those after its keep-alive timeout) is noticed only
    /// when the answer does not come: the request is then sent once more on a new connection, as HTTP clients do
    /// when no byte of the answer arrived on a reused connection.
    /// </summary>
    public async ValueTask<Reply> ExchangeAsync(ReadOnlyMemory<byte> request, bool keepBody, CancellationToken cancellationToken)
    {
        var reused = _socket is not null;
        try
        {
            return await ExchangeOnceAsync(request, keepBody, cancellationToken);
        }
        catch (IOException) when (reused && _closedBeforeAnswer && !cancellationToken.IsCancellationRequested)
        {
            return await ExchangeOnceAsync(request, keepBody, cancellationToken);
        }
    }

    private async ValueTask<Reply> ExchangeOnceAsync(ReadOnlyMemory<byte> request, bool keepBody, CancellationToken cancellationToken)
    {
        _closedBeforeAnswer = false;
        if (_socket is null)
        {
            var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(_endPoint, cancellationToken);
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
                var sent = await _socket.SendAsync(request, SocketFlags.None, cancellationToken);
                request = request[sent..];
            }

            int headerLength;
            while ((headerLength = _buffer.AsSpan(_start, _end - _start).IndexOf(HeaderEnd)) < 0)
            {
                await ReceiveAsync(cancellationToken);
            }

            var (status, rsc, contentLength, close) = ParseHead(_buffer.AsSpan(_start, headerLength));
            var total = headerLength + HeaderEnd.Length + contentLength;
            while (_end - _start < total)
            {
                await ReceiveAsync(cancellationToken);
            }

            var body = keepBody && contentLength > 0
                ? Encoding.UTF8.GetString(_buffer, _start + headerLength + HeaderEnd.Length, contentLength)
                : null;
            _start += total;
            if (_start == _end)
            {
                _start = _end = 0;
            }

            if (close)
            {
                Close();
            }

            return new Reply(status, rsc, body);
        }
        catch
        {
            // A failed or timed-out exchange leaves the stream at an unknown position: never reuse it.
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

    private async ValueTask ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_end == _buffer.Length)
        {
            var live = _end - _start;
            var target = live > _buffer.Length / 2 ? new byte[_buffer.Length * 2] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, live);
            _buffer = target;
            _start = 0;
            _end = live;
        }

        var read = await _socket!.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
        if (read == 0)
        {
            _closedBeforeAnswer = _start == _end;
            throw new IOException("the server closed the connection");
        }

        _end += read;
    }

    /// <summary>Status, X-M2M-RSC, Content-Length and whether the server closes, from a response head.</summary>
    internal static (int Status, int Rsc, int ContentLength, bool Close) ParseHead(ReadOnlySpan<byte> head)
    {
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8))
        {
            throw new IOException("not an HTTP/1.x response");
        }

        var status = ParseInt(head.Slice(9, 3));
        var rsc = 0;
        var contentLength = -1;
        var close = false;
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
            if (colon <= 0)
            {
                continue;
            }

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
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                close = Ascii.EqualsIgnoreCase(value, "close"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                throw new IOException("chunked responses are not supported by LoadGen's client");
            }
        }

        // 204/304 and HEAD carry no body; LoadGen never sends HEAD.
        if (contentLength < 0)
        {
            contentLength = status is 204 or 304 ? 0 : throw new IOException("response without Content-Length");
        }

        return (status, rsc, contentLength, close);
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
