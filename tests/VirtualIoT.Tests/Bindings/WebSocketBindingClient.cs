using System.Collections.Concurrent;
using System.Net.WebSockets;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// The WebSocket binding (TS-0020) in one serialization: the subprotocol <c>oneM2M.R2.0.&lt;json|cbor|xml&gt;</c> names
/// it. Sends request primitives on one connection and matches answers by <c>rqi</c>, whatever order they come in;
/// request primitives from the CSE (notifications) and answers without a known <c>rqi</c> are kept in
/// <see cref="Received"/>.
/// </summary>
public sealed class WebSocketBindingClient : IBindingClient
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    private readonly ClientWebSocket _socket;
    private readonly ContentSerialization _serialization;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<TestAnswer>> _waiting = new(StringComparer.Ordinal);
    private readonly List<Dictionary<string, object?>> _received = [];
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<WebSocketReceiveResult> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiveLoop = Task.CompletedTask;

    private WebSocketBindingClient(ClientWebSocket socket, ContentSerialization serialization)
    {
        _socket = socket;
        _serialization = serialization;
    }

    /// <summary>The subprotocol of <paramref name="serialization"/>.</summary>
    public static string Subprotocol(ContentSerialization serialization) => "oneM2M.R2.0." + SerializationFormats.Name(serialization);

    /// <summary>The <c>ws://</c> URI of the binding on the gateway at <paramref name="baseAddress"/>.</summary>
    public static Uri Endpoint(Uri baseAddress) => new(new UriBuilder(baseAddress) { Scheme = "ws" }.Uri, "/ws");

    /// <summary>
    /// Opens a connection offering the subprotocol of <paramref name="serialization"/>, with an <c>Authorization</c>
    /// header when <paramref name="authorization"/> is given.
    /// </summary>
    public static async Task<WebSocketBindingClient> ConnectAsync(Uri baseAddress, ContentSerialization serialization, string? authorization = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(Subprotocol(serialization));
        if (authorization is not null)
        {
            socket.Options.SetRequestHeader("Authorization", authorization);
        }

        using var timeout = new CancellationTokenSource(s_timeout);
        await socket.ConnectAsync(Endpoint(baseAddress), timeout.Token);
        Assert.Equal(Subprotocol(serialization), socket.SubProtocol);
        var client = new WebSocketBindingClient(socket, serialization);
        client._receiveLoop = client.ReceiveLoopAsync();
        return client;
    }

    /// <summary>The close frame the CSE sent, once the connection ended (a failed task when it broke without one).</summary>
    public Task<WebSocketReceiveResult> Closed => _closed.Task;

    /// <summary>The connection's close status and description, once closed.</summary>
    public (WebSocketCloseStatus? Status, string? Description) CloseReason => (_socket.CloseStatus, _socket.CloseStatusDescription);

    public async Task<TestAnswer> SendAsync(TestPrimitive request)
    {
        var requestId = TestPayloads.NewRequestId();
        return await SendPrimitiveAsync(TestPayloads.ToPrimitive(request, requestId), requestId);
    }

    /// <summary>Sends <paramref name="primitive"/> (a request primitive's tree) and waits for the answer with <paramref name="requestId"/>.</summary>
    public async Task<TestAnswer> SendPrimitiveAsync(Dictionary<string, object?> primitive, string requestId)
    {
        var answer = Expect(requestId);
        await SendRawAsync(Representation.PrimitiveToArray(_serialization, primitive, request: true));
        return await answer;
    }

    /// <summary>Arms the wait for the answer with <paramref name="requestId"/> (before sending it).</summary>
    public Task<TestAnswer> Expect(string requestId)
    {
        var waiter = new TaskCompletionSource<TestAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[requestId] = waiter;
        return waiter.Task.WaitAsync(s_timeout);
    }

    /// <summary>Sends <paramref name="payload"/> as one message: binary for CBOR, text otherwise (or as <paramref name="type"/> says).</summary>
    public async Task SendRawAsync(byte[] payload, WebSocketMessageType? type = null)
    {
        await _sendLock.WaitAsync();
        try
        {
            using var timeout = new CancellationTokenSource(s_timeout);
            await _socket.SendAsync(payload, type ?? (_serialization == ContentSerialization.Cbor ? WebSocketMessageType.Binary : WebSocketMessageType.Text),
                endOfMessage: true, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Answers the CSE's request <paramref name="requestId"/> (a notification) with <paramref name="rsc"/>.</summary>
    public Task AnswerAsync(string requestId, int rsc = 2000) =>
        SendRawAsync(Representation.PrimitiveToArray(_serialization, new Dictionary<string, object?>
        {
            ["rsc"] = (long)rsc,
            ["rqi"] = requestId,
            ["rvi"] = "3",
        }, request: false));

    /// <summary>What came that no request of this client waited for: the CSE's requests, answers without a known rqi.</summary>
    public IReadOnlyList<Dictionary<string, object?>> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Polls <see cref="Received"/> until <paramref name="predicate"/> holds for a message; fails naming <paramref name="what"/>.</summary>
    public async Task<Dictionary<string, object?>> WaitForAsync(Func<Dictionary<string, object?>, bool> predicate, string what)
    {
        var deadline = Deadline.In(s_timeout);
        while (true)
        {
            if (Received.FirstOrDefault(predicate) is { } found)
            {
                return found;
            }

            Assert.False(deadline.Passed, $"no {what} within {s_timeout.TotalSeconds} s; received: {string.Join(" ", Received.Select(r => TestAnswer.Describe(r)))}");
            await Task.Delay(20);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, _closing.Token);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult(result);
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }

                    return;
                }

                Assert.Equal(_serialization == ContentSerialization.Cbor ? WebSocketMessageType.Binary : WebSocketMessageType.Text, result.MessageType);
                var primitive = TestPayloads.DecodePrimitive(_serialization, message.ToArray());
                if (_serialization == ContentSerialization.Xml && primitive.GetValueOrDefault(Representation.XmlRequestRoot) is Dictionary<string, object?> request)
                {
                    // A request primitive from the CSE (a notification).
                    primitive = request;
                }

                var isAnswer = !primitive.ContainsKey("op");
                if (isAnswer && primitive.GetValueOrDefault("rqi") is string rqi && _waiting.TryRemove(rqi, out var waiter))
                {
                    waiter.TrySetResult(TestPayloads.FromPrimitive(primitive));
                    continue;
                }

                lock (_received)
                {
                    _received.Add(primitive);
                }
            }
        }
        catch (Exception exception)
        {
            _closed.TrySetException(exception);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(s_timeout);
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (WebSocketException)
            {
                // The server went first.
            }
        }

        await _closing.CancelAsync();
        try
        {
            await _receiveLoop;
        }
        catch (OperationCanceledException)
        {
        }

        _socket.Dispose();
        _closing.Dispose();
        _sendLock.Dispose();
    }
}
