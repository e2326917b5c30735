using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Grains.Notifications;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>The pieces of MQTT notification routing that need no broker: poa paths and who holds an originator.</summary>
public sealed class MqttNotificationRoutingTests
{
    [Theory]
    [InlineData("mqtt://127.0.0.1:1883", "")]
    [InlineData("mqtt://127.0.0.1", "")]
    [InlineData("mqtt://broker.example.com:1883/", "")]
    [InlineData("mqtt://127.0.0.1:1883/site7", "/site7")]
    [InlineData("MQTT://127.0.0.1:1883/a/b/", "/a/b")]
    [InlineData("mqtt://127.0.0.1:1883/a/+", null)]
    [InlineData("mqtt://127.0.0.1:1883/a?x=1", null)]
    [InlineData("http://127.0.0.1:9000/notify", null)]
    [InlineData("mqtts://127.0.0.1:8883", null)]
    public void Mqtt_poa_gives_the_topic_prefix(string poa, string? prefix)
    {
        Assert.Equal(prefix, DeliveryGrain.MqttTopicPrefix(poa));
    }

    [Fact]
    public void An_originator_is_gained_by_its_first_holder_and_released_by_its_last()
    {
        var registry = new MqttOriginatorRegistry();

        var first = registry.Connected("A::Cdev");
        var second = registry.Connected("Cdev");
        var claimed = registry.Claim("watcher", "Cother");
        registry.Connected("reg");
        var claimedByConnected = registry.Claim("reg", "Cnew");
        var stillHeld = registry.Disconnected("Cdev");
        var released = registry.Disconnected("A::Cdev");
        var releasedClaim = registry.Disconnected("reg");

        Assert.Equal("Cdev", first);
        Assert.Null(second);
        Assert.False(claimed);
        Assert.True(claimedByConnected);
        Assert.Empty(stillHeld);
        Assert.Equal(["Cdev"], released);
        Assert.Equal(["reg", "Cnew"], releasedClaim);
        Assert.Empty(registry.HeldOriginators());
    }
}
