using Microsoft.Extensions.DependencyInjection;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// The <see cref="RequestOrigin"/> each binding of this process marks its requests with: the silo's address when the
/// bindings run inside a silo (the embedded default), none in a standalone gateway (an Orleans client). One instance
/// per binding, made once: marking a request costs one <see cref="RequestContext"/> entry.
/// </summary>
public sealed class RequestOrigins(IServiceProvider services)
{
    private RequestOrigin? _http;
    private RequestOrigin? _mqtt;
    private RequestOrigin? _webSocket;

    /// <summary>Requests received by the HTTP binding.</summary>
    public RequestOrigin Http => _http ??= new RequestOrigin("http", Silo);

    /// <summary>Requests received by the MQTT binding.</summary>
    public RequestOrigin Mqtt => _mqtt ??= new RequestOrigin("mqtt", Silo);

    /// <summary>Requests received by the WebSocket binding.</summary>
    public RequestOrigin WebSocket => _webSocket ??= new RequestOrigin("ws", Silo);

    // Read when the first request arrives: by then the silo knows its address.
    private SiloAddress? Silo => services.GetService<ILocalSiloDetails>()?.SiloAddress;
}
