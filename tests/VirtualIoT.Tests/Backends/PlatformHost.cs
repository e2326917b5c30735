using System.Globalization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// One running platform process (the Silo's Program: silo plus HTTP gateway) on Kestrel at a free loopback port,
/// configured like an operator would, through configuration keys only.
/// </summary>
public sealed class PlatformHost : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;

    private PlatformHost(WebApplicationFactory<Program> factory, OneM2MClient client)
    {
        _factory = factory;
        Client = client;
    }

    public OneM2MClient Client { get; }

    /// <summary>The silo's grain factory, for looking at the cluster itself.</summary>
    public IGrainFactory Grains => _factory.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The silo's services (its grain storage, serializer), for looking at what it stored.</summary>
    public IServiceProvider Services => _factory.Services;

    /// <summary>
    /// Starts a platform with <paramref name="settings"/> on fresh silo and gateway ports; <paramref name="testServices"/>
    /// changes its services after the platform registered them (test-only decorators).
    /// </summary>
    public static PlatformHost Start(IReadOnlyDictionary<string, string> settings, Action<IServiceCollection>? testServices = null)
    {
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Orleans:SiloPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Orleans:GatewayPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            // Kestrel would otherwise also bind appsettings.json's Urls (port 8080), which parallel hosts share.
            builder.UseSetting("Urls", "http://127.0.0.1:0");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            // The MQTT broker would bind 1883 in every host; these hosts test HTTP only (MqttFixture tests MQTT).
            builder.UseSetting("Mqtt:Enabled", "false");
            builder.UseSetting("Coap:Enabled", "false");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            if (testServices is not null)
            {
                builder.ConfigureTestServices(testServices);
            }
        });
        factory.UseKestrel(0);
        factory.StartServer();
        return new PlatformHost(factory, new OneM2MClient(factory.CreateClient()));
    }

    /// <summary>
    /// Discards every platform activation (a silo failure's effect on memory: what a grain did not store is gone) and
    /// waits until none is left; the grain storage itself is kept.
    /// </summary>
    public async Task DiscardActivations(TimeSpan timeout)
    {
        var management = Grains.GetGrain<IManagementGrain>(0);
        var deadline = Deadline.In(timeout);
        while (true)
        {
            await management.ForceActivationCollection(TimeSpan.Zero);
            var active = (await management.GetSimpleGrainStatistics())
                .Where(s => s.ActivationCount > 0 && !s.GrainType.Contains("Orleans", StringComparison.OrdinalIgnoreCase))
                .ToList();
            if (active.Count == 0)
            {
                return;
            }

            if (deadline.Passed)
            {
                throw new Xunit.Sdk.XunitException("activations not discarded: " + string.Join(", ", active.Select(a => $"{a.GrainType}={a.ActivationCount}")));
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();
}
