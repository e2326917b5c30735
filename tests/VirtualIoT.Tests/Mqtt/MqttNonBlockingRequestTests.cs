using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Sdk;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// Non-blocking requests over MQTT, as over HTTP (<c>Protocol/NonBlockingRequestTests</c>): <c>rt</c>
/// <c>{"rtv":1}</c> answers 1001 with the <c>&lt;request&gt;</c>'s ID, retrieved later over MQTT; <c>{"rtv":2}</c>
/// answers 1002 and publishes the result (<c>m2m:rsp</c>) to the originator's connection when <c>rt.nu</c> is absent.
/// </summary>
[Collection(MqttNotificationCollection.Name)]
public sealed class MqttNonBlockingRequestTests(MqttNotificationFixture fixture)
{
    private async Task<(MqttTestClient Device, string AeId)> RegisteredDeviceAsync()
    {
        var aeId = NewAeId();
        var device = await fixture.ConnectAsync(aeId);
        await device.SubscribeAsync(ResponseTopic(aeId));
        await device.SubscribeAsync($"/oneM2M/req/id-in/{aeId}/json");
        var rqi = NewRqi();
        var registered = await device.RequestAsync(RequestTopic(aeId), Primitive(1, "cse-in", aeId, rqi, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nmqtt","rr":true,"srv":["3"]}}"""), rqi);
        Assert.Equal(2001, registered.Rsc);
        return (device, aeId);
    }

    private static Task<MqttReceived> CreateContainerAsync(MqttTestClient device, string aeId, string name, string extra, string rqi) =>
        device.RequestAsync(RequestTopic(aeId),
            Primitive(1, $"cse-in/{aeId}", aeId, rqi, ty: 3, pc: $$$"""{"m2m:cnt":{"rn":"{{{name}}}"}}""", extra: extra), rqi);

    private static async Task<JsonNode> FinishedAsync(MqttTestClient device, string aeId, string requestId)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(15));
        JsonNode? last = null;
        while (!deadline.Passed)
        {
            var rqi = NewRqi();
            var response = await device.RequestAsync(RequestTopic(aeId), Primitive(2, requestId, aeId, rqi), rqi);
            Assert.True(response.Rsc == 2000, response.Text);
            last = response.Content!["m2m:req"]!;
            if (last["rs"]!.GetValue<int>() != 3)
            {
                return last;
            }

            await Task.Delay(20);
        }

        throw new XunitException($"<request> {requestId} still pending after 15 s: {last}");
    }

    [Fact]
    public async Task Rtv1_answers_1001_and_the_request_resource_holds_the_outcome()
    {
        var (device, aeId) = await RegisteredDeviceAsync();
        await using var _ = device;
        var rqi = NewRqi();

        var accepted = await CreateContainerAsync(device, aeId, "nbq", """{"rt":{"rtv":1}}""", rqi);

        Assert.Equal(1001, accepted.Rsc);
        var requestId = accepted.Content!["m2m:uri"]!.GetValue<string>();
        var request = await FinishedAsync(device, aeId, requestId);
        Assert.Equal(1, request["rs"]!.GetValue<int>());
        Assert.Equal(rqi, request["rid"]!.GetValue<string>());
        Assert.Equal(2001, request["ors"]!["rsc"]!.GetValue<int>());
        Assert.Equal("nbq", request["ors"]!["pc"]!["m2m:cnt"]!["rn"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rtv2_without_nu_publishes_the_result_to_the_originator()
    {
        var (device, aeId) = await RegisteredDeviceAsync();
        await using var _ = device;
        var rqi = NewRqi();

        var accepted = await CreateContainerAsync(device, aeId, "nba", """{"rt":{"rtv":2}}""", rqi);
        var result = await device.WaitForAsync(m => m.Topic == $"/oneM2M/req/id-in/{aeId}/json" && m.Json?["pc"]?["m2m:rsp"] is not null,
            "the m2m:rsp result notification");
        await device.PublishAsync($"/oneM2M/resp/id-in/{aeId}/json",
            $$$"""{"rsc":2000,"rqi":"{{{result.Json!["rqi"]!.GetValue<string>()}}}","rvi":"3","to":"/id-in","fr":"{{{aeId}}}"}""");

        Assert.Equal(1002, accepted.Rsc);
        var rsp = result.Json!["pc"]!["m2m:rsp"]!;
        Assert.Equal(5, result.Json["op"]!.GetValue<int>());
        Assert.Equal(2001, rsp["rsc"]!.GetValue<int>());
        Assert.Equal(rqi, rsp["rqi"]!.GetValue<string>());
        Assert.Equal("nba", rsp["pc"]!["m2m:cnt"]!["rn"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_empty_nu_is_recorded_and_the_outcome_kept_in_the_request_resource()
    {
        var (device, aeId) = await RegisteredDeviceAsync();
        await using var _ = device;

        var accepted = await CreateContainerAsync(device, aeId, "nbe", """{"rt":{"rtv":2,"nu":[]}}""", NewRqi());

        Assert.Equal(1002, accepted.Rsc);
        var request = await FinishedAsync(device, aeId, accepted.Content!["m2m:uri"]!.GetValue<string>());
        Assert.Equal(2001, request["ors"]!["rsc"]!.GetValue<int>());
        Assert.Empty(request["mi"]!["rt"]!["nu"]!.AsArray());
    }
}
