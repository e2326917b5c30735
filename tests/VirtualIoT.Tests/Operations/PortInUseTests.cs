using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Mvc.Testing;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Operations;

/// <summary>
/// A second silo started on a machine where the MQTT or CoAP port is taken (another silo with the default 1883 or
/// 5683, say) does not start half-way: it stops with an error that names the port and the setting that moves it.
/// </summary>
public sealed class PortInUseTests
{
    private static WebApplicationFactory<Program> Silo(params (string Key, string Value)[] settings)
    {
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Orleans:SiloPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Orleans:GatewayPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Urls", "http://127.0.0.1:0");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        });
        factory.UseKestrel(0);
        return factory;
    }

    private static string Messages(Exception exception)
    {
        var messages = new List<string>();
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(" | ", messages);
    }

    [Fact]
    public async Task A_taken_MQTT_port_stops_the_start_with_an_error_naming_Mqtt_Port()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        await using var silo = Silo(("Mqtt:Port", port), ("Coap:Enabled", "false"));

        var refused = Assert.ThrowsAny<Exception>(silo.StartServer);

        var message = Messages(refused);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", message, StringComparison.Ordinal);
        Assert.Contains("Mqtt:Port", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_taken_CoAP_port_stops_the_start_with_an_error_naming_Coap_Port()
    {
        using var holder = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)holder.Client.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);
        await using var silo = Silo(("Mqtt:Enabled", "false"), ("Coap:Enabled", "true"), ("Coap:Port", port));

        var refused = Assert.ThrowsAny<Exception>(silo.StartServer);

        var message = Messages(refused);
        Assert.Contains($"cannot listen on UDP 127.0.0.1:{port}", message, StringComparison.Ordinal);
        Assert.Contains("Coap:Port", message, StringComparison.Ordinal);
    }
}
