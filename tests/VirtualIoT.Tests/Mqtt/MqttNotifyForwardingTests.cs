using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// A NOTIFY addressed to an AE connected over MQTT is forwarded as a request primitive on the AE's notification topic;
/// the AE's response primitive is the answer the originator gets, whichever binding it used.
/// </summary>
[Collection(MqttNotificationCollection.Name)]
public sealed class MqttNotifyForwardingTests(MqttNotificationFixture fixture)
{
    [Fact]
    public async Task A_notify_to_a_connected_AE_is_published_to_it_and_its_answer_returned()
    {
        var aeId = MqttBindingTests.NewAeId();
        await using var device = await fixture.ConnectAsync(aeId);
        await device.SubscribeAsync(MqttBindingTests.ResponseTopic(aeId));
        var notificationTopic = $"/oneM2M/req/id-in/{aeId}/json";
        await device.SubscribeAsync(notificationTopic);
        var rqi = MqttBindingTests.NewRqi();
        var registered = await device.RequestAsync(MqttBindingTests.RequestTopic(aeId), MqttBindingTests.Primitive(1, "cse-in", aeId, rqi, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nmqtt","rr":true,"srv":["3"]}}"""), rqi);
        Assert.Equal(2001, registered.Rsc);

        var pending = fixture.Http.Send(HttpMethod.Post, "/cse-in/" + aeId, OneM2MClient.Admin,
            """{"m2m:sgn":{"nev":{"rep":{"m2m:uri":"x"},"net":3},"sur":"/id-in/subExternal"}}""", "application/json");
        var forwarded = await device.WaitForAsync(m => m.Topic == notificationTopic, "the forwarded NOTIFY");
        await device.PublishAsync($"/oneM2M/resp/id-in/{aeId}/json",
            $$$"""{"rsc":2000,"rqi":"{{{forwarded.Json!["rqi"]!.GetValue<string>()}}}","rvi":"3","to":"/id-in","fr":"{{{aeId}}}"}""");
        var response = await pending;

        Assert.Equal(5, forwarded.Json!["op"]!.GetValue<int>());
        Assert.Equal("x", forwarded.Json["pc"]!["m2m:sgn"]!["nev"]!["rep"]!["m2m:uri"]!.GetValue<string>());
        Assert.Equal(2000, response.Rsc);
    }
}
