using System.Buffers;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using VirtualIoT.LoadGen.Transport;

namespace VirtualIoT.Tests.LoadGen;

/// <summary>
/// How LoadGen's MQTT devices learn where their broker sends them: the server reference of an MQTT 5 DISCONNECT, read
/// from the packet as MQTTnet encodes it, and split into host and port.
/// </summary>
public sealed class MqttServerReferenceTests
{
    private static byte[] Encoded(MqttDisconnectPacket packet)
    {
        var formatter = new MqttPacketFormatterAdapter(MqttProtocolVersion.V500, new MqttBufferWriter(4096, 65536));
        var buffer = formatter.Encode(packet);
        return [.. buffer.Packet, .. BuffersExtensions.ToArray(buffer.Payload)];
    }

    [Fact]
    public void The_server_reference_of_a_disconnect_is_read_whatever_properties_come_before_it()
    {
        var packet = Encoded(new MqttDisconnectPacket
        {
            ReasonCode = MqttDisconnectReasonCode.UseAnotherServer,
            ReasonString = "rebalancing: this client's home is another broker",
            UserProperties = [new MqttUserProperty("silo", new ReadOnlyMemory<byte>("S127.0.0.1:11111:1"u8.ToArray()))],
            ServerReference = "127.0.0.1:18830",
        });

        Assert.Equal("127.0.0.1:18830", MqttServerReference.OfDisconnect(packet));
    }

    [Fact]
    public void A_disconnect_without_a_reference_and_other_packets_have_none()
    {
        Assert.Null(MqttServerReference.OfDisconnect(Encoded(new MqttDisconnectPacket { ReasonCode = MqttDisconnectReasonCode.ServerShuttingDown })));
        Assert.Null(MqttServerReference.OfDisconnect([0x30, 0x02, 0x00, 0x00]));   // a PUBLISH
        Assert.Null(MqttServerReference.OfDisconnect([0xE0, 0x00]));               // MQTT 3.1.1 DISCONNECT
    }

    [Theory]
    [InlineData("127.0.0.1:1884", "127.0.0.1", 1884)]
    [InlineData("broker-2.example.net:8883", "broker-2.example.net", 8883)]
    [InlineData("[::1]:1883", "::1", 1883)]
    public void A_reference_names_host_and_port(string reference, string host, int port)
    {
        Assert.True(MqttServerReference.TryParse(reference, out var parsedHost, out var parsedPort));
        Assert.Equal((host, port), (parsedHost, parsedPort));
    }

    [Theory]
    [InlineData("broker-2")]
    [InlineData(":1883")]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData("host:port")]
    public void Anything_else_is_not_a_reference(string reference) => Assert.False(MqttServerReference.TryParse(reference, out _, out _));
}
