using System.Net;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Request timing over HTTP (TS-0004 8.1.2, TS-0009 6.4): <c>X-M2M-RET</c> and <c>X-M2M-RST</c> in the past are
/// 4008, contradicting times 4000, a future <c>X-M2M-OET</c> delays the operation without holding the resource,
/// <c>rt=5</c> answers 204 without a body (<c>rt=1</c>/<c>rt=2</c>: NonBlockingRequestTests); <c>X-M2M-VSI</c> is echoed and
/// <c>X-M2M-OT</c> set on every response.
/// </summary>
[Collection(CseTimingCollection.Name)]
public sealed class RequestTimingTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    private Task<OneM2MResponse> CreateContainer(string parent, string originator, string name, IDictionary<string, string> headers, string query = "") =>
        Client.Send(HttpMethod.Post, parent + query, originator, $$$"""{"m2m:cnt":{"rn":"{{{name}}}"}}""", "application/json;ty=3", headers);

    private async Task<(string AeId, string Parent)> NewAe()
    {
        var aeId = await Client.RegisterAe();
        return (aeId, "/cse-in/" + aeId);
    }

    [Theory]
    [InlineData("X-M2M-RET")]
    [InlineData("X-M2M-RST")]
    public async Task An_expiration_in_the_past_answers_4008_and_creates_nothing(string header)
    {
        var (aeId, parent) = await NewAe();
        var name = OneM2MClient.NewName("late");

        var response = await CreateContainer(parent, aeId, name, new Dictionary<string, string> { [header] = M2MTime.FromNow(TimeSpan.FromSeconds(-5)) });

        Answered(response, 4008);
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.Status);
        Answered(await Client.Retrieve($"{parent}/{name}", aeId), 4004);
    }

    [Fact]
    public async Task A_relative_request_expiration_in_the_past_answers_4008()
    {
        var (aeId, parent) = await NewAe();

        var response = await CreateContainer(parent, aeId, OneM2MClient.NewName(), new Dictionary<string, string> { ["X-M2M-RET"] = "-1000" });

        Answered(response, 4008);
    }

    [Fact]
    public async Task A_future_request_expiration_in_milliseconds_lets_the_request_run()
    {
        var (aeId, parent) = await NewAe();

        var response = await CreateContainer(parent, aeId, OneM2MClient.NewName(), new Dictionary<string, string> { ["X-M2M-RET"] = "60000" });

        Answered(response, 2001);
    }

    [Theory]
    [InlineData("60000", "30000", null)]
    [InlineData("30000", null, "30000")]
    [InlineData("30000", null, "40000")]
    [InlineData(null, "30000", "PT30S")]
    [InlineData("soon", null, null)]
    [InlineData(null, null, "later")]
    public async Task Contradicting_or_malformed_times_answer_4000_and_create_nothing(string? ret, string? rst, string? oet)
    {
        var (aeId, parent) = await NewAe();
        var name = OneM2MClient.NewName();
        var headers = new Dictionary<string, string>();
        if (ret is not null)
        {
            headers["X-M2M-RET"] = ret;
        }

        if (rst is not null)
        {
            headers["X-M2M-RST"] = rst;
        }

        if (oet is not null)
        {
            headers["X-M2M-OET"] = oet;
        }

        var response = await CreateContainer(parent, aeId, name, headers);

        Answered(response, 4000);
        Answered(await Client.Retrieve($"{parent}/{name}", aeId), 4004);
    }

    [Theory]
    [InlineData("absolute")]
    [InlineData("1500")]
    [InlineData("PT1.5S")]
    public async Task A_future_execution_time_delays_the_operation_until_then(string form)
    {
        var (aeId, parent) = await NewAe();
        var name = OneM2MClient.NewName("later");
        var sent = DateTime.UtcNow;
        var oet = form == "absolute" ? M2MTime.Format(sent.AddMilliseconds(1500)) : form;

        var pending = CreateContainer(parent, aeId, name, new Dictionary<string, string> { ["X-M2M-OET"] = oet, ["X-M2M-RET"] = "30000" });
        var before = await Client.Retrieve($"{parent}/{name}", aeId);
        var response = await pending;

        Answered(before, 4004);
        Answered(response, 2001);
        var created = M2MTime.Parse(Text(response.Resource("m2m:cnt"), "ct"));
        Assert.True(created >= sent.AddMilliseconds(1450), $"created at {created:O}, sent at {sent:O} with oet {oet}");
    }

    [Fact]
    public async Task A_delayed_update_does_not_hold_the_resource_meanwhile()
    {
        var (aeId, parent) = await NewAe();
        var path = await Client.CreateContainer(parent, aeId);
        var sent = DateTime.UtcNow;

        var pending = Client.Send(HttpMethod.Put, path, aeId, """{"m2m:cnt":{"lbl":["after"]}}""", "application/json",
            new Dictionary<string, string> { ["X-M2M-OET"] = "PT3S" });
        var meanwhile = await Client.Retrieve(path, aeId);
        var updated = await pending;

        Answered(meanwhile, 2000);
        Assert.Null(meanwhile.Resource("m2m:cnt")["lbl"]);
        Answered(updated, 2004);
        var cnt = updated.Resource("m2m:cnt");
        Assert.Equal("after", cnt["lbl"]![0]!.GetValue<string>());
        Assert.True(M2MTime.Parse(Text(cnt, "lt")) >= sent.AddMilliseconds(2950), $"updated at {Text(cnt, "lt")}, sent at {sent:O}");
    }

    [Fact]
    public async Task No_response_runs_the_request_and_answers_204_without_a_body()
    {
        var (aeId, parent) = await NewAe();
        var name = OneM2MClient.NewName("quiet");

        var response = await CreateContainer(parent, aeId, name, new Dictionary<string, string>(), "?rt=5");

        Assert.Equal(HttpStatusCode.NoContent, response.Status);
        Assert.Equal("", response.Body);
        Answered(await Client.Retrieve($"{parent}/{name}", aeId), 2000);
    }

    [Fact]
    public async Task Flex_blocking_is_answered_as_blocking()
    {
        var (aeId, parent) = await NewAe();

        var response = await CreateContainer(parent, aeId, OneM2MClient.NewName(), new Dictionary<string, string>(), "?rt=4");

        Answered(response, 2001);
    }

    [Fact]
    public async Task Vendor_information_is_echoed_and_the_originating_timestamp_set()
    {
        var before = DateTime.UtcNow.AddSeconds(-1);

        var response = await Client.Send(HttpMethod.Get, "/cse-in", OneM2MClient.Admin,
            headers: new Dictionary<string, string> { ["X-M2M-VSI"] = "acme-vendor/1.0" });
        var failed = await Client.Retrieve("/cse-in/nosuch" + Guid.NewGuid().ToString("N"), OneM2MClient.Admin);

        Answered(response, 2000);
        Assert.Equal("acme-vendor/1.0", response.Headers["X-M2M-VSI"]);
        Assert.InRange(M2MTime.Parse(response.Headers["X-M2M-OT"]), before, DateTime.UtcNow.AddSeconds(1));
        Answered(failed, 4004);
        Assert.True(failed.Headers.ContainsKey("X-M2M-OT"));
        Assert.False(failed.Headers.ContainsKey("X-M2M-VSI"));
    }
}
