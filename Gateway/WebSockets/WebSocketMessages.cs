using System.Buffers;
using System.Net.WebSockets;

namespace VirtualIoT.Gateway.WebSockets;

/// <summary>Reading whole messages on a WebSocket this CSE opened as a client (notifications to a <c>ws://</c> target, requests to another CSE).</summary>
internal static class WebSocketMessages
{
    /// <summary>
    /// Reads the next whole message into <paramref name="buffer"/> (emptied first): false when the other side closes
    /// instead, or the message grows beyond <paramref name="maxBytes"/>.
    /// </summary>
    public static async ValueTask<bool> ReceiveAsync(WebSocket socket, ArrayBufferWriter<byte> buffer, int maxBytes, CancellationToken cancellationToken)
    {
        buffer.ResetWrittenCount();
        ValueWebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer.GetMemory(4096), cancellationToken);
            buffer.Advance(received.Count);
            if (received.MessageType == WebSocketMessageType.Close || buffer.WrittenCount > maxBytes)
            {
                return false;
            }
        }
        while (!received.EndOfMessage);

        return true;
    }
}
