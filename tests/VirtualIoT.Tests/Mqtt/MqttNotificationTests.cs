using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// Notifications to AEs over MQTT (TS-0010 6.4): a device connected to a gateway's broker gets each notification as
/// a request primitive on <c>/oneM2M/req/id-in/&lt;AE-ID&gt;/json</c>, and its response primitive on
/// <c>/oneM2M/resp/id-in/&lt;AE-ID&gt;/json</c> completes the delivery, whichever of the cluster's gateways it is
/// connected to. Delivery is proven by <c>exc</c> 1: the subscription ends once one notification is delivered.
/// </summary>
[Collection(MqttNotificationCollection.Name)]
public sealed class MqttNotificationTests(MqttNotificationFixture fixture)
{
    internal static string NotificationTopic(string aeId, string prefix = "") => $"{prefix}/oneM2M/req/id-in/{aeId}/json";

    private static string AnswerTopic(string aeId, string prefix = "") => $"{prefix}/oneM2M/resp/id-in/{aeId}/json";

    internal static bool IsEvent(MqttReceived message, string topic) =>
        message.Topic == topic && message.Json?["pc"]?["m2m:sgn"]?["nev"] is not null;

    private static bool IsVerification(MqttReceived message, string topic) =>
        message.Topic == topic && message.Json?["pc"]?["m2m:sgn"]?["vrq"] is not null;

    internal static string Rqi(MqttReceived message) => message.Json!["rqi"]!.GetValue<string>();

    /// <summary>Connects <paramref name="aeId"/>, listens for notifications and registers it with a container "temp".</summary>
    internal static async Task<MqttTestClient> DeviceAsync(Func<string, Task<MqttTestClient>> connect, string aeId,
        string notificationTopic, string poa = "")
    {
        var device = await connect(aeId);
        await device.SubscribeAsync(MqttBindingTests.ResponseTopic(aeId));
        await device.SubscribeAsync(notificationTopic);
        var registration = await RequestAsync(device, aeId, 1, "cse-in", 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nmqtt","rr":false,"srv":["3"]{{{poa}}}}}""");
        Assert.True(registration.Rsc == 2001, registration.Text);
        var container = await RequestAsync(device, aeId, 1, $"cse-in/{aeId}", 3, """{"m2m:cnt":{"rn":"temp"}}""");
        Assert.True(container.Rsc == 2001, container.Text);
        return device;
    }

    private static Task<MqttReceived> RequestAsync(MqttTestClient device, string aeId, int op, string to, int? ty = null, string? pc = null)
    {
        var rqi = MqttBindingTests.NewRqi();
        return device.RequestAsync(MqttBindingTests.RequestTopic(aeId), MqttBindingTests.Primitive(op, to, aeId, rqi, ty, pc), rqi);
    }

    /// <summary>The device subscribes to its own container: <c>nu</c> = its AE-ID, one delivered notification at most.</summary>
    internal static async Task SubscribeAsync(MqttTestClient device, string aeId)
    {
        var response = await RequestAsync(device, aeId, 1, $"cse-in/{aeId}/temp", 23,
            $$$"""{"m2m:sub":{"rn":"watch","nu":["{{{aeId}}}"],"enc":{"net":[3]},"exc":1}}""");
        Assert.True(response.Rsc == 2001, response.Text);
    }

    internal static Task AnswerAsync(MqttTestClient device, string aeId, string rqi, int rsc = 2000, string prefix = "") =>
        device.PublishAsync(AnswerTopic(aeId, prefix), $$$"""{"rsc":{{{rsc}}},"rqi":"{{{rqi}}}","rvi":"3","to":"/id-in","fr":"{{{aeId}}}"}""");

    private Task CreateInstanceAsync(string aeId, string con = "21.5") => CreateInstanceAsync(fixture, aeId, con);

    internal static Task CreateInstanceAsync(MqttNotificationFixture fixture, string aeId, string con = "21.5") =>
        fixture.Http.CreateInstance($"/cse-in/{aeId}/temp", OneM2MClient.Admin, con);

    private Task AssertDeliveredAsync(string aeId) => AssertDeliveredAsync(fixture, aeId);

