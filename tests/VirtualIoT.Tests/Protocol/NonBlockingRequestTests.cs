using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Sdk;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Non-blocking requests over HTTP (TS-0001 8.2.2, TS-0004 7.3.2.x; as ACME answers them): <c>rt=1</c> answers 1001
/// and <c>rt=2</c> 1002 at once, with the <c>&lt;request&gt;</c>'s ID as <c>m2m:uri</c>; the originator retrieves
/// <c>rs</c>/<c>ors</c> there once the operation ran; <c>rt=2</c> also notifies the result (<c>m2m:rsp</c>) to
/// <c>X-M2M-RTU</c> or the originator's <c>poa</c>; the <c>&lt;request&gt;</c> expires at <c>X-M2M-RST</c>.
/// </summary>
[Collection(CseTimingCollection.Name)]
public sealed class NonBlockingRequestTests(CseFixture fixture) : IAsyncLifetime
{
    private readonly NotificationReceiver _receiver = new();

    private OneM2MClient Client => fixture.Client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private async Task<string> RegisterAe(string? poa = null)
    {
        var aeId = "Cnb" + Guid.NewGuid().ToString("N")[..12];
        var poaList = poa is null ? "" : $$$""","poa":["{{{poa}}}"]""";
        Answered(await Client.Create("/cse-in", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nnb","rr":true,"srv":["3"]{{{poaList}}}}}"""), 2001);
        return aeId;
    }

    private Task<OneM2MResponse> CreateContainer(string parent, string originator, string name, string query, IDictionary<string, string>? headers = null) =>
        Client.Send(HttpMethod.Post, parent + query, originator, $$$"""{"m2m:cnt":{"rn":"{{{name}}}"}}""", "application/json;ty=3",
            headers ?? new Dictionary<string, string>());

    private static string RequestId(OneM2MResponse accepted) =>
        accepted.Json?["m2m:uri"]?.GetValue<string>() ?? throw new XunitException($"no m2m:uri in {accepted.Body}");

