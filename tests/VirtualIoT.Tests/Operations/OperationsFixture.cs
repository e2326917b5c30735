using System.Globalization;
using Microsoft.AspNetCore.Mvc.Testing;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Operations;

/// <summary>
/// The real platform (the Silo's Program) with its operations defaults, on Kestrel at a free loopback port: the
/// Prometheus endpoint, the health endpoints and the resource browser on, and the dashboard (off by default) switched on.
/// </summary>
public sealed class OperationsFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;

    public OneM2MClient Client { get; private set; } = null!;

    public HttpClient Http => Client.Http;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The silo's Orleans gateway port, for a standalone gateway to connect to.</summary>
    public int OrleansGatewayPort { get; private set; }

    public Task InitializeAsync()
    {
        _factory = PlatformFactory.Create(new Dictionary<string, string> { ["Dashboard:Enabled"] = "true" }, out var gatewayPort);
        OrleansGatewayPort = gatewayPort;
        var http = _factory.CreateClient();
        BaseAddress = http.BaseAddress!;
        Client = new OneM2MClient(http);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }
}

/// <summary>
/// Operations tests run alone: the metrics test counts requests on the process-wide <c>VirtualIoT</c> meter, which
/// every host in the test process feeds, so no other collection may send requests meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OperationsCollection : ICollectionFixture<OperationsFixture>
{
    public const string Name = "operations";
}

/// <summary>Starts the Silo's Program on free ports with extra settings.</summary>
internal static class PlatformFactory
{
    public static WebApplicationFactory<Program> Create(IReadOnlyDictionary<string, string> settings, out int orleansGatewayPort)
    {
        var gatewayPort = FreePort.Next();
        var siloPort = FreePort.Next();
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Orleans:SiloPort", siloPort.ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Orleans:GatewayPort", gatewayPort.ToString(CultureInfo.InvariantCulture));
            // Kestrel would otherwise also bind appsettings.json's Urls (port 8080), which parallel hosts share.
            builder.UseSetting("Urls", "http://127.0.0.1:0");
            builder.UseSetting("Mqtt:Enabled", "false");
            builder.UseSetting("Coap:Enabled", "false");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        });
        factory.UseKestrel(0);
        factory.StartServer();
        orleansGatewayPort = gatewayPort;
        return factory;
    }
}
