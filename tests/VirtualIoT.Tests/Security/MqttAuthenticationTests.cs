using MQTTnet;
using MQTTnet.Protocol;
using VirtualIoT.Tests.Mqtt;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// Originator authentication over MQTT with authentication required: CONNECT needs the originator's credentials,
/// a client publishes and subscribes only on its own oneM2M topics (even while the impersonated AE is offline), and
/// the TLS listener carries the whole exchange.
/// </summary>
[Collection(SecureCseCollection.Name)]
public sealed class MqttAuthenticationTests(SecureCseFixture fixture)
{
    [Fact]
    public async Task A_provisioned_AE_registers_and_works_over_MQTT_with_TLS()
    {
        var aeId = "Cmqs" + Guid.NewGuid().ToString("N")[..12];
        var secret = await fixture.ProvisionAsync(aeId);
        await using var device = await fixture.ConnectMqttAsync(aeId, aeId, secret);
        var subscribed = await device.SubscribeAsync(ResponseTopic(aeId));

        await RegisterAsync(device, aeId);
        var rqi = NewRqi();
        var created = await device.RequestAsync(RequestTopic(aeId),
            Primitive(1, "cse-in/" + aeId, aeId, rqi, ty: 3, pc: """{"m2m:cnt":{"rn":"t"}}"""), rqi);

        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, subscribed.Items.Single().ResultCode);
        Assert.Equal(2001, created.Rsc);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("wrong", false)]
    [InlineData("right", true)]
    public async Task A_connection_without_the_originator_s_credentials_is_refused(string? password, bool otherUser)
    {
        var aeId = "Cmqs" + Guid.NewGuid().ToString("N")[..12];
        var secret = await fixture.ProvisionAsync(aeId);
        var other = "Cmqs" + Guid.NewGuid().ToString("N")[..12];
        var otherSecret = await fixture.ProvisionAsync(other);
        var (user, pass) = password switch
        {
            null => ((string?)null, (string?)null),
            "wrong" => (aeId, secret + "x"),
            // Valid credentials, but of another originator than the client ID names.
            _ => (other, otherSecret),
        };
        Assert.Equal(otherUser, user == other);

        var result = await fixture.TryConnectMqttAsync(aeId, user, pass);

        Assert.Contains(nameof(MqttClientConnectResultCode.BadUserNameOrPassword), result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_plain_listener_authenticates_too()
    {
        var aeId = "Cmqs" + Guid.NewGuid().ToString("N")[..12];
        var secret = await fixture.ProvisionAsync(aeId);

        var refused = await fixture.TryConnectMqttAsync(aeId, aeId, "not-the-secret", tls: false);
        await using var accepted = await fixture.ConnectMqttAsync(aeId, aeId, secret, tls: false);

        Assert.Contains(nameof(MqttClientConnectResultCode.BadUserNameOrPassword), refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_cannot_publish_as_an_offline_AE_nor_read_its_topics()
    {
        // The victim is registered (over HTTP) but not connected: without authentication its topics would be open.
        var (victimId, _, victimHttp) = await fixture.RegisteredAeAsync();
        var attackerId = "Cmqs" + Guid.NewGuid().ToString("N")[..12];
        var attackerSecret = await fixture.ProvisionAsync(attackerId);
        await using var attacker = await fixture.ConnectMqttAsync(attackerId, attackerId, attackerSecret);

        var published = await attacker.PublishAsync(RequestTopic(victimId), Primitive(4, "cse-in/" + victimId, victimId, NewRqi()));
        string[] filters =
        [
            ResponseTopic(victimId), $"/oneM2M/req/id-in/{victimId}/json", $"/oneM2M/reg_resp/{victimId}/id-in/json",
            "/oneM2M/resp/+/id-in/json", "/oneM2M/#", "#", "+/oneM2M/resp/#",
        ];
        var subscriptions = new List<MqttClientSubscribeResultCode>();
        foreach (var filter in filters)
        {
            subscriptions.Add((await attacker.SubscribeAsync(filter)).Items.Single().ResultCode);
        }

        var own = await attacker.SubscribeAsync(ResponseTopic(attackerId));
        var plain = await attacker.SubscribeAsync("plain/topic/#");

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, published.ReasonCode);
        Assert.All(subscriptions.Zip(filters), s => Assert.True(s.First == MqttClientSubscribeResultCode.NotAuthorized, $"{s.Second}: {s.First}"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, own.Items.Single().ResultCode);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, plain.Items.Single().ResultCode);
        Assert.Equal(2000, (await victimHttp.Retrieve("/cse-in/" + victimId, victimId)).Rsc);
    }

    [Fact]
    public async Task A_registration_asking_for_an_assigned_AE_ID_is_answered_4106()
    {
        var aeId = "Cmqs" + Guid.NewGuid().ToString("N")[..12];
        var secret = await fixture.ProvisionAsync(aeId);
        await using var device = await fixture.ConnectMqttAsync(aeId, aeId, secret);
        await device.SubscribeAsync($"/oneM2M/reg_resp/{aeId}/id-in/json");
        var rqi = NewRqi();

        var response = await device.RequestAsync($"/oneM2M/reg_req/{aeId}/id-in/json",
            Primitive(1, "cse-in", "C", rqi, ty: 2, pc: """{"m2m:ae":{"api":"Nmqtt","rr":false,"srv":["3"]}}"""), rqi);

        Assert.Equal(4106, response.Rsc);
    }
}
