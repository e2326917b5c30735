using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Notifications;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.WebSockets;

/// <summary>
/// Sends notification requests to <c>ws://</c> and <c>wss://</c> URLs (an AE's <c>poa</c> or a subscription's
/// <c>nu</c>), where the receiver runs a WebSocket server, as ACME does: one connection per notification, offering the
/// subprotocol of the serialization <see cref="NotificationTarget"/> picks, the notify request primitive as one
/// message, and the receiver's response primitive with the same <c>rqi</c> as the answer. An AE connected to this CSE
/// over WebSocket gets its notifications over that connection instead (<see cref="WebSocketNotifier"/>).
/// </summary>
internal sealed class WebSocketNotificationSender(IOptions<CseOptions> options, IOptions<NotificationOptions> notificationOptions,
    IOptions<GatewayOptions> gatewayOptions) : INotificationSender
{
    private readonly string _cseId = options.Value.CseId;
    private readonly TimeSpan _exchangeTimeout = notificationOptions.Value.SendTimeout;
    private readonly int _maxAnswerBytes = gatewayOptions.Value.MaxBodyBytes;

    public bool CanSend(string url) => url.StartsWith("ws://", StringComparison.OrdinalIgnoreCase)
        || url.StartsWith("wss://", StringComparison.OrdinalIgnoreCase);

    public async Task<NotificationAnswer?> SendAsync(string url, string requestId, Dictionary<string, object?> content, int? eventCategory,
        string? serialization, string? originator, bool readContent, CancellationToken cancellationToken)
    {
        if (!CanSend(url) || !NotificationTarget.TryCreate(url, serialization, out var target))
        {
            return null;
        }

        using var exchange = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        exchange.CancelAfter(_exchangeTimeout);
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(WebSocketSubprotocols.Name(target.Serialization));
        try
        {
            await socket.ConnectAsync(target.Address, exchange.Token);
            var primitive = Primitives.Notify(url, originator ?? _cseId, requestId, content, eventCategory);
            await socket.SendAsync(Representation.PrimitiveToArray(target.Serialization, primitive, request: true),
                target.Serialization == ContentSerialization.Cbor ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true,
                exchange.Token);
            var answer = await ReceiveAnswerAsync(socket, requestId, target.Serialization, exchange.Token);
            if (answer is not null)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", exchange.Token);
            }

            return answer is null ? null : answer with { Content = readContent ? answer.Content : null };
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            return null;
        }
    }

    // Reads messages until the response primitive with requestId; null when the receiver closes first or a message is too large.
    private async Task<NotificationAnswer?> ReceiveAnswerAsync(ClientWebSocket socket, string requestId, ContentSerialization serialization,
        CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        while (await WebSocketMessages.ReceiveAsync(socket, buffer, _maxAnswerBytes, cancellationToken))
        {
            if (NotificationResponses.TryRead(new ReadOnlySequence<byte>(buffer.WrittenMemory), serialization, out var rqi, out var status, out var answer)
                && status is { } rsc && string.Equals(rqi, requestId, StringComparison.Ordinal))
            {
                return new NotificationAnswer(rsc, answer);
            }
        }

        return null;
    }
}
