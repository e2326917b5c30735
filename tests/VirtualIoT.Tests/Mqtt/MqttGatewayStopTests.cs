using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// The MQTT binding's stop and its disposal in any order, as a host's stop and its container's disposal can come
/// (a pair test's registrar restart failed once on a stop that found the binding disposed).
/// </summary>
public sealed class MqttGatewayStopTests
{
    private static async Task WithConnectedPlatform(Func<MqttGateway, Task> act)
    {
        var platform = new MqttFixture();
        await platform.InitializeAsync();
        try
        {
            await using var client = await platform.ConnectAsync(OneM2MClient.NewName("Cstop"));
            await act(platform.Services.GetRequiredService<MqttGateway>());
        }
        finally
        {
            await platform.DisposeAsync();
        }
    }

    [Fact]
    public Task A_stop_after_the_disposal_has_nothing_to_do() => WithConnectedPlatform(async gateway =>
    {
        gateway.Dispose();

        await gateway.StopAsync(CancellationToken.None);
    });
}
