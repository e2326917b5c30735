using MQTTnet;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// Client certificates on the MQTT TLS listener (<c>Mqtt:Tls:ClientCaPath</c>), with authentication required: a
/// certificate from the configured authority authenticates the originator its common name names, without a secret;
/// one naming another originator, or from another authority, is refused; clients without one still use user name and
/// password (the rest of the secure suite runs on the same listener).
/// </summary>
[Collection(SecureCseCollection.Name)]
public sealed class MqttClientCertificateTests(SecureCseFixture fixture)
{
    [Fact]
    public async Task A_device_with_a_certificate_from_the_authority_registers_and_works_without_a_secret()
    {
        var aeId = "Cmqc" + Guid.NewGuid().ToString("N")[..12];
        using var certificate = fixture.DeviceAuthority.Issue(aeId);
        await using var device = await fixture.ConnectMqttAsync(aeId, certificate);
        await device.SubscribeAsync(ResponseTopic(aeId));

        await RegisterAsync(device, aeId);
        var rqi = NewRqi();
        var created = await device.RequestAsync(RequestTopic(aeId),
            Primitive(1, "cse-in/" + aeId, aeId, rqi, ty: 3, pc: """{"m2m:cnt":{"rn":"t"}}"""), rqi);
        var read = await fixture.Admin().Retrieve($"/cse-in/{aeId}/t", OneM2MClient.Admin);

        Assert.Equal(2001, created.Rsc);
        Assert.Equal(2000, read.Rsc);
    }

    [Fact]
    public async Task A_certificate_naming_another_originator_is_refused()
    {
        var aeId = "Cmqc" + Guid.NewGuid().ToString("N")[..12];
        using var someoneElse = fixture.DeviceAuthority.Issue("Cmqc" + Guid.NewGuid().ToString("N")[..12]);

        var result = await fixture.TryConnectMqttAsync(aeId, someoneElse);

        Assert.Contains(nameof(MqttClientConnectResultCode.BadUserNameOrPassword), result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_from_another_authority_fails_the_handshake()
    {
        var aeId = "Cmqc" + Guid.NewGuid().ToString("N")[..12];
        using var rogue = new TestCertificateAuthority("a rogue CA");
        using var certificate = rogue.Issue(aeId);

        var result = await fixture.TryConnectMqttAsync(aeId, certificate);

        Assert.DoesNotContain(nameof(MqttClientConnectResultCode.Success), result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_and_the_user_name_of_another_originator_are_refused()
    {
        var aeId = "Cmqc" + Guid.NewGuid().ToString("N")[..12];
        var other = "Cmqc" + Guid.NewGuid().ToString("N")[..12];
        var otherSecret = await fixture.ProvisionAsync(other);
        using var certificate = fixture.DeviceAuthority.Issue(aeId);

        var result = await fixture.TryConnectMqttAsync(aeId, certificate, other, otherSecret);

        Assert.Contains(nameof(MqttClientConnectResultCode.BadUserNameOrPassword), result, StringComparison.Ordinal);
    }
}
