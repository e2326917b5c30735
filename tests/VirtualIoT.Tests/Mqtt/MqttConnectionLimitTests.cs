using System.Globalization;
using Microsoft.AspNetCore.Mvc.Testing;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>The broker refuses connections beyond <c>Mqtt:MaxConnections</c> and keeps serving those it holds.</summary>
public sealed class MqttConnectionLimitTests : IAsyncLifetime
{
    private readonly int _mqttPort = FreePort.Next();
    private WebApplicationFactory<Program>? _factory;

    public Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Orleans:SiloPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Orleans:GatewayPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Urls", "http://127.0.0.1:0");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Mqtt:Port", _mqttPort.ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Coap:Enabled", "false");
            builder.UseSetting("Mqtt:MaxConnections", "2");
        });
        _factory.UseKestrel(0);
        _factory.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_connection_beyond_the_maximum_is_refused_as_server_busy()
    {
        await using var first = await MqttTestClient.ConnectAsync(_mqttPort, "Climit1", mqtt5: true);
        await using var second = await MqttTestClient.ConnectAsync(_mqttPort, "Climit2", mqtt5: true);

        // MQTTnet sends the CONNACK before it raises its client-connected event (where the broker counts the
        // connection) and reads a client's next packet only after that event: a SUBACK on each client proves both
        // are counted, whatever the machine's load.
        await first.SubscribeAsync("/oneM2M/resp/Climit1/id-in/json");
        await second.SubscribeAsync("/oneM2M/resp/Climit2/id-in/json");

        var third = await MqttTestClient.TryConnectAsync(_mqttPort, "Climit3");

        Assert.Contains("ServerBusy", third, StringComparison.Ordinal);
    }
}
