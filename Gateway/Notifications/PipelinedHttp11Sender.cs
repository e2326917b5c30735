using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using VirtualIoT.Gateway.Http;

namespace VirtualIoT.Gateway.Notifications;

/// <summary>
/// HTTP/1.1 pipelining (RFC 9112 9.3.2) of notification requests to plain <c>http</c> receivers
/// (<see cref="NotificationOptions.Http11Pipelining"/>, opt-in): the requests to one receiver go over a few connections, and
/// those that wait while a connection writes are written together in its next system call; the receiver answers them
/// in order on the connection. A receiver that closes a connection with requests unanswered, answers HTTP/1.0, asks to
/// close, answers in a way this reader does not take (no length) or leaves a request unanswered past its bound is not
/// pipelined for <see cref="RefusedMemory"/>,
/// and the requests left unanswered are reported as <see cref="Outcome.NotSent"/>: the caller sends each again over
/// its regular client (so a receiver may see one twice, with the same request identifier, as after any lost answer).
/// </summary>
internal sealed class PipelinedHttp11Sender : IDisposable
{
    /// <summary>Connections per receiver; the requests to one receiver are spread over them.</summary>
    public const int ConnectionsPerReceiver = 4;

    /// <summary>How long a receiver that did not take pipelined requests is sent them one at a time.</summary>
    internal static readonly TimeSpan RefusedMemory = TimeSpan.FromMinutes(10);

    // The most requests written in one system call, and the largest response head and body read.
    private const int MaxPerWrite = 64;
    private const int MaxResponseBytes = OneM2MHttpResponse.MaxContentBytes + 64 * 1024;

    private readonly ConcurrentDictionary<string, Connection?[]> _receivers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, long> _refused = new(StringComparer.OrdinalIgnoreCase);
    private readonly Timer _sweep;
    private int _next;
    private bool _disposed;

    /// <summary>A connection idle this long is closed (swept every half of it), as the regular client's pool does.</summary>
    internal static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(1);

    public PipelinedHttp11Sender() =>
        _sweep = new Timer(static state => ((PipelinedHttp11Sender)state!).Sweep(), this, IdleTimeout / 2, IdleTimeout / 2);

    // Closes the connections idle for IdleTimeout and forgets receivers left without one.
    internal void Sweep()
    {
        var idleSince = Environment.TickCount64 - (long)IdleTimeout.TotalMilliseconds;
        foreach (var (authority, connections) in _receivers)
        {
            var open = 0;
            for (var i = 0; i < connections.Length; i++)
            {
                if (Volatile.Read(ref connections[i]) is not { } connection)
                {
                    continue;
                }

                if (connection.IsBroken || connection.IdleSince(idleSince))
                {
                    Interlocked.CompareExchange(ref connections[i], null, connection);
                    connection.Abort();
                }
                else
                {
                    open++;
                }
            }

            if (open == 0)
            {
                _receivers.TryRemove(new KeyValuePair<string, Connection?[]>(authority, connections));
            }
        }
    }

    /// <summary>What became of a pipelined request.</summary>
    public enum Outcome
    {
        /// <summary>The receiver answered (the status is in the answer).</summary>
        Answered,

        /// <summary>The connection broke or the receiver does not pipeline before an answer: send it again one at a time.</summary>
        NotSent,

        /// <summary>No answer within the caller's bound.</summary>
        TimedOut,
    }

    /// <summary>Whether requests to <paramref name="target"/> go pipelined: a plain <c>http</c> receiver not known to refuse it.</summary>
    public bool Pipelines(Uri target)
    {
        if (target.Scheme != Uri.UriSchemeHttp || _disposed)
        {
            return false;
        }

        if (!_refused.TryGetValue(target.Authority, out var until))
        {
            return true;
        }

        if (Environment.TickCount64 < until)
        {
            return false;
        }

        _refused.TryRemove(target.Authority, out _);
        return true;
    }

