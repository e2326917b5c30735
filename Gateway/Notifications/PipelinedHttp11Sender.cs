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
/// (<see cref="NotificationOptions.Http11Pipelining"/>): the requests to one receiver go over a few connections, and
/// those that wait while a connection writes are written together in its next system call; the receiver answers them
/// in order on the connection. A connection's first request goes alone, and requests are pipelined only after the
/// receiver answered it with its <c>X-M2M-RI</c>; from then on each answer must carry the identifier of the request it
/// answers. Some receivers (.NET's managed <c>HttpListener</c> among them) drop what follows a request in the same read:
/// an answer carrying a later request's identifier shows it, and the requests skipped were never seen.
/// A receiver that drops requests, closes a connection with requests unanswered, answers HTTP/1.0, asks to close,
/// answers in a way this reader does not take (no length, no <c>X-M2M-RI</c>) or leaves a request unanswered past its
/// bound is not pipelined for <see cref="RefusedMemory"/>: its connections take no more requests and end once answered
/// (<see cref="Connection.Drain"/>), and the requests left unanswered are reported as <see cref="Outcome.NotSent"/>:
/// the caller sends each again over its regular client (so a receiver that took a request but lost the connection
/// before its answer may see it twice, with the same request identifier, as after any lost answer).
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

    /// <summary>
    /// Sends one request (its <paramref name="head"/> from <see cref="Head"/>, carrying <paramref name="requestId"/> as
    /// <c>X-M2M-RI</c>, then <paramref name="body"/>) and waits for its answer.
    /// </summary>
    public async Task<(Outcome Outcome, NotificationAnswer? Answer)> SendAsync(Uri target, string requestId, byte[] head, byte[] body,
        CancellationToken cancellationToken)
    {
        var exchange = new Exchange(requestId, head, body);
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
        if (connection is { IsUsable: true })
        {
            return connection;
        }

        var fresh = new Connection(this, target.DnsSafeHost, target.Port, target.Authority);
        var known = Interlocked.CompareExchange(ref connections[slot], fresh, connection);
        if (known != connection)
        {
            fresh.Abort();
            return known is { IsUsable: true } ? known : fresh;
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

        // Its other connections take no more requests and end once they are answered.
        if (_receivers.TryGetValue(authority, out var connections))
        {
            for (var i = 0; i < connections.Length; i++)
            {
                Volatile.Read(ref connections[i])?.Drain();
            }
        }
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

    private sealed class Exchange(string requestId, byte[] head, byte[] body)
        : TaskCompletionSource<(Outcome, NotificationAnswer?)>(TaskCreationOptions.None)
    {
        public string RequestId { get; } = requestId;

        public byte[] RequestHead { get; } = head;

        public byte[] Body { get; } = body;
    }

    /// <summary>
    /// One connection: a writer that writes what is queued in one system call, a reader that answers in order. Its first
    /// request goes alone; only once the receiver answered it with its <c>X-M2M-RI</c> (TS-0009 makes it mandatory in a
    /// response) are requests pipelined, and then each answer must carry the identifier of the request it answers.
    /// </summary>
    private sealed class Connection(PipelinedHttp11Sender owner, string host, int port, string authority)
    {
        private readonly Channel<Exchange> _queued = Channel.CreateUnbounded<Exchange>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Queue<Exchange> _awaiting = new();
        private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        private readonly TaskCompletionSource _firstAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _broken;
        private volatile bool _gaveUp;
        private volatile bool _verified;
        private volatile bool _draining;

        public bool IsBroken => _broken;

        /// <summary>Whether it takes new requests: not broken, and not ending (<see cref="Drain"/>).</summary>
        public bool IsUsable => !_broken && !_draining;

        private long _lastUsed = Environment.TickCount64;

        public bool TryQueue(Exchange exchange)
        {
            Volatile.Write(ref _lastUsed, Environment.TickCount64);
            return IsUsable && _queued.Writer.TryWrite(exchange);
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

        /// <summary>
        /// Ends the connection without losing an answer: nothing more is written (what waits to be is not sent), the
        /// sending side is shut once the writer stops, and the answers still coming are read until the receiver closes.
        /// </summary>
        public void Drain()
        {
            List<Exchange> left = [];
            lock (_awaiting)
            {
                if (_draining)
                {
                    return;
                }

                _draining = true;
                _queued.Writer.TryComplete();
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
                        // One request until the receiver showed that its answers say which request they answer.
                        var most = _verified ? MaxPerWrite : 1;
                        while (!_draining && count < most && _queued.Reader.TryRead(out var exchange))
                        {
                            buffer.Write(exchange.RequestHead);
                            buffer.Write(exchange.Body);
                            _awaiting.Enqueue(exchange);
                            count++;
                        }
                    }

                    if (count == 0)
                    {
                        break; // draining
                    }

                    await _socket.SendAsync(buffer.WrittenMemory, SocketFlags.None).ConfigureAwait(false);
                    if (!_verified)
                    {
                        await Task.WhenAny(_firstAnswered.Task, reading).ConfigureAwait(false);
                    }

                    if (reading.IsCompleted || !_verified)
                    {
                        break;
                    }
                }

                if (!reading.IsCompleted)
                {
                    // Draining: the receiver answers what it has and closes; what it never answers is sent again.
                    _socket.Shutdown(SocketShutdown.Send);
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

        // Answers the requests in order; true (and the receiver is refused) when it does not take pipelined requests (it
        // closes, answers HTTP/1.0, asks to close, sends a body without a length, or answers without saying which request
        // it answers).
        private async Task<bool> ReadAsync()
        {
            var refused = await ReadAnswersAsync().ConfigureAwait(false);
            if (refused)
            {
                owner.Refuse(authority);
            }

            return refused;
        }

        private async Task<bool> ReadAnswersAsync()
        {
            var buffer = new byte[16 * 1024];
            var filled = 0;
            var refused = false;
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
                            return refused || _awaiting.Count > 0 || _queued.Reader.Count > 0;
                        }
                    }

                    filled += read;
                    var start = 0;
                    while (true)
                    {
                        var parsed = Http11Responses.Parse(buffer.AsSpan(start, filled - start), MaxResponseBytes, out var consumed, out var status,
                            out var close, out var requestId);
                        if (parsed == Http11Responses.Parsed.Invalid)
                        {
                            return true;
                        }

                        if (parsed == Http11Responses.Parsed.NeedMore)
                        {
                            break;
                        }

                        if (parsed == Http11Responses.Parsed.Interim)
                        {
                            start += consumed;
                            continue;
                        }

                        var answer = Take(requestId.Length < 0 ? default : buffer.AsSpan(start + requestId.Start, requestId.Length), requestId.Length >= 0);
                        start += consumed;
                        if (answer.Exchange is null && answer.Skipped.Count == 0 && !answer.Refuse)
                        {
                            return true; // an answer to no request
                        }

                        foreach (var skipped in answer.Skipped)
                        {
                            skipped.TrySetResult((Outcome.NotSent, null));
                        }

                        answer.Exchange?.TrySetResult((Outcome.Answered, new NotificationAnswer(status)));
                        if (close)
                        {
                            return true;
                        }

                        if (answer.Refuse && !refused)
                        {
                            // Pipelining to this receiver loses requests: it is sent one at a time from now on, and its
                            // connections end once they are answered.
                            refused = true;
                            owner.Refuse(authority);
                            Drain();
                            if (!_verified)
                            {
                                return true; // only the first request was written, and it is answered
                            }
                        }

                        if (!_verified)
                        {
                            _verified = true;
                            _firstAnswered.TrySetResult();
                        }
                    }

                    Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                }
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                return refused;
            }
            finally
            {
                _firstAnswered.TrySetResult();
                Abort();
            }
        }

        // The request an answer is for. The first answer on the connection is its first request's (the only one written);
        // it must carry that request's identifier for requests to be pipelined. After that an answer must carry the
        // identifier of the oldest request unanswered: one that carries a later one's means the receiver dropped those
        // before it (never seen: they go again one at a time), and one that carries none cannot be placed.
        private (Exchange? Exchange, List<Exchange> Skipped, bool Refuse) Take(ReadOnlySpan<byte> requestId, bool hasRequestId)
        {
            List<Exchange> skipped = [];
            lock (_awaiting)
            {
                if (!_awaiting.TryPeek(out var oldest))
                {
                    return (null, skipped, false);
                }

                var matches = hasRequestId && Ascii.Equals(requestId, oldest.RequestId);
                if (!_verified || matches)
                {
                    _awaiting.Dequeue();
                    return (oldest, skipped, !matches);
                }

                var known = false;
                foreach (var waiting in _awaiting)
                {
                    known |= hasRequestId && Ascii.Equals(requestId, waiting.RequestId);
                }

                if (!known)
                {
                    return (null, skipped, true);
                }

                while (_awaiting.TryDequeue(out var waiting))
                {
                    if (Ascii.Equals(requestId, waiting.RequestId))
                    {
                        return (waiting, skipped, true);
                    }

                    skipped.Add(waiting);
                }

                return (null, skipped, true);
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
