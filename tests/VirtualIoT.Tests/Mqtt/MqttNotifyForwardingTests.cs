using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// A NOTIFY addressed to an AE connected over MQTT is forwarded as a request primitive on the AE's notification topic;
/// the AE's response primitive is the answer the originator gets, whichever binding it used.
/// </summary>
[Collection(MqttNotificationCollection.Name)]
public sealed class MqttNotifyForwardingTests(MqttNotificationFixture fixture)
{
    private static string NotificationTopic(string aeId) => $"/oneM2M/req/id-in/{aeId}/json";

    /// <summary>Connects <paramref name="aeId"/>, listens for its responses and notifications, and registers it.</summary>
    private async Task<MqttTestClient> RegisteredDeviceAsync(string aeId)
    {
        var device = await fixture.ConnectAsync(aeId);
        await device.SubscribeAsync(MqttBindingTests.ResponseTopic(aeId));
        await device.SubscribeAsync(NotificationTopic(aeId));
        var rqi = MqttBindingTests.NewRqi();
        var registered = await device.RequestAsync(MqttBindingTests.RequestTopic(aeId), MqttBindingTests.Primitive(1, "cse-in", aeId, rqi, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nmqtt","rr":true,"srv":["3"]}}"""), rqi);
        Assert.Equal(2001, registered.Rsc);
        return device;
    }

    /// <summary>An external NOTIFY to the AE, sent over HTTP; completes with the CSE's answer.</summary>
    private Task<OneM2MResponse> SendNotifyAsync(string aeId) =>
        fixture.Http.Send(HttpMethod.Post, "/cse-in/" + aeId, OneM2MClient.Admin,
            """{"m2m:sgn":{"nev":{"rep":{"m2m:uri":"x"},"net":3},"sur":"/id-in/subExternal"}}""", "application/json");

    [Fact]
    public async Task A_notify_to_a_connected_AE_is_published_to_it_and_its_answer_returned()
    {
        var aeId = MqttBindingTests.NewAeId();
        await using var device = await RegisteredDeviceAsync(aeId);
        var pending = SendNotifyAsync(aeId);
        var forwarded = await device.WaitForAsync(m => m.Topic == NotificationTopic(aeId), "the forwarded NOTIFY");
        await device.PublishAsync($"/oneM2M/resp/id-in/{aeId}/json",
            $$$"""{"rsc":2000,"rqi":"{{{forwarded.Json!["rqi"]!.GetValue<string>()}}}","rvi":"3","to":"/id-in","fr":"{{{aeId}}}"}""");
        var response = await pending;

        Assert.Equal(5, forwarded.Json!["op"]!.GetValue<int>());
        Assert.Equal("x", forwarded.Json["pc"]!["m2m:sgn"]!["nev"]!["rep"]!["m2m:uri"]!.GetValue<string>());
        Assert.Equal(2000, response.Rsc);
    }

    [Fact]
    public async Task The_content_of_a_connected_AE_s_answer_is_relayed_to_the_originator()
    {
        var aeId = MqttBindingTests.NewAeId();
        await using var device = await RegisteredDeviceAsync(aeId);
        var pending = SendNotifyAsync(aeId);
        var forwarded = await device.WaitForAsync(m => m.Topic == NotificationTopic(aeId), "the forwarded NOTIFY");
        await device.PublishAsync($"/oneM2M/resp/id-in/{aeId}/json",
            $$$"""{"rsc":4005,"rqi":"{{{forwarded.Json!["rqi"]!.GetValue<string>()}}}","rvi":"3","to":"/id-in","fr":"{{{aeId}}}","pc":{"m2m:dbg":"not now"}}""");
        var response = await pending;

        Assert.Equal(4005, response.Rsc);
        Assert.Equal("not now", response.Json!["m2m:dbg"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_originator_over_MQTT_gets_the_content_an_AE_answered_at_its_poa()
    {
        await using var receiver = new NotificationReceiver { AnswerContent = """{"m2m:uri":"from-the-poa"}""" };
        var target = "Cfwdpoa" + Guid.NewGuid().ToString("N")[..10];
        var created = await fixture.Http.Create("/cse-in", target, 2,
            $$$"""{"m2m:ae":{"rn":"{{{target}}}","api":"Nfwd","rr":true,"srv":["3"],"poa":["{{{receiver.Url}}}"]}}""");
        Assert.Equal(2001, created.Rsc);
        var originator = MqttBindingTests.NewAeId();
        await using var device = await fixture.ConnectAsync(originator);
        await device.SubscribeAsync(MqttBindingTests.ResponseTopic(originator));
        var rqi = MqttBindingTests.NewRqi();
        var registered = await device.RequestAsync(MqttBindingTests.RequestTopic(originator), MqttBindingTests.Primitive(1, "cse-in", originator, rqi, 2,
            $$$"""{"m2m:ae":{"rn":"{{{originator}}}","api":"Nmqtt","rr":true,"srv":["3"]}}"""), rqi);
        Assert.Equal(2001, registered.Rsc);
        var acpName = "acpfwd" + Guid.NewGuid().ToString("N")[..10];
        var acp = await fixture.Http.Create("/cse-in", OneM2MClient.Admin, 1,
            $$$$"""{"m2m:acp":{"rn":"{{{{acpName}}}}","pv":{"acr":[{"acor":["{{{{originator}}}}"],"acop":16}]},"pvs":{"acr":[{"acor":["{{{{OneM2MClient.Admin}}}}"],"acop":63}]}}}""");
        Assert.Equal(2001, acp.Rsc);
        var granted = await fixture.Http.Update("/cse-in/" + target, OneM2MClient.Admin,
            $$$"""{"m2m:ae":{"acpi":["{{{acp.Json!["m2m:acp"]!["ri"]!.GetValue<string>()}}}"]}}""");
        Assert.Equal(2004, granted.Rsc);

        var notifyRqi = MqttBindingTests.NewRqi();
        var response = await device.RequestAsync(MqttBindingTests.RequestTopic(originator), MqttBindingTests.Primitive(5, "cse-in/" + target, originator, notifyRqi, null,
            """{"m2m:sgn":{"nev":{"rep":{"m2m:uri":"y"},"net":3},"sur":"/id-in/subExternal"}}"""), notifyRqi);

        Assert.Equal(2000, response.Rsc);
        Assert.Equal("from-the-poa", response.Content!["m2m:uri"]!.GetValue<string>());
    }
}
