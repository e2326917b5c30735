using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// A polling channel over MQTT, as over HTTP (<c>Protocol/PollingChannelTests</c>): the AE creates it, long-polls
/// <c>pcu</c> with a request primitive (4008 when nothing comes before <c>rqet</c>), and answers a request it took
/// with a NOTIFY of <c>m2m:rsp</c> to <c>pcu</c>. The device here never answers on its notification topic, so a
/// request for it is queued on its channel once the connection route has had no answer.
/// </summary>
[Collection(MqttNotificationCollection.Name)]
public sealed class MqttPollingChannelTests(MqttNotificationFixture fixture)
{
    private async Task<(MqttTestClient Device, string AeId, string Pcu)> DeviceWithChannelAsync()
    {
        var aeId = NewAeId();
        var device = await fixture.ConnectAsync(aeId);
        await device.SubscribeAsync(ResponseTopic(aeId));
        var rqi = NewRqi();
        var registered = await device.RequestAsync(RequestTopic(aeId), Primitive(1, "cse-in", aeId, rqi, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nmqtt","rr":false,"srv":["3"]}}"""), rqi);
        Assert.Equal(2001, registered.Rsc);
        rqi = NewRqi();
        var channel = await device.RequestAsync(RequestTopic(aeId), Primitive(1, "cse-in/" + aeId, aeId, rqi, 15, """{"m2m:pch":{"rn":"pch"}}"""), rqi);
        Assert.True(channel.Rsc == 2001, channel.Text);
        return (device, aeId, $"cse-in/{aeId}/pch/pcu");
    }

    [Fact]
    public async Task A_poll_with_nothing_queued_answers_4008_at_rqet()
    {
        var (device, aeId, pcu) = await DeviceWithChannelAsync();
        await using var _ = device;
        var rqi = NewRqi();

        var polled = await device.RequestAsync(RequestTopic(aeId), Primitive(2, pcu, aeId, rqi, extra: """{"rqet":"1000"}"""), rqi);

        Assert.True(polled.Rsc == 4008, polled.Text);
        Assert.NotNull(polled.Content!["m2m:dbg"]);
    }

    [Fact]
    public async Task A_notify_forwarded_to_the_device_is_polled_and_answered_over_mqtt()
    {
        var (device, aeId, pcu) = await DeviceWithChannelAsync();
        await using var _ = device;
        var pollRqi = NewRqi();
        var polling = device.RequestAsync(RequestTopic(aeId), Primitive(2, pcu, aeId, pollRqi, extra: """{"rqet":"PT20S"}"""), pollRqi);

        var forwarding = fixture.Http.Send(HttpMethod.Post, "/cse-in/" + aeId, OneM2MClient.Admin,
            """{"m2m:sgn":{"nev":{"rep":{"m2m:uri":"x"},"net":3},"sur":"/id-in/subExternal"}}""", "application/json");
        var polled = await polling;
        var rqp = polled.Content!["m2m:rqp"]!;
        var answerRqi = NewRqi();
        var answered = await device.RequestAsync(RequestTopic(aeId), Primitive(5, pcu, aeId, answerRqi,
            pc: $$$"""{"m2m:rsp":{"rsc":2000,"rqi":"{{{rqp["rqi"]!.GetValue<string>()}}}","rvi":"3"}}"""), answerRqi);
        var forwarded = await forwarding;

        Assert.True(polled.Rsc == 2000, polled.Text);
        Assert.Equal("x", rqp["pc"]!["m2m:sgn"]!["nev"]!["rep"]!["m2m:uri"]!.GetValue<string>());
        Assert.True(answered.Rsc == 2000, answered.Text);
        Assert.Equal(2000, forwarded.Rsc);
    }
}
