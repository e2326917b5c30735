using System.Formats.Cbor;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>
/// oneM2M over one WebSocket (TS-0020): request primitives out, the response primitive with the same <c>rqi</c> back,
/// in the serialization of the subprotocol agreed when it connects (<c>oneM2M.R2.0.json</c>, text frames, or
/// <c>oneM2M.R2.0.cbor</c>, binary frames). Messages that are not that answer (a notification request, a late answer
/// of a timed-out request) are skipped. The CSE binds an originator to the connection that first uses it, so a load
/// sends each originator's requests through one channel only. A failed or timed-out exchange closes the connection;
/// the next request reconnects.
/// </summary>
internal sealed class WebSocketChannel(Uri uri, BodySerialization serialization) : IRequestChannel
{
    private readonly RequestBodies _bodies = new(serialization);
    private byte[] _buffer = new byte[16 * 1024];
    private ClientWebSocket? _socket;

    public async ValueTask<Reply> ExchangeAsync(RequestSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Query is not null)
        {
            throw new InvalidOperationException("LoadGen maps no query parameters into WebSocket request primitives");
        }

        if (_socket is null)
        {
            var socket = new ClientWebSocket();
            socket.Options.AddSubProtocol("oneM2M.R2.0." + (serialization == BodySerialization.Cbor ? "cbor" : "json"));
            try
            {
                await socket.ConnectAsync(uri, cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _socket = socket;
        }

        try
        {
            var cbor = serialization == BodySerialization.Cbor;
            var primitive = cbor ? CborPrimitive(spec) : Encoding.UTF8.GetBytes(RequestFormatter.Mqtt(spec));
            await _socket.SendAsync(primitive.AsMemory(), cbor ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, cancellationToken);
            while (true)
            {
                var length = await ReceiveMessageAsync(_socket, cancellationToken);
                if ((cbor ? ReadCbor(_buffer.AsMemory(0, length), spec) : ReadJson(_buffer.AsSpan(0, length), spec)) is { } reply)
                {
                    return reply;
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _socket = null;
    }

    private async ValueTask<int> ReceiveMessageAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            if (length == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var result = await socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new IOException($"the CSE closed the WebSocket ({socket.CloseStatus} {socket.CloseStatusDescription})");
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return length;
            }
        }
    }

    /// <summary>The request primitive of <paramref name="spec"/> in CBOR (keys as in JSON, TS-0004 8.6).</summary>
    private byte[] CborPrimitive(in RequestSpec spec)
    {
        var create = spec.Operation == OneM2MOperation.Create;
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(create ? 7 : 5);
        writer.WriteTextString("op");
        writer.WriteInt32((int)spec.Operation);
        writer.WriteTextString("to");
        writer.WriteTextString(spec.To);
        writer.WriteTextString("fr");
        writer.WriteTextString(spec.Originator);
        writer.WriteTextString("rqi");
        writer.WriteTextString(spec.RequestId);
        writer.WriteTextString("rvi");
        writer.WriteTextString("3");
        if (create)
        {
            writer.WriteTextString("ty");
            writer.WriteInt32(spec.ResourceType);
            writer.WriteTextString("pc");
            writer.WriteEncodedValue(_bodies.Of(spec.Content).Span);
        }

        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>The answer to <paramref name="spec"/> if <paramref name="message"/> is it: a response primitive (it has <c>rsc</c>) with its <c>rqi</c>, or none (a 4000 to an unreadable request).</summary>
    private static Reply? ReadJson(ReadOnlySpan<byte> message, in RequestSpec spec)
    {
        var reader = new Utf8JsonReader(message);
        int? rsc = null;
        string? rqi = null, body = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("rsc"u8) && reader.TokenType == JsonTokenType.Number)
            {
                rsc = reader.GetInt32();
            }
            else if (name.SequenceEqual("rqi"u8) && reader.TokenType == JsonTokenType.String)
            {
                rqi = reader.GetString();
            }
            else if (name.SequenceEqual("pc"u8) && spec.KeepBody)
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                body = Encoding.UTF8.GetString(message[start..(int)reader.BytesConsumed]);
            }
            else
            {
                reader.Skip();
            }
        }

        return Answer(rsc, rqi, body, spec);
    }

    private static Reply? ReadCbor(ReadOnlyMemory<byte> message, in RequestSpec spec)
    {
        if (spec.KeepBody)
        {
            throw new NotSupportedException("LoadGen keeps no CBOR answer bodies (it reads them as JSON)");
        }

        var reader = new CborReader(message, CborConformanceMode.Lax);
        int? rsc = null;
        string? rqi = null;
        if (reader.PeekState() != CborReaderState.StartMap)
        {
            return null;
        }

        reader.ReadStartMap();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            var name = reader.PeekState() == CborReaderState.TextString ? reader.ReadTextString() : null;
            if (name is null)
            {
                reader.SkipValue();
            }
            else if (name == "rsc" && reader.PeekState() is CborReaderState.UnsignedInteger)
            {
                rsc = reader.ReadInt32();
                continue;
            }
            else if (name == "rqi" && reader.PeekState() == CborReaderState.TextString)
            {
                rqi = reader.ReadTextString();
                continue;
            }

            reader.SkipValue();
        }

        return Answer(rsc, rqi, null, spec);
    }

    private static Reply? Answer(int? rsc, string? rqi, string? body, in RequestSpec spec) =>
        rsc is { } code && (rqi is null || rqi == spec.RequestId) ? new Reply(0, code, body) : null;
}
