using System.Net;

namespace VirtualIoT.LoadGen.Transport;

/// <summary>
/// One client connection of a oneM2M binding that carries one request at a time: an HTTP keep-alive connection, a CoAP
/// UDP socket, a WebSocket, or MQTT connections (one per originator, <see cref="MqttChannel"/>). What the load command's
/// workers send through, whatever the binding (the simulated MQTT devices of a LoadGen run go through
/// <see cref="MqttDevices"/>).
/// </summary>
internal interface IRequestChannel : IDisposable
{
    /// <summary>
    /// Sends <paramref name="spec"/> and waits for its answer. <see cref="Reply.Status"/> is the binding's own status
    /// (HTTP status; CoAP code as class × 100 + detail, 2.01 is 201; 0 over WebSocket, which has none).
    /// </summary>
    ValueTask<Reply> ExchangeAsync(RequestSpec spec, CancellationToken cancellationToken);
}

/// <summary>The serialization of the bodies and primitives a channel sends (TS-0004 8: JSON or CBOR).</summary>
public enum BodySerialization
{
    /// <summary>JSON (HTTP <c>application/json</c>, CoAP Content-Format 50, WebSocket <c>oneM2M.R2.0.json</c>).</summary>
    Json,

    /// <summary>CBOR (CoAP Content-Format 60, WebSocket <c>oneM2M.R2.0.cbor</c>); HTTP stays JSON.</summary>
    Cbor,
}

/// <summary>Where the CoAP, WebSocket and MQTT bindings of a CSE are, next to its HTTP base URL.</summary>
/// <param name="CoapPort">UDP port of the CoAP binding, on the HTTP base URL's host.</param>
/// <param name="WebSocketPath">Path of the WebSocket binding on the HTTP port.</param>
/// <param name="Serialization">Serialization of CoAP bodies and WebSocket primitives.</param>
/// <param name="MqttPort">TCP port of the MQTT broker, on the HTTP base URL's host.</param>
/// <param name="CseId">The CSE-ID in MQTT topics, without its leading slash.</param>
public sealed record BindingOptions(int CoapPort = 5683, string WebSocketPath = "/ws", BodySerialization Serialization = BodySerialization.Json,
    int MqttPort = 1883, string CseId = "id-in");

/// <summary>Opens the <see cref="IRequestChannel"/> of a binding to one endpoint.</summary>
internal static class RequestChannels
{
    /// <summary>
    /// A channel of <paramref name="protocol"/> (HTTP, CoAP, WebSocket or MQTT) to <paramref name="endpoint"/>; it
    /// connects when it first sends.
    /// </summary>
    public static IRequestChannel Open(DeviceProtocol protocol, Endpoint endpoint, BindingOptions options) => protocol switch
    {
        DeviceProtocol.Http => new HttpChannel(endpoint),
        DeviceProtocol.Coap => new CoapChannel(new IPEndPoint(endpoint.Address.Address, options.CoapPort), options.Serialization),
        DeviceProtocol.WebSocket => new WebSocketChannel(
            new UriBuilder(endpoint.BaseUrl) { Scheme = "ws", Path = options.WebSocketPath, Query = "" }.Uri, options.Serialization),
        DeviceProtocol.Mqtt => new MqttChannel(new IPEndPoint(endpoint.Address.Address, options.MqttPort), options.CseId),
        _ => throw new ArgumentException($"{protocol} devices have no request channel", nameof(protocol)),
    };
}

/// <summary>HTTP/1.1 (TS-0009) over one keep-alive <see cref="HttpConnection"/>, JSON bodies.</summary>
internal sealed class HttpChannel(Endpoint endpoint) : IRequestChannel
{
    private readonly HttpConnection _connection = new(endpoint.Address);
    private readonly byte[] _buffer = new byte[8 * 1024];

    public ValueTask<Reply> ExchangeAsync(RequestSpec spec, CancellationToken cancellationToken)
    {
        var length = RequestFormatter.WriteHttp(_buffer, spec, endpoint.Authority, endpoint.PathPrefix);
        if (length < 0)
        {
            throw new InvalidOperationException($"request to {spec.To} is larger than {_buffer.Length} bytes");
        }

        return _connection.ExchangeAsync(_buffer.AsMemory(0, length), spec.KeepBody, cancellationToken);
    }

    public void Dispose() => _connection.Dispose();
}