    /// <summary>Waits until the subscription is gone: its one notification was delivered (<c>exc</c> 1).</summary>
    internal static async Task AssertDeliveredAsync(MqttNotificationFixture fixture, string aeId)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(15));
        while (true)
        {
            var response = await fixture.Http.Retrieve($"/cse-in/{aeId}/temp/watch", OneM2MClient.Admin);
            if (response.Rsc == 4004)
            {
                return;
            }

            Assert.True(!deadline.Passed, $"the subscription of {aeId} still exists: its notification was not delivered");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Connected_AE_gets_the_notification_as_a_request_primitive_and_its_response_completes_the_delivery()
    {
        var aeId = MqttBindingTests.NewAeId();
        var topic = NotificationTopic(aeId);
        await using var device = await DeviceAsync(fixture.ConnectAsync, aeId, topic);
        await SubscribeAsync(device, aeId);

        await CreateInstanceAsync(aeId, "22.1");
        var notification = await device.WaitForAsync(m => IsEvent(m, topic), "the notification");
        await AnswerAsync(device, aeId, Rqi(notification));

        await AssertDeliveredAsync(aeId);
        var primitive = notification.Json!.AsObject();
        Assert.Equal(5, primitive["op"]!.GetValue<int>());
        Assert.Equal(aeId, primitive["to"]!.GetValue<string>());
        Assert.Equal("/id-in", primitive["fr"]!.GetValue<string>());
        Assert.Equal("3", primitive["rvi"]!.GetValue<string>());
        var signal = primitive["pc"]!["m2m:sgn"]!;
        Assert.Equal(3, signal["nev"]!["net"]!.GetValue<int>());
        Assert.Equal("22.1", signal["nev"]!["rep"]!["m2m:cin"]!["con"]!.GetValue<string>());
        Assert.EndsWith(":" + signal["sur"]!.GetValue<string>()["/id-in/".Length..], Rqi(notification), StringComparison.Ordinal);

        // nu = the originator: no verification request (TS-0004 7.4.8.2.1), and one notification only.
        Assert.Equal(0, device.Count(m => IsVerification(m, topic)));
        Assert.Equal(1, device.Count(m => m.Topic == topic));
    }

    [Fact]
    public async Task Verification_request_to_a_connected_AE_goes_over_MQTT_and_its_answer_decides_the_create()
    {
        var aeId = MqttBindingTests.NewAeId();
        var topic = NotificationTopic(aeId);
        await using var device = await DeviceAsync(fixture.ConnectAsync, aeId, topic);

        // Another originator names the AE as notification target: the AE must confirm it.
        var accepted = fixture.Http.Create($"/cse-in/{aeId}/temp", OneM2MClient.Admin, 23,
            $$$"""{"m2m:sub":{"rn":"ok","nu":["{{{aeId}}}"],"enc":{"net":[3]} } }""");
        var verification = await device.WaitForAsync(m => IsVerification(m, topic), "the verification request");
        await AnswerAsync(device, aeId, Rqi(verification));
        Assert.Equal(2001, (await accepted).Rsc);

        var refused = fixture.Http.Create($"/cse-in/{aeId}/temp", OneM2MClient.Admin, 23,
            $$$"""{"m2m:sub":{"rn":"refused","nu":["{{{aeId}}}"],"enc":{"net":[3]} } }""");
        var second = await device.WaitForAsync(m => IsVerification(m, topic), "the second verification request", occurrence: 2);
        await AnswerAsync(device, aeId, Rqi(second), rsc: 4101);
        Assert.Equal(5204, (await refused).Rsc);

        var signal = verification.Json!["pc"]!["m2m:sgn"]!;
        Assert.True(signal["vrq"]!.GetValue<bool>());
        Assert.Equal(OneM2MClient.Admin, signal["cr"]!.GetValue<string>());
        Assert.Equal(5, verification.Json!["op"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_subscriber_over_MQTT_may_name_a_connected_AE_only_once_it_grants_NOTIFY()
    {
        var aeId = MqttBindingTests.NewAeId();
        var topic = NotificationTopic(aeId);
        await using var device = await DeviceAsync(fixture.ConnectAsync, aeId, topic);
        var subscriberId = MqttBindingTests.NewAeId();
        await using var subscriber = await DeviceAsync(fixture.ConnectAsync, subscriberId, NotificationTopic(subscriberId));
        var subscription = $$$"""{"m2m:sub":{"rn":"watch","nu":["{{{aeId}}}"],"enc":{"net":[3]} } }""";

        // The device's default rule lets only itself notify it: refused before any verification request.
        var refused = await RequestAsync(subscriber, subscriberId, 1, $"cse-in/{subscriberId}/temp", 23, subscription);
        Assert.True(refused.Rsc == 5204, refused.Text);

        var policy = await RequestAsync(device, aeId, 1, $"cse-in/{aeId}", 1, $$$$"""
            {"m2m:acp":{"pv":{"acr":[{"acor":["{{{{subscriberId}}}}"],"acop":16},{"acor":["{{{{aeId}}}}"],"acop":63}]},
             "pvs":{"acr":[{"acor":["{{{{aeId}}}}"],"acop":63}]}}}
            """);
        Assert.True(policy.Rsc == 2001, policy.Text);
        var acpi = policy.Json!["pc"]!["m2m:acp"]!["ri"]!.GetValue<string>();
        var linked = await RequestAsync(device, aeId, 3, $"cse-in/{aeId}", null, $$$"""{"m2m:ae":{"acpi":["{{{acpi}}}"]}}""");
        Assert.True(linked.Rsc == 2004, linked.Text);

        var accepted = RequestAsync(subscriber, subscriberId, 1, $"cse-in/{subscriberId}/temp", 23, subscription);
        var verification = await device.WaitForAsync(m => IsVerification(m, topic), "the verification request");
        await AnswerAsync(device, aeId, Rqi(verification));
        Assert.Equal(2001, (await accepted).Rsc);
        Assert.Equal(subscriberId, verification.Json!["pc"]!["m2m:sgn"]!["cr"]!.GetValue<string>());
        Assert.Equal(1, device.Count(m => IsVerification(m, topic)));
    }

    [Fact]
    public async Task Device_that_does_not_answer_gets_the_same_notification_again()
    {
        var aeId = MqttBindingTests.NewAeId();
        var topic = NotificationTopic(aeId);
        await using var device = await DeviceAsync(fixture.ConnectAsync, aeId, topic);
        await SubscribeAsync(device, aeId);

        await CreateInstanceAsync(aeId);
        var first = await device.WaitForAsync(m => IsEvent(m, topic), "the notification");
        var retry = await device.WaitForAsync(m => IsEvent(m, topic), "the retried notification", occurrence: 2);
        await AnswerAsync(device, aeId, Rqi(retry));

        await AssertDeliveredAsync(aeId);
        Assert.Equal(Rqi(first), Rqi(retry));
        Assert.Equal(first.Json!["pc"]!.ToJsonString(), retry.Json!["pc"]!.ToJsonString());
    }

    [Fact]
    public async Task Notification_to_a_disconnected_AE_is_retried_and_delivered_after_it_reconnects()
    {
        var aeId = MqttBindingTests.NewAeId();
        var topic = NotificationTopic(aeId);
        var device = await DeviceAsync(fixture.ConnectAsync, aeId, topic);
        await SubscribeAsync(device, aeId);
        await device.DisposeAsync();

        await CreateInstanceAsync(aeId, "while away");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var stillThere = await fixture.Http.Retrieve($"/cse-in/{aeId}/temp/watch", OneM2MClient.Admin);
        await using var reconnected = await fixture.ConnectAsync(aeId);
        await reconnected.SubscribeAsync(topic);
        var notification = await reconnected.WaitForAsync(m => IsEvent(m, topic), "the notification after reconnecting");
        await AnswerAsync(reconnected, aeId, Rqi(notification));

        await AssertDeliveredAsync(aeId);
        Assert.Equal(2000, stillThere.Rsc);
        Assert.Equal("while away", notification.Json!["pc"]!["m2m:sgn"]!["nev"]!["rep"]!["m2m:cin"]!["con"]!.GetValue<string>());
    }

    [Fact]
    public async Task AE_connected_to_the_second_gateway_gets_its_notification_there_and_only_there()
    {
        var aeId = MqttBindingTests.NewAeId();
        var topic = NotificationTopic(aeId);
        await using var spy = await fixture.ConnectAsync("spy" + aeId);
        await spy.SubscribeAsync("/oneM2M/req/id-in/#");
        await using var device = await DeviceAsync(fixture.ConnectToSecondAsync, aeId, topic);
        await SubscribeAsync(device, aeId);

        // Made through the silo's own gateway; delivered through the standalone one holding the connection.
        await CreateInstanceAsync(aeId);
        var notification = await device.WaitForAsync(m => IsEvent(m, topic), "the notification on the second gateway");
        await AnswerAsync(device, aeId, Rqi(notification));

        await AssertDeliveredAsync(aeId);
        Assert.Equal(0, spy.Count(m => m.Topic == topic));
    }

    [Fact]
    public async Task Mqtt_poa_path_is_prepended_to_the_notification_topics()
    {
        var aeId = MqttBindingTests.NewAeId();
        const string prefix = "/site7";
        var topic = NotificationTopic(aeId, prefix);
        await using var device = await DeviceAsync(fixture.ConnectAsync, aeId, topic,
            poa: $$$""","poa":["mqtt://127.0.0.1:{{{fixture.MqttPort}}}{{{prefix}}}"]""");
        await SubscribeAsync(device, aeId);

        await CreateInstanceAsync(aeId);
        var notification = await device.WaitForAsync(m => IsEvent(m, topic), "the notification under the poa path");
        await AnswerAsync(device, aeId, Rqi(notification), prefix: prefix);

        await AssertDeliveredAsync(aeId);
    }

    [Fact]
    public async Task Connected_AE_that_stays_silent_is_notified_at_its_http_poa_next()
    {
        await using var receiver = new NotificationReceiver();
        var aeId = MqttBindingTests.NewAeId();
        var topic = NotificationTopic(aeId);
        await using var device = await DeviceAsync(fixture.ConnectAsync, aeId, topic, poa: $$$""","poa":["{{{receiver.Url}}}"]""");
        await SubscribeAsync(device, aeId);

        await CreateInstanceAsync(aeId);
        var overMqtt = await device.WaitForAsync(m => IsEvent(m, topic), "the notification over MQTT");
        var overHttp = await receiver.WaitFor(r => r.Any(n => n.Signal?["nev"] is not null), "the notification over HTTP");

        await AssertDeliveredAsync(aeId);
        Assert.Equal(Rqi(overMqtt), overHttp.Single(n => n.Signal?["nev"] is not null).Headers["X-M2M-RI"]);
    }

    [Fact]
    public async Task A_latestNotify_batch_over_MQTT_carries_event_category_4_in_its_primitive()
    {
        var aeId = MqttBindingTests.NewAeId();
        var topic = NotificationTopic(aeId);
        await using var device = await DeviceAsync(fixture.ConnectAsync, aeId, topic);
        var subscribed = await RequestAsync(device, aeId, 1, $"cse-in/{aeId}/temp", 23,
            $$$"""{"m2m:sub":{"rn":"latest","nu":["{{{aeId}}}"],"enc":{"net":[3]},"bn":{"num":2},"ln":true}}""");
        Assert.True(subscribed.Rsc == 2001, subscribed.Text);

        await CreateInstanceAsync(aeId, "first");
        await CreateInstanceAsync(aeId, "second");
        var batch = await device.WaitForAsync(m => m.Topic == topic && m.Json?["pc"]?["m2m:agn"] is not null, "the latestNotify batch");
        await AnswerAsync(device, aeId, Rqi(batch));

        Assert.Equal(4, batch.Json!["ec"]!.GetValue<int>());
        var signal = Assert.Single(batch.Json["pc"]!["m2m:agn"]!["m2m:sgn"]!.AsArray());
        Assert.Equal("second", signal!["nev"]!["rep"]!["m2m:cin"]!["con"]!.GetValue<string>());
    }
}