    /// <summary>Retrieves the &lt;request&gt; until its status is no longer pending (3), or fails naming it.</summary>
    private async Task<JsonObject> Finished(string requestId, string originator)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(15));
        JsonObject? last = null;
        while (!deadline.Passed)
        {
            var response = await Client.Retrieve("/" + requestId, originator);
            Answered(response, 2000);
            last = response.Resource("m2m:req");
            if (last["rs"]!.GetValue<int>() != 3)
            {
                return last;
            }

            await Task.Delay(20);
        }

        throw new XunitException($"<request> {requestId} still pending after 15 s: {last}");
    }

    [Fact]
    public async Task Rt1_answers_1001_with_the_request_resource_and_records_the_outcome_there()
    {
        var aeId = await RegisterAe();
        var name = OneM2MClient.NewName("nb");

        var accepted = await CreateContainer("/cse-in/" + aeId, aeId, name, "?rt=1");

        Answered(accepted, 1001);
        var requestId = RequestId(accepted);
        Assert.StartsWith("req", requestId, StringComparison.Ordinal);
        var request = await Finished(requestId, aeId);
        Assert.Equal(17, request["ty"]!.GetValue<int>());
        Assert.Equal("id-in", Text(request, "pi"));
        Assert.Equal(1, request["op"]!.GetValue<int>());
        Assert.Equal("cse-in/" + aeId, Text(request, "tg"));
        Assert.Equal(aeId, Text(request, "org"));
        Assert.Equal(accepted.SentRequestId, Text(request, "rid"));
        Assert.Equal(1, request["mi"]!["rt"]!["rtv"]!.GetValue<int>());
        Assert.Equal(name, (string)request["pc"]!["m2m:cnt"]!["rn"]!);
        Assert.Equal(1, request["rs"]!.GetValue<int>());
        Assert.Equal(2001, request["ors"]!["rsc"]!.GetValue<int>());
        Assert.Equal(accepted.SentRequestId, (string)request["ors"]!["rqi"]!);
        Assert.Equal(name, (string)request["ors"]!["pc"]!["m2m:cnt"]!["rn"]!);
        Answered(await Client.Retrieve($"/cse-in/{aeId}/{name}", aeId), 2000);
    }

    [Fact]
    public async Task A_failed_operation_is_recorded_as_failed_with_its_status_and_reason()
    {
        var aeId = await RegisterAe();

        var accepted = await CreateContainer($"/cse-in/{aeId}/nosuch", aeId, OneM2MClient.NewName(), "?rt=1");

        Answered(accepted, 1001);
        var request = await Finished(RequestId(accepted), aeId);
        Assert.Equal(2, request["rs"]!.GetValue<int>());
        Assert.Equal(4004, request["ors"]!["rsc"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty((string?)request["ors"]!["pc"]!["m2m:dbg"]));
    }

    [Fact]
    public async Task Rt2_answers_1002_and_notifies_the_result_to_the_response_targets()
    {
        var aeId = await RegisterAe();
        var name = OneM2MClient.NewName("nb");

        var accepted = await CreateContainer("/cse-in/" + aeId, aeId, name, "?rt=2",
            new Dictionary<string, string> { ["X-M2M-RTU"] = _receiver.Url });

        Answered(accepted, 1002);
        var received = await _receiver.WaitFor(r => r.Any(n => n.Body.Contains("m2m:rsp", StringComparison.Ordinal)), "the m2m:rsp result notification");
        var rsp = JsonNode.Parse(received.First(n => n.Body.Contains("m2m:rsp", StringComparison.Ordinal)).Body)!["m2m:rsp"]!;
        Assert.Equal(2001, rsp["rsc"]!.GetValue<int>());
        Assert.Equal(accepted.SentRequestId, (string)rsp["rqi"]!);
        Assert.Equal(name, (string)rsp["pc"]!["m2m:cnt"]!["rn"]!);
        var request = await Finished(RequestId(accepted), aeId);
        Assert.Equal(_receiver.Url, (string)request["mi"]!["rt"]!["nu"]![0]!);
    }

    [Fact]
    public async Task Rt2_without_response_targets_notifies_the_originator_at_its_poa()
    {
        var aeId = await RegisterAe(_receiver.Url);

        var accepted = await Client.Send(HttpMethod.Get, $"/cse-in/{aeId}?rt=2", aeId);

        Answered(accepted, 1002);
        var received = await _receiver.WaitFor(r => r.Any(n => n.Body.Contains("m2m:rsp", StringComparison.Ordinal)), "the result at the originator's poa");
        var rsp = JsonNode.Parse(received.First(n => n.Body.Contains("m2m:rsp", StringComparison.Ordinal)).Body)!["m2m:rsp"]!;
        Assert.Equal(2000, rsp["rsc"]!.GetValue<int>());
        Assert.Equal(aeId, (string)rsp["pc"]!["m2m:ae"]!["aei"]!);
    }

    [Fact]
    public async Task A_slow_target_holds_no_connection_the_request_completes_when_it_answers()
    {
        var target = await RegisterAe(_receiver.Url);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _receiver.Hold = release.Task;

        var accepted = await Client.Send(HttpMethod.Post, $"/cse-in/{target}?rt=1", OneM2MClient.Admin,
            """{"m2m:sgn":{"nev":{"rep":{"m2m:cin":{"con":"slow"}},"net":3},"sur":"/id-in/subSlow"}}""", "application/json");
        await _receiver.WaitFor(r => r.Count > 0, "the forwarded notification reaching the slow AE");
        var whileHeld = await Client.Retrieve("/" + RequestId(accepted), OneM2MClient.Admin);
        release.SetResult();

        Answered(accepted, 1001);
        Answered(whileHeld, 2000);
        Assert.Equal(3, whileHeld.Resource("m2m:req")["rs"]!.GetValue<int>());
        var request = await Finished(RequestId(accepted), OneM2MClient.Admin);
        Assert.Equal(1, request["rs"]!.GetValue<int>());
        Assert.Equal(2000, request["ors"]!["rsc"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_request_resource_expires_at_the_result_expiration_time()
    {
        // Read right after the acceptance, not after the operation finished: on a loaded machine the operation can
        // outlast a short result expiration, and the resource would be gone before the first look.
        var aeId = await RegisterAe();
        var sent = DateTime.UtcNow;

        var accepted = await CreateContainer("/cse-in/" + aeId, aeId, OneM2MClient.NewName(), "?rt=1",
            new Dictionary<string, string> { ["X-M2M-RST"] = "PT6S" });

        Answered(accepted, 1001);
        var requestId = RequestId(accepted);
        var held = await Client.Retrieve("/" + requestId, aeId);
        Answered(held, 2000);
        var et = M2MTime.Parse(Text(held.Resource("m2m:req"), "et"));
        Assert.True(et >= sent.AddSeconds(5) && et <= DateTime.UtcNow.AddSeconds(6.5), $"et {et:O}, sent {sent:O}");
        var deadline = Deadline.In(TimeSpan.FromSeconds(30));
        OneM2MResponse after;
        do
        {
            await Task.Delay(100);
            after = await Client.Retrieve("/" + requestId, aeId);
        }
        while (after.Rsc == 2000 && !deadline.Passed);

        Answered(after, 4004);
    }

    [Fact]
    public async Task Only_the_originator_may_retrieve_its_request_and_it_may_delete_it()
    {
        var aeId = await RegisterAe();
        var other = await RegisterAe();
        var accepted = await CreateContainer("/cse-in/" + aeId, aeId, OneM2MClient.NewName(), "?rt=1");
        var requestId = RequestId(accepted);
        await Finished(requestId, aeId);

        var foreign = await Client.Retrieve("/" + requestId, other);
        var deleted = await Client.Delete("/" + requestId, aeId);

        Answered(foreign, 4103);
        Answered(deleted, 2002);
        Answered(await Client.Retrieve("/" + requestId, aeId), 4004);
    }

    [Fact]
    public async Task The_originator_discovers_its_requests_by_type()
    {
        var aeId = await RegisterAe();
        var accepted = await CreateContainer("/cse-in/" + aeId, aeId, OneM2MClient.NewName(), "?rt=1");
        var requestId = RequestId(accepted);
        var request = await Finished(requestId, aeId);

        var found = UriList(await Client.Discover("/cse-in", aeId, $"ty=17&lbl={aeId}"));

        Assert.Equal(["cse-in/" + Text(request, "rn")], found);
    }

    [Fact]
    public async Task Creating_a_request_resource_answers_4005()
    {
        var aeId = await RegisterAe();

        var response = await Client.Create("/cse-in", aeId, 17, """{"m2m:req":{}}""");

        Answered(response, 4005);
        Assert.Contains("created by the CSE only", response.Json!["m2m:dbg"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Updating_what_the_CSE_sets_on_a_request_answers_4000()
    {
        var aeId = await RegisterAe();
        var accepted = await CreateContainer("/cse-in/" + aeId, aeId, OneM2MClient.NewName(), "?rt=1");
        var requestId = RequestId(accepted);
        await Finished(requestId, aeId);

        var response = await Client.Update("/" + requestId, aeId, """{"m2m:req":{"rs":1}}""");
        var labels = await Client.Update("/" + requestId, aeId, """{"m2m:req":{"lbl":["seen"]}}""");

        Answered(response, 4000);
        Answered(labels, 2004);
    }

    [Theory]
    [InlineData("?rt=1", "X-M2M-RET", "-1000", 4008)]
    [InlineData("?rt=2", "X-M2M-RST", "soon", 4000)]
    [InlineData("?rt=0", "X-M2M-RVI", "3", 4000)]
    public async Task A_non_blocking_request_with_bad_timing_is_refused_before_any_request_resource(string query, string header, string value, int rsc)
    {
        var aeId = await RegisterAe();
        var name = OneM2MClient.NewName();

        var response = await CreateContainer("/cse-in/" + aeId, aeId, name, query, new Dictionary<string, string> { [header] = value });

        Answered(response, rsc);
        Assert.Empty(UriList(await Client.Discover("/cse-in", aeId, $"ty=17&lbl={aeId}")));
    }
}
