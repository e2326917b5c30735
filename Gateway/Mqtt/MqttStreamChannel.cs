using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Channel;
using MQTTnet.Exceptions;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// One broker connection's byte stream (TCP, or TLS over it) under MQTTnet's packet adapter, read and written
/// through pooled buffers so that a request costs the kernel fewer calls. MQTTnet reads a packet as a read of two
/// bytes, one read per further length byte and one of the body: three receive calls for most request primitives.
/// Here one receive fills a buffer those reads are served from. And MQTTnet's send loop writes each queued packet on
/// its own (an answer's PUBLISH as two writes, header and payload, and the request's PUBACK as a third), each a
/// send; here a packet's bytes are kept and sent two thread-pool turns later, together with whatever the send loop
/// wrote in the meantime, in one send: the PUBACK and the answer usually leave together.
/// No buffer is held while the connection waits: a read first waits for data with a zero-byte read (as Kestrel's
/// sockets do), and the write buffer goes back to the pool once sent, so an idle connection costs no more than
/// with MQTTnet's own channel. A written packet is handed to the kernel before the channel closes
/// (<see cref="DisconnectAsync"/>, which MQTTnet calls at every connection's end); a failed send closes the
/// connection, and the next write reports the failure.
/// </summary>
internal sealed class MqttStreamChannel : IMqttChannel, IThreadPoolWorkItem
{
    // A receive takes what has arrived, up to this; bodies at least this large are read straight into MQTTnet's array.
    private const int ReadBufferSize = 4096;

    // Past this many unsent bytes a writer waits until the send in progress has taken them (back-pressure).
    private const int MaxPendingBytes = 64 * 1024;

    // How long a closing connection may take to send what it was given (a DISCONNECT or refused CONNACK, say).
    private static readonly TimeSpan CloseFlushTimeout = TimeSpan.FromSeconds(5);

    private readonly Stream _stream;

    // Read side: used by MQTTnet's receive loop only, one read at a time.
    private byte[]? _readBuffer;
    private int _readStart;
    private int _readEnd;

    // Write side, under _writeGate: bytes written and not yet taken by a send, and the state of the flush.
    private readonly Lock _writeGate = new();
    private byte[]? _pending;
    private int _pendingLength;
    private bool _flushScheduled;
    private bool _secondTurn;
    private bool _closed;
    private Exception? _writeError;
    private TaskCompletionSource? _taken;
    private TaskCompletionSource? _idle;

    /// <summary>A channel over an accepted connection's stream (a <see cref="NetworkStream"/> or an authenticated <see cref="SslStream"/>).</summary>
    public MqttStreamChannel(Stream stream, EndPoint? localEndPoint, EndPoint? remoteEndPoint, X509Certificate2? clientCertificate)
    {
        _stream = stream;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
        ClientCertificate = clientCertificate;
        IsSecureConnection = stream is SslStream;
    }

    /// <inheritdoc/>
    public X509Certificate2? ClientCertificate { get; }

    /// <inheritdoc/>
    public EndPoint? RemoteEndPoint { get; }

    /// <inheritdoc/>
    public EndPoint? LocalEndPoint { get; }

    /// <inheritdoc/>
    public bool IsSecureConnection { get; }

    /// <summary>Accepted connections are connected already.</summary>
    public Task ConnectAsync(CancellationToken cancellationToken) => throw new NotSupportedException("a broker's channel is accepted, not connected");

