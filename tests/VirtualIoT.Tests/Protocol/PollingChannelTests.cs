using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// The <c>&lt;pollingChannel&gt;</c> (ty 15) over HTTP, as ACME serves it: an AE that cannot be reached (<c>rr</c>
/// false, no <c>poa</c>) creates one under itself (only it, only one); notifications and requests for the AE are
/// queued there and taken by a long-polling retrieve of <c>pcu</c> (<c>m2m:rqp</c>, or <c>m2m:agrp</c> with
/// <c>rqag</c>), which answers 4008 when nothing comes before the request expires; the AE answers a request it took
/// with a NOTIFY of its response (<c>m2m:rsp</c>) to <c>pcu</c>.
/// </summary>
[Collection(CseTimingCollection.Name)]
public sealed class PollingChannelTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    /// <summary>An AE that cannot be reached, with its polling channel: (AE-ID, pcu path).</summary>
    private async Task<(string AeId, string Pcu)> UnreachableAeWithChannel(string extra = "")
    {
        var aeId = "Cpoll" + Guid.NewGuid().ToString("N")[..12];
        Answered(await Client.Create("/cse-in", aeId, 2, $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Npoll","rr":false,"srv":["3"]}}"""), 2001);
        Answered(await Client.Create("/cse-in/" + aeId, aeId, 15, $$$"""{"m2m:pch":{"rn":"pch"{{{extra}}}}}"""), 2001);
        return (aeId, $"/cse-in/{aeId}/pch/pcu");
    }

    private static string Subscription(string aeId) => "{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"" + aeId + "\"],\"enc\":{\"net\":[3]}}}";

    private Task<OneM2MResponse> Poll(string pcu, string originator, string wait = "PT10S") =>
        Client.Send(HttpMethod.Get, pcu, originator, headers: new Dictionary<string, string> { ["X-M2M-RET"] = wait });

    private Task<OneM2MResponse> Answer(string pcu, string aeId, string rqi, int rsc = 2000) =>
        Client.Send(HttpMethod.Post, pcu, aeId, $$$"""{"m2m:rsp":{"rsc":{{{rsc}}},"rqi":"{{{rqi}}}","rvi":"3","fr":"{{{aeId}}}"}}""", "application/json");

    [Fact]
    public async Task A_notification_for_the_AE_is_queued_and_taken_by_polling_pcu()
    {
        var (aeId, pcu) = await UnreachableAeWithChannel();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        Answered(await Client.Create(container, aeId, 23, Subscription(aeId)), 2001);

        await Client.CreateInstance(container, aeId, "polled");
        var polled = await Poll(pcu, aeId);

        Answered(polled, 2000);
        var rqp = polled.Json!["m2m:rqp"]!;
        Assert.Equal(5, rqp["op"]!.GetValue<int>());
        Assert.Equal(aeId, (string)rqp["to"]!);
        Assert.Equal("/id-in", (string)rqp["fr"]!);
        Assert.False(string.IsNullOrEmpty((string?)rqp["rqi"]));
        Assert.Equal("polled", (string)rqp["pc"]!["m2m:sgn"]!["nev"]!["rep"]!["m2m:cin"]!["con"]!);
    }

    [Fact]
    public async Task A_poll_waits_for_a_notification_queued_after_it_started()
    {
        var (aeId, pcu) = await UnreachableAeWithChannel();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        Answered(await Client.Create(container, aeId, 23, Subscription(aeId)), 2001);

        var polling = Poll(pcu, aeId, "PT20S");
        await Client.CreateInstance(container, aeId, "later");
        var polled = await polling;

        Answered(polled, 2000);
        Assert.Equal("later", (string)polled.Json!["m2m:rqp"]!["pc"]!["m2m:sgn"]!["nev"]!["rep"]!["m2m:cin"]!["con"]!);
    }

    [Fact]
    public async Task A_poll_with_nothing_queued_answers_4008_when_the_request_expires()
    {
        var (aeId, pcu) = await UnreachableAeWithChannel();

        var polled = await Poll(pcu, aeId, "1000");

        Answered(polled, 4008);
    }

    [Fact]
    public async Task A_verification_request_is_polled_and_the_AE_s_answer_completes_the_subscription()
    {
        var (aeId, pcu) = await UnreachableAeWithChannel();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);

        var creating = Client.Create(container, OneM2MClient.Admin, 23, $$$"""{"m2m:sub":{"rn":"v","nu":["{{{aeId}}}"]}}""");
        var polled = await Poll(pcu, aeId);
        Answered(polled, 2000);
        var rqp = polled.Json!["m2m:rqp"]!;
        var answered = await Answer(pcu, aeId, (string)rqp["rqi"]!);
        var created = await creating;

        Assert.True((bool)rqp["pc"]!["m2m:sgn"]!["vrq"]!);
        Answered(answered, 2000);
        Answered(created, 2001);
    }

    [Fact]
    public async Task A_verification_the_AE_refuses_through_pcu_fails_the_subscription_with_5204()
    {
        var (aeId, pcu) = await UnreachableAeWithChannel();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);

        var creating = Client.Create(container, OneM2MClient.Admin, 23, $$$"""{"m2m:sub":{"rn":"r","nu":["{{{aeId}}}"]}}""");
        var polled = await Poll(pcu, aeId);
        Answered(await Answer(pcu, aeId, (string)polled.Json!["m2m:rqp"]!["rqi"]!, 4101), 2000);

        AnsweredOneOf(await creating, 4101, 5204);
    }

    [Fact]
    public async Task A_notify_forwarded_to_the_AE_returns_the_answer_it_gives_through_pcu()
    {
        var (aeId, pcu) = await UnreachableAeWithChannel();

        var forwarding = Client.Send(HttpMethod.Post, "/cse-in/" + aeId, OneM2MClient.Admin,
            """{"m2m:sgn":{"nev":{"rep":{"m2m:uri":"x"},"net":3},"sur":"/id-in/subExternal"}}""", "application/json");
        var polled = await Poll(pcu, aeId);
        var rqp = polled.Json!["m2m:rqp"]!;
        Answered(await Answer(pcu, aeId, (string)rqp["rqi"]!), 2000);
        var forwarded = await forwarding;

        Assert.Equal(OneM2MClient.Admin, (string)rqp["fr"]!);
        Assert.Equal("x", (string)rqp["pc"]!["m2m:sgn"]!["nev"]!["rep"]!["m2m:uri"]!);
        Answered(forwarded, 2000);
    }

    [Fact]
    public async Task With_request_aggregation_a_poll_takes_every_queued_request()
    {
        var (aeId, pcu) = await UnreachableAeWithChannel(""","rqag":true""");
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        Answered(await Client.Create(container, aeId, 23, Subscription(aeId)), 2001);
        await Client.CreateInstance(container, aeId, "one");
        await Client.CreateInstance(container, aeId, "two");

        var seen = new List<string>();
        var deadline = Deadline.In(TimeSpan.FromSeconds(15));
        while (seen.Count < 2 && !deadline.Passed)
        {
            var polled = await Poll(pcu, aeId);
            Answered(polled, 2000);
            seen.AddRange(polled.Json!["m2m:agrp"]!.AsArray().Select(r => (string)r!["pc"]!["m2m:sgn"]!["nev"]!["rep"]!["m2m:cin"]!["con"]!));
        }

        Assert.Equal(["one", "two"], seen);
    }

    [Fact]
    public async Task Only_the_AE_may_poll_its_channel()
    {
        var (_, pcu) = await UnreachableAeWithChannel();
        var other = await Client.RegisterAe();

        var polled = await Poll(pcu, other, "1000");

        Answered(polled, 4103);
    }

    [Fact]
    public async Task Only_the_AE_itself_may_create_its_channel_and_only_one()
    {
        var (aeId, _) = await UnreachableAeWithChannel();
        var other = await Client.RegisterAe();

        var second = await Client.Create("/cse-in/" + aeId, aeId, 15, """{"m2m:pch":{}}""");
        var byAdmin = await Client.Create("/cse-in/" + other, OneM2MClient.Admin, 15, """{"m2m:pch":{}}""");
        var underContainer = await Client.Create(await Client.CreateContainer("/cse-in/" + other, other), other, 15, """{"m2m:pch":{}}""");

        Answered(second, 4000);
        Answered(byAdmin, 4103);
        Answered(underContainer, 4108);
    }

    [Fact]
    public async Task The_channel_is_retrieved_and_updated_by_its_AE_and_pcu_cannot_be_changed()
    {
        var (aeId, pcu) = await UnreachableAeWithChannel();
        var channel = $"/cse-in/{aeId}/pch";

        var retrieved = await Client.Retrieve(channel, aeId);
        var updated = await Client.Update(channel, aeId, """{"m2m:pch":{"rqag":true}}""");
        var badValue = await Client.Update(channel, aeId, """{"m2m:pch":{"rqag":"yes"}}""");
        var deletePcu = await Client.Delete(pcu, aeId);
        var wrongAnswer = await Client.Send(HttpMethod.Post, pcu, aeId, """{"m2m:rqp":{"rqi":"x"}}""", "application/json");
        var answerWithoutRqi = await Client.Send(HttpMethod.Post, pcu, aeId, """{"m2m:rsp":{"rsc":2000}}""", "application/json");

        Answered(retrieved, 2000);
        Assert.Equal(15, retrieved.Resource("m2m:pch")["ty"]!.GetValue<int>());
        Assert.False(retrieved.Resource("m2m:pch")["rqag"]!.GetValue<bool>());
        Answered(updated, 2004);
        Assert.True(updated.Resource("m2m:pch")["rqag"]!.GetValue<bool>());
        Answered(badValue, 4000);
        Answered(deletePcu, 4005);
        Answered(wrongAnswer, 4000);
        Answered(answerWithoutRqi, 4000);
    }

    [Fact]
    public async Task Discovery_finds_the_channel_but_never_pcu()
    {
        var (aeId, _) = await UnreachableAeWithChannel();

        var found = UriList(await Client.Discover("/cse-in/" + aeId, aeId, "ty=15"));

        Assert.Equal([$"cse-in/{aeId}/pch"], found);
    }

    [Fact]
    public async Task A_channel_cannot_be_subscribed_to()
    {
        var (aeId, _) = await UnreachableAeWithChannel();

        var created = await Client.Create($"/cse-in/{aeId}/pch", aeId, 23, $$$"""{"m2m:sub":{"rn":"s","nu":["{{{aeId}}}"]}}""");

        // TS-0001 9.6.21: a pollingChannel has no child resources (ACME: not subscribable either).
        Answered(created, 5203);
    }
}