    /// <summary>
    /// The request's head (request line and header fields, without the blank line that ends them) for a POST of
    /// <paramref name="bodyLength"/> bytes, or null when a header value cannot be written as is (it then goes through the
    /// regular client, which checks it).
    /// </summary>
    public static byte[]? Head(Uri target, int bodyLength, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var text = new StringBuilder(256);
        text.Append("POST ").Append(target.PathAndQuery).Append(" HTTP/1.1\r\nHost: ").Append(target.Authority)
            .Append("\r\nContent-Length: ").Append(bodyLength);
        foreach (var (name, value) in headers)
        {
            foreach (var c in value)
            {
                if (c is < ' ' or > '~')
                {
                    return null;
                }
            }

            text.Append("\r\n").Append(name).Append(": ").Append(value);
        }

        return Encoding.ASCII.GetBytes(text.Append("\r\n\r\n").ToString());
    }

    /// <summary>Sends one request (its <paramref name="head"/> from <see cref="Head"/>, then <paramref name="body"/>) and waits for its answer.</summary>
    public async Task<(Outcome Outcome, NotificationAnswer? Answer)> SendAsync(Uri target, byte[] head, byte[] body, CancellationToken cancellationToken)
    {
        var exchange = new Exchange(head, body);
        var connection = ConnectionFor(target);
        if (!connection.TryQueue(exchange))
        {
            return (Outcome.NotSent, null);
        }

        // No answer in time: the connection is given up (its other requests go again one at a time) and the receiver is
        // sent one request at a time for a while, in case it is one that takes pipelined requests but never answers them.
        using (cancellationToken.UnsafeRegister(static (state, _) => ((Connection)state!).GiveUp(), connection))
        {
            var (outcome, answer) = await exchange.Task.ConfigureAwait(false);
            return outcome == Outcome.NotSent && cancellationToken.IsCancellationRequested ? (Outcome.TimedOut, null) : (outcome, answer);
        }
    }

    private Connection ConnectionFor(Uri target)
    {
        var connections = _receivers.GetOrAdd(target.Authority, static _ => new Connection?[ConnectionsPerReceiver]);
        var slot = (int)((uint)Interlocked.Increment(ref _next) % ConnectionsPerReceiver);
        var connection = Volatile.Read(ref connections[slot]);
        if (connection is { IsBroken: false })
        {
            return connection;
        }

        var fresh = new Connection(this, target.DnsSafeHost, target.Port, target.Authority);
        var known = Interlocked.CompareExchange(ref connections[slot], fresh, connection);
        if (known != connection)
        {
            fresh.Abort();
            return known is { IsBroken: false } ? known : fresh;
        }

        fresh.Start();
        return fresh;
    }

    private void Refuse(string authority)
    {
        if (_refused.Count >= HttpNotificationSender.MaxKnownTargets)
        {
            _refused.Clear();
        }

        _refused[authority] = Environment.TickCount64 + (long)RefusedMemory.TotalMilliseconds;
    }

    public void Dispose()
    {
        _disposed = true;
        _sweep.Dispose();
        foreach (var connections in _receivers.Values)
        {
            foreach (var connection in connections)
            {
                connection?.Abort();
            }
        }
    }

    private sealed class Exchange(byte[] head, byte[] body)
        : TaskCompletionSource<(Outcome, NotificationAnswer?)>(TaskCreationOptions.None)
    {
        public byte[] RequestHead { get; } = head;

        public byte[] Body { get; } = body;
    }

    /// <summary>One connection: a writer that writes what is queued in one system call, a reader that answers in order.</summary>
    private sealed class Connection(PipelinedHttp11Sender owner, string host, int port, string authority)
    {
        private readonly Channel<Exchange> _queued = Channel.CreateUnbounded<Exchange>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Queue<Exchange> _awaiting = new();
        private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        private volatile bool _broken;
        private volatile bool _gaveUp;

        public bool IsBroken => _broken;

        private long _lastUsed = Environment.TickCount64;

        public bool TryQueue(Exchange exchange)
        {
            Volatile.Write(ref _lastUsed, Environment.TickCount64);
            return !_broken && _queued.Writer.TryWrite(exchange);
        }

