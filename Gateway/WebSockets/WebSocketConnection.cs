using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Gateway.Notifications;
using VirtualIoT.Gateway.Operations;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.WebSockets;

/// <summary>
/// One accepted WebSocket connection of the oneM2M binding. Its receive loop reads whole messages (bounded by
/// <see cref="GatewayOptions.MaxBodyBytes"/>; a larger one closes the connection with 1009 "message too big") and
/// hands each request primitive to a task of its own, up to <see cref="WebSocketBindingOptions.MaxRequestsInFlight"/>
/// at once, so answers leave as requests complete, in any order; clients match them by <c>rqi</c>. A message that
/// answers a notification this connection carried goes to the notifier instead. Sends are one at a time, as
/// <see cref="WebSocket"/> requires: text frames for JSON and XML, binary frames for CBOR.
/// </summary>
internal sealed partial class WebSocketConnection
{
    private const string Protocol = "ws";
    private const int InitialBufferBytes = 4096;
    private static readonly TimeSpan s_closeGrace = TimeSpan.FromSeconds(5);

    private readonly WebSocketGateway _gateway;
    private readonly WebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly SemaphoreSlim _slots;
    private readonly int _maxRequestsInFlight;

    // Notifications sent on this connection whose answer may still come: rqi → AE-ID and when to stop waiting.
    private readonly ConcurrentDictionary<string, (string AeId, long Until)> _awaiting = new(StringComparer.Ordinal);

    public WebSocketConnection(WebSocketGateway gateway, WebSocket socket, string id, ContentSerialization serialization, string? authenticatedAs,
        int maxRequestsInFlight)
    {
        _gateway = gateway;
        _socket = socket;
        Id = id;
        Serialization = serialization;
        AuthenticatedAs = authenticatedAs;
        _maxRequestsInFlight = maxRequestsInFlight;
        _slots = new SemaphoreSlim(maxRequestsInFlight, maxRequestsInFlight);
    }

    /// <summary>The binding's ID of this connection, its key in the originator registry.</summary>
    public string Id { get; }

    /// <summary>The serialization the subprotocol named.</summary>
    public ContentSerialization Serialization { get; }

    /// <summary>The originator the handshake's credentials proved, when authentication is required.</summary>
    public string? AuthenticatedAs { get; }

    /// <summary>The originators this connection claimed (registered or used first).</summary>
    public IReadOnlyList<string> Claimed
    {
        get
        {
            lock (_claimed)
            {
                return [.. _claimed];
            }
        }
    }

    private readonly List<string> _claimed = [];

    /// <summary>Records that this connection holds <paramref name="originator"/>.</summary>
    public void Claim(string originator)
    {
        lock (_claimed)
        {
            if (!_claimed.Contains(originator))
            {
                _claimed.Add(originator);
            }
        }
    }

    private WebSocketMessageType FrameType => Serialization == ContentSerialization.Cbor ? WebSocketMessageType.Binary : WebSocketMessageType.Text;