    /// <inheritdoc/>
    public async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        try
        {
            if (_readStart == _readEnd)
            {
                if (count >= ReadBufferSize)
                {
                    return await _stream.ReadAsync(buffer.AsMemory(offset, count), cancellationToken);
                }

                // Waits for data without a buffer (an idle connection holds none), then takes what has arrived.
                _ = await _stream.ReadAsync(Memory<byte>.Empty, cancellationToken);
                _readBuffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
                _readStart = 0;
                _readEnd = await _stream.ReadAsync(_readBuffer.AsMemory(0, ReadBufferSize), cancellationToken);
                if (_readEnd == 0)
                {
                    ReturnReadBuffer();
                    return 0;
                }
            }

            var length = Math.Min(count, _readEnd - _readStart);
            _readBuffer.AsSpan(_readStart, length).CopyTo(buffer.AsSpan(offset, length));
            _readStart += length;
            if (_readStart == _readEnd)
            {
                ReturnReadBuffer();
            }

            return length;
        }
        catch (ObjectDisposedException)
        {
            // Closed while reading: the end of the connection, as MQTTnet's own channel reports it.
            ReturnReadBuffer();
            return 0;
        }
        catch (IOException exception) when (exception.InnerException is SocketException socketException)
        {
            ReturnReadBuffer();
            ExceptionDispatchInfo.Throw(socketException);
            throw;
        }
        catch
        {
            ReturnReadBuffer();
            throw;
        }
    }

    private void ReturnReadBuffer()
    {
        if (_readBuffer is { } readBuffer)
        {
            _readBuffer = null;
            _readStart = _readEnd = 0;
            ArrayPool<byte>.Shared.Return(readBuffer);
        }
    }

    /// <summary>
    /// Keeps the bytes to send with the next flush, scheduled once a whole packet is written; completes at once
    /// unless too much is waiting. A failed send before fails this write.
    /// </summary>
    public Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken)
    {
        Task? wait = null;
        var schedule = false;
        lock (_writeGate)
        {
            if (_writeError is not null || _closed)
            {
                return Task.FromException(new MqttCommunicationException("The connection is closed.", _writeError));
            }

            var length = (int)buffer.Length;
            if (_pending is null || _pending.Length - _pendingLength < length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(ReadBufferSize, _pendingLength + length));
                if (_pending is { } old)
                {
                    old.AsSpan(0, _pendingLength).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(old);
                }

                _pending = larger;
            }

            buffer.CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += length;
            if (isEndOfPacket)
            {
                schedule = !_flushScheduled;
                _flushScheduled = true;
                if (_pendingLength >= MaxPendingBytes)
                {
                    wait = (_taken ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
            }
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return wait ?? Task.CompletedTask;
    }

    // The flush, two thread-pool turns after the first packet: MQTTnet's send loop yields to the pool after each
    // packet, so its next queued packet (the answer after a PUBACK, or the PUBACK after the answer) is written by
    // the time the second turn runs, and both leave in one send.
    void IThreadPoolWorkItem.Execute()
    {
        if (!_secondTurn)
        {
            _secondTurn = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            return;
        }

        _secondTurn = false;
        _ = FlushAsync();
    }

    private async Task FlushAsync()
    {
        byte[]? batch = null;
        TaskCompletionSource? taken;
        while (true)
        {
            int length;
            lock (_writeGate)
            {
                if (batch is not null)
                {
                    ArrayPool<byte>.Shared.Return(batch);
                    batch = null;
                }

                taken = _taken;
                _taken = null;
                if (_pendingLength == 0 || _closed || _writeError is not null)
                {
                    // Nothing left (or no connection left): the buffer goes back to the pool until the next packet.
                    _flushScheduled = false;
                    if (_pending is { } pending)
                    {
                        _pending = null;
                        _pendingLength = 0;
                        ArrayPool<byte>.Shared.Return(pending);
                    }

                    var idle = _idle;
                    _idle = null;
                    idle?.TrySetResult();
                    break;
                }

                batch = _pending!;
                length = _pendingLength;
                _pending = null;
                _pendingLength = 0;
            }

            taken?.TrySetResult();
            try
            {
                await _stream.WriteAsync(batch.AsMemory(0, length));
            }
            catch (Exception exception)
            {
                lock (_writeGate)
                {
                    _writeError = exception;
                }

                // The peer is gone or the connection broke: closing it ends MQTTnet's receive loop too.
                Abort();
            }
        }

        // Writers that waited for room: free to go on, or told the connection is gone.
        if (Volatile.Read(ref _writeError) is { } error)
        {
            taken?.TrySetException(new MqttCommunicationException("The connection is closed.", error));
        }
        else
        {
            taken?.TrySetResult();
        }
    }

    /// <summary>Sends what was written (at most for a few seconds), then closes the connection.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        Task? idle = null;
        lock (_writeGate)
        {
            if (_flushScheduled && _writeError is null && !_closed)
            {
                idle = (_idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }

        if (idle is not null)
        {
            try
            {
                await idle.WaitAsync(CloseFlushTimeout, cancellationToken);
            }
            catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
            {
                // The peer does not take what is left: it is dropped with the connection.
            }
        }

        Dispose();
    }

    private void Abort()
    {
        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
            // Closing a broken connection may report the break again.
        }
    }

    /// <summary>Closes the connection at once; what is not sent yet is dropped.</summary>
    public void Dispose()
    {
        lock (_writeGate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
        }

        // A send in progress fails with the stream, and its flush ends.
        Abort();
    }
}