        // Not used since the tick count given, and nothing unanswered.
        public bool IdleSince(long tickCount)
        {
            if (Volatile.Read(ref _lastUsed) >= tickCount)
            {
                return false;
            }

            lock (_awaiting)
            {
                return _awaiting.Count == 0 && _queued.Reader.Count == 0;
            }
        }

        public void Start() => _ = RunAsync();

        public void GiveUp()
        {
            _gaveUp = true;
            Abort();
        }

        public void Abort()
        {
            _broken = true;
            _queued.Writer.TryComplete();
            _socket.Dispose();
        }

        private async Task RunAsync()
        {
            var refused = false;
            var connected = false;
            try
            {
                await _socket.ConnectAsync(host, port).ConfigureAwait(false);
                connected = true;
                var reading = ReadAsync();
                var buffer = new ArrayBufferWriter<byte>(16 * 1024);
                while (await _queued.Reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    buffer.ResetWrittenCount();
                    var count = 0;
                    lock (_awaiting)
                    {
                        while (count < MaxPerWrite && _queued.Reader.TryRead(out var exchange))
                        {
                            buffer.Write(exchange.RequestHead);
                            buffer.Write(exchange.Body);
                            _awaiting.Enqueue(exchange);
                            count++;
                        }
                    }

                    await _socket.SendAsync(buffer.WrittenMemory, SocketFlags.None).ConfigureAwait(false);
                    if (reading.IsCompleted)
                    {
                        break;
                    }
                }

                refused = await reading.ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // The connection broke (or never came up: a receiver away is sent one at a time for a while, as the
                // regular client does not wait on a connection that is refused): what is unanswered goes again one at a time.
                refused |= !connected;
            }
            finally
            {
                if (refused || _gaveUp)
                {
                    owner.Refuse(authority);
                }

                Fail();
            }
        }

        // Answers the requests in order; true when the receiver does not take pipelined requests (it closes, answers
        // HTTP/1.0, asks to close, or sends a body without a length).
        private async Task<bool> ReadAsync()
        {
            var buffer = new byte[16 * 1024];
            var filled = 0;
            try
            {
                while (true)
                {
                    if (filled == buffer.Length)
                    {
                        if (buffer.Length >= MaxResponseBytes)
                        {
                            return true;
                        }

                        Array.Resize(ref buffer, Math.Min(buffer.Length * 4, MaxResponseBytes));
                    }

                    var read = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
                    if (read == 0)
                    {
                        lock (_awaiting)
                        {
                            return _awaiting.Count > 0 || _queued.Reader.Count > 0;
                        }
                    }

                    filled += read;
                    var start = 0;
                    while (true)
                    {
                        var parsed = Http11Responses.Parse(buffer.AsSpan(start, filled - start), MaxResponseBytes, out var consumed, out var status, out var close);
                        if (parsed == Http11Responses.Parsed.Invalid)
                        {
                            return true;
                        }

                        if (parsed == Http11Responses.Parsed.NeedMore)
                        {
                            break;
                        }

                        start += consumed;
                        if (parsed == Http11Responses.Parsed.Interim)
                        {
                            continue;
                        }

                        Exchange? answered;
                        lock (_awaiting)
                        {
                            _awaiting.TryDequeue(out answered);
                        }

                        if (answered is null)
                        {
                            return true; // an answer to no request
                        }

                        answered.TrySetResult((Outcome.Answered, new NotificationAnswer(status)));
                        if (close)
                        {
                            return true;
                        }
                    }

                    Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                }
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                return false;
            }
            finally
            {
                Abort();
            }
        }

        // Everything not answered is not sent (as far as this connection knows).
        private void Fail()
        {
            Abort();
            List<Exchange> left;
            lock (_awaiting)
            {
                left = [.. _awaiting];
                _awaiting.Clear();
                while (_queued.Reader.TryRead(out var exchange))
                {
                    left.Add(exchange);
                }
            }

            foreach (var exchange in left)
            {
                exchange.TrySetResult((Outcome.NotSent, null));
            }
        }
    }
}
