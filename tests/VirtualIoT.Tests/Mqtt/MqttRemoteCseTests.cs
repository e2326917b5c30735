using System.Globalization;
using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Protocol;
using Xunit.Sdk;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// A remote CSE registers, re-registers and deregisters over the MQTT binding (TS-0010: IDs lose the leading '/'); a
/// request for a CSE whose only point of access is an MQTT broker is published to it there (TS-0010 on Mcc).
/// </summary>
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

    /// <summary>
    /// A CSE reachable only over this broker (its <c>poa</c> is <c>mqtt://</c>): a client holding its CSE-ID, subscribed
    /// to the requests the IN-CSE publishes to it.
    /// </summary>
    private async Task<(string Csi, MqttTestClient Cse)> MqttOnlyCseAsync(string? poa = null)
    {
        var csi = RemoteCseRegistrationTests.NewCseId();
        var cse = await fixture.ConnectAsync(csi[1..], mqtt5: false);
        await cse.SubscribeAsync($"/oneM2M/req/id-in/{csi[1..]}/json");
        poa ??= "mqtt://127.0.0.1:" + fixture.MqttPort.ToString(CultureInfo.InvariantCulture);
        Answered(await fixture.Http.Create("/cse-in", csi, 16, $$$"""{"m2m:csr":{"csi":"{{{csi}}}","cb":"{{{csi}}}/cse-mn","rr":true,"poa":["{{{poa}}}"]}}"""), 2001);
        return (csi, cse);
    }

    private static Task<MqttReceived> ForwardedRequest(MqttTestClient cse, string csi, int occurrence = 1) =>
        cse.WaitForAsync(m => m.Topic == $"/oneM2M/req/id-in/{csi[1..]}/json", "the request forwarded to " + csi, occurrence);

    private static async Task AnswerAsync(MqttTestClient cse, string csi, MqttReceived request, int rsc, string content)
    {
        var rqi = request.Json!["rqi"]!.GetValue<string>();
        await cse.PublishAsync($"/oneM2M/resp/id-in/{csi[1..]}/json",
            $$$"""{"rsc":{{{rsc}}},"rqi":"{{{rqi}}}","rvi":"3","to":"{{{request.Json!["fr"]}}}","fr":"{{{csi}}}","pc":{{{content}}}}""");
    }

    [Fact]
    public async Task A_request_for_a_CSE_reachable_only_by_MQTT_is_published_to_its_broker_with_every_parameter()
    {
        var (csi, cse) = await MqttOnlyCseAsync();
        await using var _ = cse;
        var aeId = await fixture.Http.RegisterAe();

        var pending = fixture.Http.Retrieve($"/~{csi}/cse-mn/app?fu=1&ty=3+4&lbl=a&cra=20250101T000000&sza=5&lim=7&drt=2&colour=red", aeId);
        var forwarded = await ForwardedRequest(cse, csi);
        await AnswerAsync(cse, csi, forwarded, 2000, $$$"""{"m2m:uril":["{{{csi}}}/cse-mn/app/temp"]}""");
        var response = await pending;

        Answered(response, 2000);
        Assert.Equal(csi + "/cse-mn/app/temp", Assert.Single(response.Json!["m2m:uril"]!.AsArray())!.GetValue<string>());
        var primitive = forwarded.Json!.AsObject();
        Assert.Equal(2, primitive["op"]!.GetValue<int>());
        Assert.Equal(csi + "/cse-mn/app", primitive["to"]!.GetValue<string>());
        Assert.Equal("/id-in/" + aeId, primitive["fr"]!.GetValue<string>());
        Assert.Equal(response.SentRequestId, primitive["rqi"]!.GetValue<string>());
        Assert.Equal(2, primitive["drt"]!.GetValue<int>());
        var fc = primitive["fc"]!.AsObject();
        Assert.Equal(1, fc["fu"]!.GetValue<int>());
        Assert.Equal([3, 4], fc["ty"]!.AsArray().Select(t => t!.GetValue<int>()));
        Assert.Equal("a", Assert.Single(fc["lbl"]!.AsArray())!.GetValue<string>());
        Assert.StartsWith("20250101T000000", fc["cra"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(5, fc["sza"]!.GetValue<int>());
        Assert.Equal(7, fc["lim"]!.GetValue<int>());
        var condition = Assert.Single(fc["atr"]!.AsArray())!;
        Assert.Equal("colour", condition["nm"]!.GetValue<string>());
        Assert.Equal("red", condition["val"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_create_for_a_CSE_reachable_only_by_MQTT_carries_its_type_and_content_and_returns_the_answer()
    {
        var (csi, cse) = await MqttOnlyCseAsync();
        await using var _ = cse;
        var aeId = await fixture.Http.RegisterAe();

        var pending = fixture.Http.Create($"/~{csi}/cse-mn/app", aeId, 3, """{"m2m:cnt":{"rn":"temp","mni":5}}""");
        var forwarded = await ForwardedRequest(cse, csi);
        await AnswerAsync(cse, csi, forwarded, 2001, """{"m2m:cnt":{"rn":"temp","ri":"cnt42","ty":3,"mni":5}}""");
        var response = await pending;

        Answered(response, 2001);
        Assert.Equal("cnt42", Text(response.Resource("m2m:cnt"), "ri"));
        var primitive = forwarded.Json!.AsObject();
        Assert.Equal(1, primitive["op"]!.GetValue<int>());
        Assert.Equal(3, primitive["ty"]!.GetValue<int>());
        Assert.Equal("temp", primitive["pc"]!["m2m:cnt"]!["rn"]!.GetValue<string>());
        Assert.Equal(5, primitive["pc"]!["m2m:cnt"]!["mni"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_non_blocking_request_for_a_CSE_reachable_only_by_MQTT_is_held_here_and_forwarded_blocking()
    {
        var (csi, cse) = await MqttOnlyCseAsync();
        await using var _ = cse;
        var aeId = await fixture.Http.RegisterAe();

        var accepted = await fixture.Http.Retrieve($"/~{csi}/cse-mn/app/temp?rt=1", aeId);
        var forwarded = await ForwardedRequest(cse, csi);
        await AnswerAsync(cse, csi, forwarded, 2000, """{"m2m:cnt":{"rn":"temp","ri":"cnt7","ty":3}}""");

        Answered(accepted, 1001);
        Assert.Null(forwarded.Json!["rt"]);
        var requestId = accepted.Json!["m2m:uri"]!.GetValue<string>();
        var deadline = Deadline.In(TimeSpan.FromSeconds(15));
        JsonObject request;
        while (true)
        {
            var read = await fixture.Http.Retrieve("/" + requestId, aeId);
            Answered(read, 2000);
            request = read.Resource("m2m:req");
            if (request["rs"]!.GetValue<int>() != 3)
            {
                break;
            }

            if (deadline.Passed)
            {
                throw new XunitException($"<request> {requestId} still pending: {request}");
            }

            await Task.Delay(20);
        }

        Assert.Equal(1, request["rs"]!.GetValue<int>());
        Assert.Equal(2000, request["ors"]!["rsc"]!.GetValue<int>());
        Assert.Equal("cnt7", request["ors"]!["pc"]!["m2m:cnt"]!["ri"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_request_whose_expiration_passes_before_the_MQTT_answer_is_answered_4008()
    {
        var (csi, cse) = await MqttOnlyCseAsync();
        await using var _ = cse;
        var aeId = await fixture.Http.RegisterAe();
        // Long enough for the request to reach the remote CSE on a loaded machine; the remote never answers.
        var expiration = M2MTime.FromNow(TimeSpan.FromSeconds(5));

        var sent = fixture.Http.Send(HttpMethod.Get, $"/~{csi}/cse-mn/app/temp", aeId, headers: new Dictionary<string, string> { ["X-M2M-RET"] = expiration });
        var forwarded = await ForwardedRequest(cse, csi);
        var response = await sent;

        Answered(response, 4008);
        Assert.Equal(expiration[..15], forwarded.Json!["rqet"]!.GetValue<string>()[..15]);
    }

    [Fact]
    public async Task A_CSE_whose_MQTT_broker_cannot_be_reached_is_answered_5103()
    {
        var (csi, cse) = await MqttOnlyCseAsync("mqtt://127.0.0.1:" + FreePort.Next().ToString(CultureInfo.InvariantCulture));
        await using var _ = cse;

        var response = await fixture.Http.Retrieve($"/~{csi}/cse-mn/app", OneM2MClient.Admin);

        Answered(response, 5103);
    }
}
