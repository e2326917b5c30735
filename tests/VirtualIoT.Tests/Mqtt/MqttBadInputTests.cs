using MQTTnet;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// Bad input over MQTT: answered with an error primitive when the request identifier and the originator are known,
/// dropped (with a metric) otherwise; and the publish rule: no client acts as another connected client.
/// Whether a dropped message got no answer is checked by a probe request on the same connection: one client's
/// messages are handled in order, so once the probe is answered the dropped message has been handled.
/// </summary>
[Collection(MqttCollection.Name)]
public sealed class MqttBadInputTests(MqttFixture fixture)
{
    private static async Task ProbeAsync(MqttTestClient client, string aeId)
    {
        var rqi = NewRqi();
        var probe = await client.RequestAsync(RequestTopic(aeId), Primitive(2, "cse-in/" + aeId, aeId, rqi), rqi);
        Assert.Equal(2000, probe.Rsc);
    }

    private async Task<(MqttTestClient Client, string AeId)> RegisteredDeviceAsync(bool mqtt5 = false)
    {
        var aeId = NewAeId();
        var client = await ConnectDeviceAsync(fixture, aeId, mqtt5);
        await RegisterAsync(client, aeId);
        return (client, aeId);
    }

    [Fact]
    public async Task Malformed_JSON_after_the_rqi_is_answered_4000()
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var rqi = NewRqi();

        var response = await client.RequestAsync(RequestTopic(aeId), $$"""{"rqi":"{{rqi}}","op":2,"to":"cse-in", oops}""", rqi);

