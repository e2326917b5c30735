using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Protocol;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>A remote CSE registers, re-registers and deregisters over the MQTT binding (TS-0010: IDs lose the leading '/').</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttRemoteCseTests(MqttFixture fixture)
{
    [Theory]
    [InlineData("req")]
    [InlineData("reg_req")]
    public async Task A_CSE_registers_reads_and_deregisters_its_remoteCSE(string kind)
    {
        var csi = RemoteCseRegistrationTests.NewCseId();
        var topicId = csi[1..];
        await using var client = await fixture.ConnectAsync(topicId, mqtt5: false);
        await client.SubscribeAsync($"/oneM2M/{(kind == "req" ? "resp" : "reg_resp")}/{topicId}/id-in/json");
        await client.SubscribeAsync(ResponseTopic(topicId));
        var rqi = NewRqi();

        var created = await client.RequestAsync($"/oneM2M/{kind}/{topicId}/id-in/json",
            Primitive(1, "cse-in", csi, rqi, ty: 16, pc: RemoteCseRegistrationTests.CsrBody(csi)), rqi);
        rqi = NewRqi();
        var again = await client.RequestAsync(RequestTopic(topicId), Primitive(1, "cse-in", csi, rqi, ty: 16, pc: RemoteCseRegistrationTests.CsrBody(csi)), rqi);
        rqi = NewRqi();
        var read = await client.RequestAsync(RequestTopic(topicId), Primitive(2, "cse-in/" + topicId, csi, rqi), rqi);
        rqi = NewRqi();
        var deleted = await client.RequestAsync(RequestTopic(topicId), Primitive(4, "cse-in/" + topicId, csi, rqi), rqi);

        Assert.True(created.Rsc == 2001, created.Text);
        Assert.Equal(csi, created.Content!["m2m:csr"]!["csi"]!.GetValue<string>());
        Assert.True(again.Rsc == 4117, again.Text);
        Assert.True(read.Rsc == 2000, read.Text);
        Assert.True(deleted.Rsc == 2002, deleted.Text);
    }

    [Fact]
    public async Task A_request_to_a_registered_CSE_is_forwarded_over_its_poa_and_answered_on_MQTT()
    {
        await using var remote = new NotificationReceiver { AnswerWith = 2000, AnswerContent = """{"m2m:cnt":{"rn":"temp","ri":"cnt9","ty":3}}""" };
        var csi = RemoteCseRegistrationTests.NewCseId();
        var topicId = csi[1..];
        await using var cse = await fixture.ConnectAsync(topicId, mqtt5: false);
        await cse.SubscribeAsync(ResponseTopic(topicId));
        var poa = remote.Url[..remote.Url.LastIndexOf('/')];
        var rqi = NewRqi();
        var registered = await cse.RequestAsync(RequestTopic(topicId), Primitive(1, "cse-in", csi, rqi, ty: 16,
            pc: $$$"""{"m2m:csr":{"csi":"{{{csi}}}","cb":"{{{csi}}}/cse-mn","rr":true,"poa":["{{{poa}}}"]}}"""), rqi);
        Assert.True(registered.Rsc == 2001, registered.Text);
        var aeId = NewAeId();
        await using var device = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(device, aeId);
        rqi = NewRqi();

        var response = await device.RequestAsync(RequestTopic(aeId), Primitive(2, csi + "/cse-mn/app/temp", aeId, rqi), rqi);

        Assert.True(response.Rsc == 2000, response.Text);
        Assert.Equal("cnt9", response.Content!["m2m:cnt"]!["ri"]!.GetValue<string>());
        var forwarded = Assert.Single(remote.Received);
        Assert.Equal(rqi, forwarded.Headers["X-M2M-RI"]);
        Assert.Equal("/id-in/" + aeId, forwarded.Headers["X-M2M-Origin"]);
        Assert.Equal($"/~{csi}/cse-mn/app/temp", forwarded.PathAndQuery);
    }
}
