using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// The real platform (the Silo's Program) with every binding on free loopback ports: HTTP and WebSocket on Kestrel, the
/// embedded MQTT broker, CoAP over UDP. Tests reach it only through <see cref="ConnectAsync"/>, a client of the binding they name.
/// </summary>
public sealed class BindingsFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;
    private HttpClient _http = null!;

    /// <summary>The bindings every case of the protocol suite runs over.</summary>
    public static readonly string[] Bindings = ["http", "mqtt", "ws", "coap"];

    public int MqttPort { get; private set; }

    /// <summary>The CoAP binding's UDP endpoint.</summary>
    public IPEndPoint CoapEndPoint { get; private set; } = null!;

    /// <summary>The gateway's base address.</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>The platform's services.</summary>
    public IServiceProvider Services => _factory!.Services;

    public Task InitializeAsync()
    {
        MqttPort = FreePort.Next();
        CoapEndPoint = new IPEndPoint(IPAddress.Loopback, FreePort.NextUdp());
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Orleans:SiloPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Orleans:GatewayPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Urls", "http://127.0.0.1:0");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Mqtt:Port", MqttPort.ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Coap:Port", CoapEndPoint.Port.ToString(CultureInfo.InvariantCulture));
        });
        _factory.UseKestrel(0);
        _factory.StartServer();
        _http = _factory.CreateClient();
        return Task.CompletedTask;
    }

    /// <summary>A client of <paramref name="binding"/> speaking <paramref name="serialization"/> as <paramref name="originator"/>.</summary>
    public async Task<IBindingClient> ConnectAsync(string binding, ContentSerialization serialization, string originator) => binding switch
    {
        "http" => new HttpBindingClient(_http, serialization),
        "mqtt" => await MqttBindingClient.ConnectAsync(MqttPort, originator, serialization),
        "ws" => await WebSocketBindingClient.ConnectAsync(BaseAddress, serialization),
        "coap" => new CoapBindingClient(CoapEndPoint, serialization),
        _ => throw new ArgumentOutOfRangeException(nameof(binding), binding, "no such binding"),
    };

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BindingsCollection : ICollectionFixture<BindingsFixture>
{
    public const string Name = "bindings";
}

/// <summary>The binding cases that mostly wait on real time: a platform of their own, so their waits run beside the rest.</summary>
[CollectionDefinition(Name)]
public sealed class BindingsTimingCollection : ICollectionFixture<BindingsFixture>
{
    public const string Name = "bindings-timing";
}

/// <summary>The timeSeries cases, which wait for missing-data periods to pass: a platform of their own, beside the rest.</summary>
[CollectionDefinition(Name)]
public sealed class BindingsTimeSeriesCollection : ICollectionFixture<BindingsFixture>
{
    public const string Name = "bindings-timeseries";
}