        Assert.Equal(4000, response.Rsc);
        Assert.Contains("malformed JSON", response.Content!["m2m:dbg"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"op\":2,\"to\":\"cse-in\", oops}")]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"op\":2,\"to\":\"cse-in\"}")]
    public async Task A_payload_without_a_readable_rqi_is_dropped(string payload)
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var before = fixture.Dropped("unanswerable");

        await client.PublishAsync(RequestTopic(aeId), payload);
        await ProbeAsync(client, aeId);

        Assert.Equal(2, client.Received.Count); // registration and probe answers only
        Assert.True(fixture.Dropped("unanswerable") > before);
    }

    [Fact]
    public async Task Missing_op_is_answered_4000()
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var rqi = NewRqi();

        var response = await client.RequestAsync(RequestTopic(aeId), $$"""{"rqi":"{{rqi}}","to":"cse-in","fr":"{{aeId}}","rvi":"3"}""", rqi);

        Assert.Equal(4000, response.Rsc);
        Assert.Equal("op (operation) is missing", response.Content!["m2m:dbg"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_oversized_payload_is_answered_4000_when_its_rqi_is_found()
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var rqi = NewRqi();
        var big = new string('x', MqttFixture.MaxPayloadBytes);

        var response = await client.RequestAsync(RequestTopic(aeId),
            Primitive(1, $"cse-in/{aeId}", aeId, rqi, ty: 3, pc: $$$"""{"m2m:cnt":{"rn":"big","lbl":["{{{big}}}"]}}"""), rqi);

        Assert.Equal(4000, response.Rsc);
        Assert.Contains("exceeds", response.Content!["m2m:dbg"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(4004, (await fixture.Http.Retrieve($"/cse-in/{aeId}/big", aeId)).Rsc);
    }

    [Fact]
    public async Task An_fr_other_than_the_topic_originator_is_answered_4000()
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var rqi = NewRqi();

        var response = await client.RequestAsync(RequestTopic(aeId), Primitive(2, "cse-in/" + aeId, "CAdmin", rqi), rqi);

        Assert.Equal(4000, response.Rsc);
        Assert.Contains("differs from the originator", response.Content!["m2m:dbg"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_SP_relative_fr_matching_the_topic_originator_is_accepted()
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var rqi = NewRqi();

        var response = await client.RequestAsync(RequestTopic(aeId), Primitive(2, "cse-in/" + aeId, "/id-in/" + aeId, rqi), rqi);

        Assert.Equal(2000, response.Rsc);
        Assert.Equal("/id-in/" + aeId, response.Json!["to"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"rvi":"1"}""", 4001)]
    [InlineData("""{"ty":3}""", 4000)]
    [InlineData("""{"rcn":99}""", 4000)]
    [InlineData("""{"drt":7}""", 4000)]
    [InlineData("""{"fc":{"fu":1,"ty":["x"]}}""", 4000)]
    [InlineData("""{"fc":{"fu":3}}""", 5001)]
    [InlineData("""{"rt":{"rtv":2,"nu":"http://x"}}""", 4000)]
    [InlineData("""{"rt":{"rtv":2,"nu":[7]}}""", 4000)]
    [InlineData("""{"fc":"nope"}""", 4000)]
    [InlineData("""{"op":"seven"}""", 4000)]
    public async Task Invalid_parameters_are_answered_as_HTTP_answers_them(string extra, int expected)
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var rqi = NewRqi();

        var response = await client.RequestAsync(RequestTopic(aeId), Primitive(2, "cse-in/" + aeId, aeId, rqi, extra: extra), rqi);

        Assert.True(response.Rsc == expected, response.Text);
        Assert.NotNull(response.Content!["m2m:dbg"]);
    }

    [Fact]
    public async Task A_create_without_pc_or_with_a_wrong_root_is_answered_4000()
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var rqi1 = NewRqi();
        var rqi2 = NewRqi();

        var missing = await client.RequestAsync(RequestTopic(aeId), Primitive(1, "cse-in/" + aeId, aeId, rqi1, ty: 3), rqi1);
        var wrongRoot = await client.RequestAsync(RequestTopic(aeId),
            Primitive(1, "cse-in/" + aeId, aeId, rqi2, ty: 3, pc: """{"m2m:cin":{"con":"1"}}"""), rqi2);

        Assert.Equal(4000, missing.Rsc);
        Assert.Equal(4000, wrongRoot.Rsc);
    }

    [Fact]
    public async Task A_target_of_another_CSE_is_answered_4004()
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var rqi = NewRqi();

        var response = await client.RequestAsync(RequestTopic(aeId), Primitive(2, "/id-other/cse-in", aeId, rqi), rqi);

        Assert.Equal(4004, response.Rsc);
    }

    [Fact]
    public async Task Only_AE_registrations_are_accepted_on_reg_req()
    {
        var credential = "cred" + Guid.NewGuid().ToString("N")[..8];
        await using var client = await fixture.ConnectAsync(credential);
        await client.SubscribeAsync($"/oneM2M/reg_resp/{credential}/id-in/json");
        var rqi = NewRqi();

        var response = await client.RequestAsync($"/oneM2M/reg_req/{credential}/id-in/json", Primitive(2, "cse-in", "C", rqi), rqi);

        Assert.Equal(4000, response.Rsc);
    }

    [Theory]
    [InlineData("yaml", "unsupported_serialization", MqttClientPublishReasonCode.PayloadFormatInvalid)]
    [InlineData("exi", "unsupported_serialization", MqttClientPublishReasonCode.PayloadFormatInvalid)]
    [InlineData("json/extra", "malformed_topic", MqttClientPublishReasonCode.TopicNameInvalid)]
    [InlineData("", "malformed_topic", MqttClientPublishReasonCode.TopicNameInvalid)]
    public async Task Unknown_suffixes_and_malformed_topics_are_dropped(string suffix, string reason, MqttClientPublishReasonCode expected)
    {
        var (client, aeId) = await RegisteredDeviceAsync(mqtt5: true);
        await using var _ = client;
        await client.SubscribeAsync($"/oneM2M/resp/{aeId}/id-in/#");
        var before = fixture.Dropped(reason);
        var rqi = NewRqi();

        var ack = await client.PublishAsync($"/oneM2M/req/{aeId}/id-in/{suffix}", Primitive(2, "cse-in/" + aeId, aeId, rqi));
        await ProbeAsync(client, aeId);

        Assert.Equal(expected, ack.ReasonCode);
        Assert.False(client.HasReceived(rqi));
        Assert.True(fixture.Dropped(reason) > before);
    }

    [Fact]
    public async Task A_topic_of_an_unknown_kind_under_oneM2M_is_dropped()
    {
        await using var client = await fixture.ConnectAsync("x" + Guid.NewGuid().ToString("N")[..8], mqtt5: true);
        var before = fixture.Dropped("malformed_topic");

        var ack = await client.PublishAsync("/oneM2M/request/Cx/id-in/json", "{}");

        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, ack.ReasonCode);
        Assert.True(fixture.Dropped("malformed_topic") > before);
    }

    [Fact]
    public async Task A_client_cannot_publish_requests_as_another_connected_client()
    {
        var (victim, victimId) = await RegisteredDeviceAsync();
        await using var _ = victim;
        var (attacker, attackerId) = await RegisteredDeviceAsync(mqtt5: true);
        await using var __ = attacker;
        var before = fixture.Dropped("foreign_originator");
        var rqi = NewRqi();

        var ack = await attacker.PublishAsync(RequestTopic(victimId), Primitive(4, "cse-in/" + victimId, victimId, rqi));
        await ProbeAsync(attacker, attackerId);
        await ProbeAsync(victim, victimId);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, ack.ReasonCode);
        Assert.False(victim.HasReceived(rqi));
        Assert.Equal(2000, (await fixture.Http.Retrieve("/cse-in/" + victimId, victimId)).Rsc);
        Assert.True(fixture.Dropped("foreign_originator") > before);
    }

    [Fact]
    public async Task A_client_with_the_A_prefix_holds_its_AE_ID()
    {
        var aeId = NewAeId();
        await using var device = await fixture.ConnectAsync("A::" + aeId);
        await using var attacker = await fixture.ConnectAsync("x" + Guid.NewGuid().ToString("N")[..8], mqtt5: true);

        var ack = await attacker.PublishAsync(RequestTopic(aeId),
            Primitive(1, "cse-in", aeId, NewRqi(), ty: 2, pc: $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nx","rr":false,"srv":["3"]}}"""));

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, ack.ReasonCode);
    }

    [Fact]
    public async Task A_client_holds_the_AE_ID_it_registered_for_as_long_as_it_is_connected()
    {
        var credential = "cred" + Guid.NewGuid().ToString("N")[..8];
        await using var device = await fixture.ConnectAsync(credential);
        await device.SubscribeAsync($"/oneM2M/reg_resp/{credential}/id-in/json");
        var rqi = NewRqi();
        var registered = await device.RequestAsync($"/oneM2M/reg_req/{credential}/id-in/json",
            Primitive(1, "cse-in", "", rqi, ty: 2, pc: """{"m2m:ae":{"api":"Nmqtt","rr":false,"srv":["3"]}}"""), rqi);
        var aei = registered.Content!["m2m:ae"]!["aei"]!.GetValue<string>();
        await using var attacker = await fixture.ConnectAsync("x" + Guid.NewGuid().ToString("N")[..8], mqtt5: true);

        var refused = await attacker.PublishAsync(RequestTopic(aei), Primitive(4, "cse-in/" + aei, aei, NewRqi()));
        await device.SubscribeAsync(ResponseTopic(aei));
        rqi = NewRqi();
        var own = await device.RequestAsync(RequestTopic(aei), Primitive(2, aei, aei, rqi), rqi);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, refused.ReasonCode);
        Assert.Equal(2000, own.Rsc);
    }

    [Theory]
    [InlineData("/oneM2M/resp/{0}/id-in/json")]
    [InlineData("/oneM2M/reg_resp/{0}/id-in/json")]
    [InlineData("/oneM2M/req/id-in/{0}/json")]
    public async Task A_client_cannot_publish_on_topics_only_the_CSE_publishes_on(string pattern)
    {
        var (victim, victimId) = await RegisteredDeviceAsync();
        await using var _ = victim;
        await victim.SubscribeAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, victimId));
        await using var attacker = await fixture.ConnectAsync("x" + Guid.NewGuid().ToString("N")[..8], mqtt5: true);
        var rqi = NewRqi();

        var ack = await attacker.PublishAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, victimId),
            $$"""{"rsc":2000,"rqi":"{{rqi}}","fr":"/id-in"}""");
        await ProbeAsync(victim, victimId);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, ack.ReasonCode);
        Assert.False(victim.HasReceived(rqi));
    }

    [Theory]
    [InlineData("id-in")]
    [InlineData("C::id-in")]
    public async Task A_client_cannot_connect_with_the_CSE_s_own_ID(string clientId)
    {
        var result = await MqttTestClient.TryConnectAsync(fixture.MqttPort, clientId);

        Assert.Contains(nameof(MqttClientConnectResultCode.ClientIdentifierNotValid), result, StringComparison.Ordinal);
    }
}
