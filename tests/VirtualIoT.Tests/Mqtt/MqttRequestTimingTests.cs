using VirtualIoT.Tests.Protocol;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// Request timing over MQTT, as over HTTP (<c>Protocol/RequestTimingTests</c>): the primitive's <c>rqet</c>,
/// <c>rset</c>, <c>oet</c> and <c>rt</c>; a request waiting for its <c>oet</c> does not hold up the client's next
/// requests; <c>vsi</c> is echoed and <c>ot</c> set in every response primitive.
/// </summary>
[Collection(MqttTimingCollection.Name)]
public sealed class MqttRequestTimingTests(MqttFixture fixture)
{
    private async Task<(MqttTestClient Client, string AeId)> RegisteredDeviceAsync()
    {
        var aeId = NewAeId();
        var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        return (client, aeId);
    }

    private static Task<MqttReceived> CreateContainerAsync(MqttTestClient client, string aeId, string name, string extra, string rqi) =>
        client.RequestAsync(RequestTopic(aeId),
            Primitive(1, $"cse-in/{aeId}", aeId, rqi, ty: 3, pc: $$$"""{"m2m:cnt":{"rn":"{{{name}}}"}}""", extra: extra), rqi);

    private static async Task<int> RetrieveAsync(MqttTestClient client, string aeId, string to)
    {
        var rqi = NewRqi();
        return (await client.RequestAsync(RequestTopic(aeId), Primitive(2, to, aeId, rqi), rqi)).Rsc;
    }

    [Theory]
    [InlineData("rqet")]
    [InlineData("rset")]
    public async Task An_expiration_in_the_past_answers_4008_and_creates_nothing(string member)
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;

        var response = await CreateContainerAsync(client, aeId, "late",
            $$"""{"{{member}}":"{{M2MTime.FromNow(TimeSpan.FromSeconds(-5))}}"}""", NewRqi());

        Assert.Equal(4008, response.Rsc);
        Assert.Contains("expired", response.Content!["m2m:dbg"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(4004, await RetrieveAsync(client, aeId, $"cse-in/{aeId}/late"));
    }

    [Theory]
    [InlineData("""{"rqet":60000,"rset":30000}""")]
    [InlineData("""{"rqet":"30000","oet":"30000"}""")]
    [InlineData("""{"rset":"PT30S","oet":"PT31S"}""")]
    [InlineData("""{"oet":"whenever"}""")]
    public async Task Contradicting_or_malformed_times_answer_4000(string extra)
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;

        var response = await CreateContainerAsync(client, aeId, "bad", extra, NewRqi());

        Assert.Equal(4000, response.Rsc);
        Assert.Equal(4004, await RetrieveAsync(client, aeId, $"cse-in/{aeId}/bad"));
    }

    [Fact]
    public async Task A_future_execution_time_delays_the_operation_without_holding_up_later_requests()
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var sent = DateTime.UtcNow;
        var delayedRqi = NewRqi();

        var delayed = CreateContainerAsync(client, aeId, "later", """{"oet":2000,"rqet":"PT30S"}""", delayedRqi);
        var meanwhile = await RetrieveAsync(client, aeId, $"cse-in/{aeId}/later");
        var answeredEarly = client.HasReceived(delayedRqi);
        var response = await delayed;

        Assert.Equal(4004, meanwhile);
        Assert.False(answeredEarly);
        Assert.Equal(2001, response.Rsc);
        var created = M2MTime.Parse(response.Content!["m2m:cnt"]!["ct"]!.GetValue<string>());
        Assert.True(created >= sent.AddMilliseconds(1950), $"created at {created:O}, sent at {sent:O}");
    }

    [Fact]
    public async Task No_response_with_a_future_execution_time_runs_later_and_publishes_nothing()
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var silent = NewRqi();

        await client.PublishAsync(RequestTopic(aeId), Primitive(1, $"cse-in/{aeId}", aeId, silent, ty: 3,
            pc: """{"m2m:cnt":{"rn":"quietly"}}""", extra: """{"rt":{"rtv":5},"oet":"PT0.5S"}"""));

        await M2MTime.WaitUntil(async () => await RetrieveAsync(client, aeId, $"cse-in/{aeId}/quietly") == 2000,
            "the container created by the delayed noResponse request exists");
        Assert.False(client.HasReceived(silent));
    }

    [Fact]
    public async Task Vendor_information_is_echoed_and_the_originating_timestamp_set()
    {
        var (client, aeId) = await RegisteredDeviceAsync();
        await using var _ = client;
        var rqi = NewRqi();
        var before = DateTime.UtcNow.AddSeconds(-1);

        var response = await client.RequestAsync(RequestTopic(aeId),
            Primitive(2, "cse-in/" + aeId, aeId, rqi, extra: """{"vsi":"acme-vendor/1.0"}"""), rqi);

        Assert.Equal(2000, response.Rsc);
        Assert.Equal("acme-vendor/1.0", response.Json!["vsi"]!.GetValue<string>());
        Assert.InRange(M2MTime.Parse(response.Json["ot"]!.GetValue<string>()), before, DateTime.UtcNow.AddSeconds(1));
    }
}
