using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Mvc.Testing;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// The real platform (the Silo's Program) with its embedded MQTT broker on a free loopback port, and Kestrel on
/// another, shared by the MQTT tests. Tests speak MQTT to it with MQTTnet clients, and HTTP to compare answers.
/// Also listens to the <c>virtualiot.mqtt.dropped</c> counter.
/// </summary>
public sealed class MqttFixture : IAsyncLifetime
{
    /// <summary>Small, so that the oversized-payload case needs no megabyte.</summary>
    public const int MaxPayloadBytes = 4096;

    private readonly Dictionary<string, long> _dropped = new(StringComparer.Ordinal);
    private WebApplicationFactory<Program>? _factory;
    private MeterListener? _listener;

    public int MqttPort { get; private set; }

    public OneM2MClient Http { get; private set; } = null!;

    /// <summary>The platform's services.</summary>
    public IServiceProvider Services => _factory!.Services;

    public Task InitializeAsync()
    {
        MqttPort = FreePort.Next();
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "VirtualIoT" && instrument.Name == "virtualiot.mqtt.dropped")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason" && tag.Value is string reason)
                {
                    lock (_dropped)
                    {
                        _dropped[reason] = _dropped.GetValueOrDefault(reason) + value;
                    }
                }
            }
        });
        _listener.Start();

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Orleans:SiloPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Orleans:GatewayPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Urls", "http://127.0.0.1:0");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Mqtt:Port", MqttPort.ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Coap:Enabled", "false");
            builder.UseSetting("Mqtt:MaxPayloadBytes", MaxPayloadBytes.ToString(CultureInfo.InvariantCulture));
        });
        _factory.UseKestrel(0);
        _factory.StartServer();
        Http = new OneM2MClient(_factory.CreateClient());
        return Task.CompletedTask;
    }

    /// <summary>Messages dropped so far for <paramref name="reason"/>, in this process.</summary>
    public long Dropped(string reason)
    {
        lock (_dropped)
        {
            return _dropped.GetValueOrDefault(reason);
        }
    }

    /// <summary>Connects a new MQTT client with <paramref name="clientId"/>.</summary>
    public Task<MqttTestClient> ConnectAsync(string clientId, bool mqtt5 = false) => MqttTestClient.ConnectAsync(MqttPort, clientId, mqtt5);

    public async Task DisposeAsync()
    {
        _listener?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class MqttCollection : ICollectionFixture<MqttFixture>
{
    public const string Name = "mqtt";
}

/// <summary>
/// The MQTT tests that mostly wait on real time (future execution times): a platform of their own, so their waits
/// run beside the rest of the MQTT suite instead of in line with it.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MqttTimingCollection : ICollectionFixture<MqttFixture>
{
    public const string Name = "mqtt-timing";
}
