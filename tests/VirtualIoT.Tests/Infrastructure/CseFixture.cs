using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Grains;

namespace VirtualIoT.Tests.Infrastructure;

/// <summary>
/// The real platform (the Silo's Program: one silo, memory storage, HTTP gateway) on Kestrel at a free loopback
/// port, shared by every protocol test in the collection. Tests talk to it over real sockets only. Derived fixtures
/// (Backends/ProtocolOnBackends.cs) run the same platform on another storage back-end.
/// </summary>
public class CseFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;

    /// <summary>Client whose base address is the running gateway.</summary>
    public OneM2MClient Client { get; private set; } = null!;

    /// <summary>The platform's clock for oneM2M times (creation, expiry): the system clock until a test moves it.</summary>
    public AdjustableClock Clock { get; } = new();

    /// <summary>The gateway's base address.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Extra configuration (a storage back-end); none for the default memory storage.</summary>
    protected virtual Task<IReadOnlyDictionary<string, string>> BackendSettings() =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());

    /// <summary>The gateway's loopback port; 0 (default) for any free one.</summary>
    protected virtual int Port => 0;

    public virtual async Task InitializeAsync()
    {
        var backend = await BackendSettings();
        var siloPort = FreePort.Next();
        var gatewayPort = FreePort.Next();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Orleans:SiloPort", siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("Orleans:GatewayPort", gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // Kestrel would otherwise also bind appsettings.json's Urls (port 8080), which parallel hosts share.
            builder.UseSetting("Urls", $"http://127.0.0.1:{Port}");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            // The MQTT broker would bind 1883 in every host; these hosts test HTTP only (MqttFixture tests MQTT).
            builder.UseSetting("Mqtt:Enabled", "false");
            builder.UseSetting("Coap:Enabled", "false");
            builder.ConfigureTestServices(services => services.AddSingleton(new CseClock(Clock)));
            foreach (var (key, value) in backend)
            {
                builder.UseSetting(key, value);
            }
        });
        _factory.UseKestrel(Port);
        _factory.StartServer();
        var http = _factory.CreateClient();
        BaseAddress = http.BaseAddress!;
        Client = new OneM2MClient(http);
    }

    public virtual async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CseCollection : ICollectionFixture<CseFixture>
{
    public const string Name = "cse";
}

/// <summary>
/// The protocol tests that mostly wait on real time (future execution times, request expiry, long polls): a platform
/// of their own, so their waits run beside the rest of the protocol suite instead of in line with it.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CseTimingCollection : ICollectionFixture<CseFixture>
{
    public const string Name = "cse-timing";
}
