using VirtualIoT.Gateway.Coap;
using VirtualIoT.Gateway.WebSockets;

namespace VirtualIoT.Gateway.Notifications;

/// <summary>
/// The notification sender the delivery grains use: each URL goes to the sender of its scheme, <c>http(s)://</c>
/// (<see cref="HttpNotificationSender"/>), <c>ws(s)://</c> (<see cref="WebSocketNotificationSender"/>) or <c>coap://</c>
/// (<see cref="CoapNotificationSender"/>).
/// </summary>
internal sealed class NotificationSenders(HttpNotificationSender http, WebSocketNotificationSender webSocket, CoapNotificationSender coap) : INotificationSender
{
    public bool CanSend(string url) => http.CanSend(url) || webSocket.CanSend(url) || coap.CanSend(url);

    public Task<NotificationAnswer?> SendAsync(string url, string requestId, Dictionary<string, object?> content, int? eventCategory, string? serialization,
        string? originator, bool readContent, CancellationToken cancellationToken) =>
        webSocket.CanSend(url)
            ? webSocket.SendAsync(url, requestId, content, eventCategory, serialization, originator, readContent, cancellationToken)
            : coap.CanSend(url)
                ? coap.SendAsync(url, requestId, content, eventCategory, serialization, originator, readContent, cancellationToken)
                : http.SendAsync(url, requestId, content, eventCategory, serialization, originator, readContent, cancellationToken);
}
