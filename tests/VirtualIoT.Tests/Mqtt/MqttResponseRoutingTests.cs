using MQTTnet.Protocol;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// The CSE's answers go straight into the subscribing session instead of through the broker's dispatch, with the
/// result a plain broker gives: once per session, at the highest QoS of its matching subscriptions (capped at the
/// answer's QoS 1); nothing while the device is not subscribed (the request is still carried out); to the new session
/// after a reconnect with a clean session, once it subscribes again.
/// </summary>
[Collection(MqttCollection.Name)]
public sealed class MqttResponseRoutingTests(MqttFixture fixture)
{
    [Fact]
    public async Task An_answer_reaches_a_session_once_at_the_highest_QoS_of_its_matching_subscriptions()
    {
        var aeId = NewAeId();
        await using var client = await fixture.ConnectAsync(aeId);
        await client.SubscribeAsync($"/oneM2M/resp/{aeId}/#", MqttQualityOfServiceLevel.AtMostOnce);
        await client.SubscribeAsync(ResponseTopic(aeId), MqttQualityOfServiceLevel.ExactlyOnce);

        var registered = await RegisterAsync(client, aeId);
        var rqi = NewRqi();
        var retrieved = await client.RequestAsync(RequestTopic(aeId), Primitive(2, "cse-in/" + aeId, aeId, rqi), rqi);

        // One session's messages arrive in order: a second copy of the first answer would have come before the second.
        Assert.Equal(2000, retrieved.Rsc);
        var registrationRqi = registered.Json!["rqi"]!.GetValue<string>();
        Assert.Equal(1, client.Count(m => m.Json?["rqi"]?.GetValue<string>() == registrationRqi));
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, registered.QualityOfService);
    }

    [Fact]
    public async Task A_subscription_at_QoS_0_gets_its_answers_at_QoS_0()
    {
        var aeId = NewAeId();
        await using var client = await fixture.ConnectAsync(aeId);
        await client.SubscribeAsync(ResponseTopic(aeId), MqttQualityOfServiceLevel.AtMostOnce);

        var registered = await RegisterAsync(client, aeId);

        Assert.Equal(MqttQualityOfServiceLevel.AtMostOnce, registered.QualityOfService);
    }

    [Fact]
    public async Task After_an_unsubscribe_requests_are_carried_out_unanswered_until_the_device_subscribes_again()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        await client.UnsubscribeAsync(ResponseTopic(aeId));

        // The broker takes one client's packets in order and the CSE answers a request before it reads the next.
        var unanswered = NewRqi();
        await client.PublishAsync(RequestTopic(aeId), Primitive(1, "cse-in/" + aeId, aeId, unanswered, ty: 3, pc: """{"m2m:cnt":{"rn":"quiet"}}"""));
        await client.SubscribeAsync(ResponseTopic(aeId));
        var rqi = NewRqi();
        var retrieved = await client.RequestAsync(RequestTopic(aeId), Primitive(2, $"cse-in/{aeId}/quiet", aeId, rqi), rqi);

        Assert.Equal(2000, retrieved.Rsc);
        Assert.False(client.HasReceived(unanswered), "an answer reached a device that was not subscribed to its response topic");
    }

    [Fact]
    public async Task A_device_that_reconnects_with_a_clean_session_gets_answers_once_it_subscribes_again()
    {
        var aeId = NewAeId();
        await using var first = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(first, aeId);

        // The same client ID again, clean session: it takes over, and the first session's subscription is gone.
        await using var second = await fixture.ConnectAsync(aeId);
        var unanswered = NewRqi();
        await second.PublishAsync(RequestTopic(aeId), Primitive(2, "cse-in/" + aeId, aeId, unanswered));
        await second.SubscribeAsync(ResponseTopic(aeId));
        var rqi = NewRqi();
        var retrieved = await second.RequestAsync(RequestTopic(aeId), Primitive(2, "cse-in/" + aeId, aeId, rqi), rqi);

        Assert.Equal(2000, retrieved.Rsc);
        Assert.False(second.HasReceived(unanswered), "an answer reached a session that had not subscribed");
        Assert.False(first.HasReceived(unanswered) || first.HasReceived(rqi), "an answer reached the session that was taken over");
    }

    [Fact]
    public async Task A_watcher_subscribed_to_a_device_s_response_topic_gets_its_answers_too()
    {
        // As the MQTT page's example does with mosquitto_sub (a client of another ID, authentication off).
        var aeId = NewAeId();
        await using var watcher = await fixture.ConnectAsync("watch" + Guid.NewGuid().ToString("N")[..8]);
        await watcher.SubscribeAsync(ResponseTopic(aeId));
        await using var device = await ConnectDeviceAsync(fixture, aeId);

        var registered = await RegisterAsync(device, aeId);

        var rqi = registered.Json!["rqi"]!.GetValue<string>();
        var watched = await watcher.WaitForAsync(m => m.Json?["rqi"]?.GetValue<string>() == rqi, "the registration's answer");
        Assert.Equal(2001, watched.Rsc);
    }
}
