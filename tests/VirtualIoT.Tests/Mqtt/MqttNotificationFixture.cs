using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc.Testing;
using VirtualIoT.Gateway.Hosting;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// Two gateways of one cluster, each with its own embedded broker: the Silo's Program (silo plus co-hosted gateway,
/// <see cref="MqttPort"/>) and a standalone gateway, an Orleans client of that silo (<see cref="SecondMqttPort"/>).
/// Notification delivery is tuned for tests: a 5 s answer timeout (the default; 2 s made a verification request answered by a busy test client fail now and then on a loaded machine) and retries from 200 ms, up to 40 attempts.
/// </summary>
public class MqttNotificationFixture : IAsyncLifetime
{
    /// <summary>How long a device may take to answer a notification here.</summary>
    public virtual TimeSpan SendTimeout => TimeSpan.FromSeconds(5);

    private WebApplicationFactory<Program>? _factory;
    private WebApplication? _secondGateway;

    public int MqttPort { get; private set; }

    public int SecondMqttPort { get; private set; }

    public OneM2MClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        MqttPort = FreePort.Next();
        SecondMqttPort = FreePort.Next();
        var orleansGatewayPort = FreePort.Next();
        var notificationSettings = new Dictionary<string, string>
        {
            ["Notifications:SendTimeout"] = SendTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["Notifications:InitialRetryDelay"] = "00:00:00.200",
            ["Notifications:MaxRetryDelay"] = "00:00:01",
            ["Notifications:MaxAttempts"] = "40",
        };

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Orleans:SiloPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Orleans:GatewayPort", orleansGatewayPort.ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Urls", "http://127.0.0.1:0");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Mqtt:Port", MqttPort.ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Coap:Enabled", "false");
            foreach (var (key, value) in notificationSettings)
            {
                builder.UseSetting(key, value);
            }
        });
        _factory.UseKestrel(0);
        _factory.StartServer();
        Http = new OneM2MClient(_factory.CreateClient());

        _secondGateway = GatewayProgram.Build(
        [
            "--Urls", "http://127.0.0.1:0",
            "--Clustering:GatewayPort", orleansGatewayPort.ToString(CultureInfo.InvariantCulture),
            "--Mqtt:Port", SecondMqttPort.ToString(CultureInfo.InvariantCulture), "--Coap:Enabled", "false",
            "--Logging:LogLevel:Default", "Warning",
        ]);
        await _secondGateway.StartAsync();
    }

    /// <summary>Connects an MQTT client to the silo-hosted gateway's broker.</summary>
    public Task<MqttTestClient> ConnectAsync(string clientId) => MqttTestClient.ConnectAsync(MqttPort, clientId, mqtt5: false);

    /// <summary>Connects an MQTT client to the standalone gateway's broker.</summary>
    public Task<MqttTestClient> ConnectToSecondAsync(string clientId) => MqttTestClient.ConnectAsync(SecondMqttPort, clientId, mqtt5: false);

    public async Task DisposeAsync()
    {
        if (_secondGateway is not null)
        {
            await _secondGateway.StopAsync();
            await _secondGateway.DisposeAsync();
        }

        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class MqttNotificationCollection : ICollectionFixture<MqttNotificationFixture>
{
    public const string Name = "mqtt-notifications";
}

/// <summary>
/// The same platform, but a device may take three minutes to answer a notification: longer than any wait of a test, so
/// a test can tell "served while another device keeps silent" from "served after the silent one timed out" without
/// measuring time.
/// </summary>
public sealed class PatientMqttNotificationFixture : MqttNotificationFixture
{
    /// <inheritdoc/>
    public override TimeSpan SendTimeout => TimeSpan.FromMinutes(3);
}