    /// <summary>
    /// Reads messages until the client closes, the connection breaks or <paramref name="stopping"/> fires, then waits
    /// for the requests still in flight (which <paramref name="stopping"/> or the end of the connection cancels).
    /// </summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        try
        {
            await ReceiveLoopAsync(ended.Token);
        }
        finally
        {
            await ended.CancelAsync();

            // Every slot back: no request of this connection still runs (or sends) once the socket goes.
            for (var i = 0; i < _maxRequestsInFlight; i++)
            {
                await _slots.WaitAsync(CancellationToken.None);
            }
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var maxBytes = _gateway.MaxMessageBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult received;
                do
                {
                    // One byte beyond the limit is read, so that a message of exactly the limit is told from a larger one.
                    var capacity = Math.Min(buffer.Length, maxBytes + 1);
                    if (length == capacity)
                    {
                        if (capacity > maxBytes)
                        {
                            await RefuseTooBigAsync(buffer, maxBytes, cancellationToken);
                            return;
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                        capacity = Math.Min(buffer.Length, maxBytes + 1);
                    }

                    received = await _socket.ReceiveAsync(buffer.AsMemory(length, capacity - length), cancellationToken);
                    length += received.Count;
                }
                while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    Log.Closed(_gateway.Logger, Id, _socket.CloseStatus?.ToString() ?? "no status", _socket.CloseStatusDescription);

                    // Released before the close is confirmed: once the client sees it, a new connection may take over.
                    await _gateway.ReleaseAsync(this);
                    await CloseAsync(WebSocketCloseStatus.NormalClosure, "", cancellationToken);
                    return;
                }

                if (length > maxBytes)
                {
                    await RefuseTooBigAsync(buffer, maxBytes, cancellationToken);
                    return;
                }

                var payload = new ReadOnlySequence<byte>(buffer, 0, length);
                if (!_awaiting.IsEmpty && TryAnswerNotification(payload))
                {
                    continue;
                }

                // The request is parsed from its own copy, so the next message can be read meanwhile.
                await _slots.WaitAsync(cancellationToken);
                var message = ArrayPool<byte>.Shared.Rent(length);
                buffer.AsSpan(0, length).CopyTo(message);
                _ = HandleRequestAsync(message, length, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            // The client went away without a close handshake, or the gateway stops.
            Log.Closed(_gateway.Logger, Id, exception is OperationCanceledException ? "gateway stopping" : "broken", exception.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // A response primitive to a notification this connection carried: handed to the notifier.
    private bool TryAnswerNotification(in ReadOnlySequence<byte> payload)
    {
        if (!NotificationResponses.TryRead(payload, Serialization, out var requestId, out var status, out _) || status is null
            || !_awaiting.TryRemove(requestId, out var waiting))
        {
            return false;
        }

        _gateway.Notifier?.Answer(waiting.AeId, payload, Serialization);
        return true;
    }

    private async Task HandleRequestAsync(byte[] message, int length, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            await AnswerAsync(message, length, cancellationToken);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Only sending can fail here (the pipeline answers 5000 itself): the connection is gone.
            Log.SendFailed(_gateway.Logger, Id, exception.GetType().Name);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task AnswerAsync(byte[] message, int length, CancellationToken cancellationToken)
    {
        var metrics = _gateway.Metrics;
        var startTimestamp = metrics.Enabled ? Stopwatch.GetTimestamp() : 0;
        MqttRequest parsed;
        try
        {
            parsed = MqttRequestParser.Parse(new ReadOnlySequence<byte>(message, 0, length), null, _gateway.Cse, Serialization);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }

        var dispatcher = _gateway.Dispatcher;
        (parsed, var timing) = PrimitiveExchange.WithTiming(dispatcher, parsed);
        var request = parsed.Request;
        var requestIdentifier = parsed.RequestIdentifier ?? "";
        using var activity = GatewayTelemetry.StartRequest(Protocol, requestIdentifier, request?.Originator ?? parsed.From ?? "");
        using var logScope = _gateway.Metrics.BeginRequestScope(_gateway.Logger, requestIdentifier);
        var refusal = request is null ? null : await _gateway.AdmitAsync(this, request);
        var response = await PrimitiveExchange.ExecuteAsync(dispatcher, parsed, timing, refusal, _gateway.Origin, _gateway.Logger, Protocol, Id, cancellationToken);
        if (PrimitiveExchange.RegisteredAeId(request, response) is { } aeId)
        {
            // Before the response: the AE may subscribe as soon as it has it.
            await _gateway.ClaimAsync(this, aeId);
        }

        if (response.StatusCode.IsError())
        {
            Log.RequestFailed(_gateway.Logger, Id, requestIdentifier, (int)response.StatusCode, response.Message);
        }

        if (!parsed.NoResponse)
        {
            // Without a readable rqi the answer carries none (as ACME answers it): the client learns why, if not which.
            var bytes = MqttResponseWriter.Write(response, requestIdentifier, parsed.ReleaseVersion, parsed.From, _gateway.Cse.CseId,
                parsed.VendorInformation, Serialization);
            await SendAsync(bytes, cancellationToken);
        }

        PrimitiveExchange.Complete(metrics, Protocol, activity, request, response, startTimestamp);
    }

    /// <summary>
    /// Sends <paramref name="notification"/> as a request primitive in this connection's serialization and expects its
    /// answer for the notification's timeout. False when the connection is gone.
    /// </summary>
    public async Task<bool> SendNotificationAsync(MqttNotification notification, string cseId)
    {
        var now = Environment.TickCount64;
        if (_awaiting.Count >= _maxRequestsInFlight * 4)
        {
            // Answers that never came: dropped once their notification stopped waiting.
            foreach (var (requestId, waiting) in _awaiting)
            {
                if (waiting.Until < now)
                {
                    _awaiting.TryRemove(requestId, out _);
                }
            }
        }

        var primitive = Primitives.Notify(notification.To, notification.From ?? cseId, notification.RequestId, notification.Content, notification.EventCategory);
        var bytes = Representation.PrimitiveToArray(Serialization, primitive, request: true);
        _awaiting[notification.RequestId] = (notification.AeId, now + (long)notification.Timeout.TotalMilliseconds);
        try
        {
            await SendAsync(bytes, CancellationToken.None);
            return true;
        }
        catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            _awaiting.TryRemove(notification.RequestId, out _);
            return false;
        }
    }

    private async Task SendAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(bytes, FrameType, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    // A message over the limit cannot be read, so not answered either: close with 1009 (RFC 6455 7.4.1) and the limit,
    // then read on (discarding) until the client confirms, so that it gets the close frame rather than a reset.
    private async Task RefuseTooBigAsync(byte[] buffer, int maxBytes, CancellationToken cancellationToken)
    {
        await CloseAsync(WebSocketCloseStatus.MessageTooBig, string.Create(CultureInfo.InvariantCulture, $"message exceeds {maxBytes} bytes"),
            cancellationToken);
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(s_closeGrace);
        while ((await _socket.ReceiveAsync(buffer.AsMemory(), grace.Token)).MessageType != WebSocketMessageType.Close)
        {
        }
    }

    /// <summary>Sends the close frame with <paramref name="status"/> and <paramref name="reason"/> unless the connection is closing already.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason, CancellationToken cancellationToken)
    {
        if (status != WebSocketCloseStatus.NormalClosure)
        {
            Log.Closing(_gateway.Logger, Id, status.ToString(), reason);
        }

        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(status, reason, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            // Gone already.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3402, Level = LogLevel.Debug, Message = "WebSocket request {RequestIdentifier} on connection {ConnectionId} answered {ResponseStatusCode}: {Reason}")]
        public static partial void RequestFailed(ILogger logger, string connectionId, string requestIdentifier, int responseStatusCode, string? reason);

        [LoggerMessage(EventId = 3403, Level = LogLevel.Debug, Message = "WebSocket connection {ConnectionId} ended ({Status}): {Description}")]
        public static partial void Closed(ILogger logger, string connectionId, string status, string? description);

        [LoggerMessage(EventId = 3404, Level = LogLevel.Debug, Message = "WebSocket connection {ConnectionId} closed by the CSE ({Status}): {Reason}")]
        public static partial void Closing(ILogger logger, string connectionId, string status, string reason);

        [LoggerMessage(EventId = 3405, Level = LogLevel.Debug, Message = "WebSocket connection {ConnectionId}: an answer could not be sent ({Exception})")]
        public static partial void SendFailed(ILogger logger, string connectionId, string exception);
    }
}
