using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

[Collection(CseCollection.Name)]
public sealed class SubscriptionTests(CseFixture fixture) : IAsyncLifetime
{
    private readonly NotificationReceiver _receiver = new();
    private OneM2MClient Client => fixture.Client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private async Task<(string Ae, string Container)> AeWithContainer()
    {
        var ae = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + ae, ae);
        return (ae, container);
    }

    private Task<OneM2MResponse> Subscribe(string parentPath, string originator, string extra = "", string? nu = null, string name = "sub") =>
        Client.Create(parentPath, originator, 23, $$$"""{"m2m:sub":{"rn":"{{{name}}}","nu":["{{{nu ?? _receiver.Url}}}"]{{{extra}}}}}""");

    [Fact]
    public async Task Create_verifies_the_notification_uri_and_returns_defaults()
    {
        var (ae, container) = await AeWithContainer();

        var response = await Subscribe(container, ae, ""","enc":{"net":[3]}""");

        Answered(response, 2001);
        var sub = response.Resource("m2m:sub");
        Assert.Equal(23, (int)sub["ty"]!);
        Assert.Equal(1, (int)sub["nct"]!);
        Assert.Null(sub["cr"]); // only when the create carries "cr": null
        var verification = Assert.Single(_receiver.Received).Signal!;
        Assert.True((bool)verification["vrq"]!);
        Assert.Equal("/id-in/" + (string)sub["ri"]!, (string)verification["sur"]!);
        Assert.Null(verification["nev"]);
    }

    /// <summary>
    /// Events that queue while the receiver is slow are handed to the delivery worker several at a time; they still
    /// arrive in order, each, and one the receiver refuses is retried before any after it is sent.
    /// </summary>
    [Fact]
    public async Task Queued_notifications_arrive_in_order_and_a_refused_one_holds_back_those_after_it()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, ""","enc":{"net":[3]}"""), 2001);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _receiver.Hold = release.Task;
        static string? Content(ReceivedNotification n) => n.Signal?["nev"]?["rep"]?["m2m:cin"]?["con"]?.GetValue<string>();

        for (var i = 1; i <= 6; i++)
        {
            Answered(await Client.Create(container, ae, 4, "{\"m2m:cin\":{\"con\":\"" + i + "\"}}"), 2001);
        }

        await _receiver.WaitFor(r => r.Any(n => Content(n) == "1"), "the first notification, held by the receiver", TimeSpan.FromSeconds(60));
        _receiver.AnswerWith = 5000;
        release.SetResult();
        await _receiver.WaitFor(r => r.Count(n => Content(n) == "1") >= 2, "the refused first notification sent again", TimeSpan.FromSeconds(60));
        _receiver.AnswerWith = 2000;
        var received = await _receiver.WaitFor(r => r.Any(n => Content(n) == "6"), "the sixth notification", TimeSpan.FromSeconds(90));

        var order = received.Select(Content).Where(c => c is not null).ToList();
        Assert.Equal(["1", "2", "3", "4", "5", "6"], order.Distinct());
        for (var k = 1; k < 6; k++)
        {
            // Every attempt of k comes before the first of k + 1.
            Assert.True(order.LastIndexOf(k.ToString(System.Globalization.CultureInfo.InvariantCulture)) < order.IndexOf((k + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                "order of receipt: " + string.Join(' ', order));
        }
    }

    [Theory]
    [InlineData(4101)]
    [InlineData(5000)]
    public async Task Create_fails_with_5204_when_verification_is_refused(int answer)
    {
        var (ae, container) = await AeWithContainer();
        _receiver.AnswerWith = answer;

        var response = await Subscribe(container, ae);
        var retrieve = await Client.Retrieve(container + "/sub", ae);

        Answered(response, 5204);
        Answered(retrieve, 4004);
    }

    [Fact]
    public async Task Create_fails_with_5204_when_the_target_is_unreachable()
    {
        var (ae, container) = await AeWithContainer();

        var response = await Subscribe(container, ae, nu: $"http://127.0.0.1:{FreePort.Next()}/gone");

        Answered(response, 5204);
    }

    [Fact]
    public async Task New_instances_are_notified_in_order_with_stable_request_ids()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, ""","enc":{"net":[3]}"""), 2001);

        for (var i = 0; i < 10; i++)
        {
            await Client.CreateInstance(container, ae, con: i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var events = (await _receiver.WaitFor(r => r.Count(n => n.Signal?["nev"] is not null) >= 10, "10 notifications"))
            .Where(n => n.Signal?["nev"] is not null).ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            events.Select(e => (string)e.Signal!["nev"]!["rep"]!["m2m:cin"]!["con"]!));
        Assert.All(events, e => Assert.Equal(3, (int)e.Signal!["nev"]!["net"]!));
        Assert.All(events, e => Assert.Equal("/id-in", e.Headers["X-M2M-Origin"]));
        Assert.Equal(10, events.Select(e => e.Headers["X-M2M-RI"]).Distinct().Count());
    }

    [Fact]
    public async Task Update_with_nct_2_sends_only_the_modified_attributes()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, ""","enc":{"net":[1]},"nct":2"""), 2001);

        Answered(await Client.Update(container, ae, """{"m2m:cnt":{"lbl":["a:b"]}}"""), 2004);

        var update = (await _receiver.WaitFor(r => r.Any(n => n.Signal?["nev"] is not null), "an update notification"))
            .Single(n => n.Signal?["nev"] is not null).Signal!;
        var rep = update["nev"]!["rep"]!["m2m:cnt"]!.AsObject();
        Assert.Equal("a:b", (string)rep["lbl"]![0]!);
        Assert.False(rep.ContainsKey("mni"));
        Assert.False(rep.ContainsKey("ri"));
        Assert.Equal(1, (int)update["nev"]!["net"]!);
    }

    [Fact]
    public async Task Nct_3_sends_the_resource_id()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, ""","enc":{"net":[3]},"nct":3"""), 2001);

        var cin = await Client.CreateInstance(container, ae);

        var notification = (await _receiver.WaitFor(r => r.Any(n => n.Signal?["nev"] is not null), "a notification"))
            .Single(n => n.Signal?["nev"] is not null).Signal!;
        Assert.Equal((string)cin["ri"]!, (string)notification["nev"]!["rep"]!["m2m:uri"]!);
    }

    [Fact]
    public async Task Child_type_filter_selects_which_creations_notify()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, ""","enc":{"net":[3],"chty":[3]}"""), 2001);

        await Client.CreateInstance(container, ae);
        await Client.CreateContainer(container, ae, "inner");

        var notification = (await _receiver.WaitFor(r => r.Any(n => n.Signal?["nev"] is not null), "a notification"))
            .Single(n => n.Signal?["nev"] is not null).Signal!;
        Assert.Equal("inner", (string)notification["nev"]!["rep"]!["m2m:cnt"]!["rn"]!);
    }

    [Fact]
    public async Task Deleting_an_instance_notifies_delete_of_child()
    {
        var (ae, container) = await AeWithContainer();
        await Client.CreateInstance(container, ae, con: "old");
        Answered(await Subscribe(container, ae, ""","enc":{"net":[4]}"""), 2001);

        Answered(await Client.Delete(container + "/la", ae), 2002);

        var notification = (await _receiver.WaitFor(r => r.Any(n => n.Signal?["nev"] is not null), "a delete-child notification"))
            .Single(n => n.Signal?["nev"] is not null).Signal!;
        Assert.Equal(4, (int)notification["nev"]!["net"]!);
        Assert.Equal("old", (string)notification["nev"]!["rep"]!["m2m:cin"]!["con"]!);
    }

    [Fact]
    public async Task Deleting_the_subscribed_resource_notifies_and_then_tells_the_subscriber()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, $$$""","enc":{"net":[2]},"su":"{{{_receiver.Url}}}" """), 2001);

        Answered(await Client.Delete(container, ae), 2002);

        var received = await _receiver.WaitFor(r => r.Any(n => n.Signal?["sud"] is not null) && r.Any(n => n.Signal?["nev"] is not null),
            "a delete notification and a subscription deletion notification");
        Assert.Equal(2, (int)received.First(n => n.Signal?["nev"] is not null).Signal!["nev"]!["net"]!);
        Assert.True((bool)received.First(n => n.Signal?["sud"] is not null).Signal!["sud"]!);
    }

    [Fact]
    public async Task Expiration_counter_ends_the_subscription_after_that_many_notifications()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, $$$""","enc":{"net":[3]},"exc":2,"su":"{{{_receiver.Url}}}" """), 2001);

        for (var i = 0; i < 4; i++)
        {
            await Client.CreateInstance(container, ae);
        }

        await _receiver.WaitFor(r => r.Any(n => n.Signal?["sud"] is not null), "the subscription deletion notification");
        Assert.Equal(2, _receiver.Events.Count);
        Answered(await Client.Retrieve(container + "/sub", ae), 4004);
    }

    [Fact]
    public async Task A_target_that_is_down_gets_the_notification_when_it_comes_back()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, ""","enc":{"net":[3]}"""), 2001);
        _receiver.AnswerWith = 5000;

        var cin = await Client.CreateInstance(container, ae, con: "retried");
        await _receiver.WaitFor(r => r.Count(n => n.Signal?["nev"] is not null) >= 1, "a first, failed attempt");
        _receiver.AnswerWith = 2000;

        var received = await _receiver.WaitFor(r => r.Count(n => n.Signal?["nev"] is not null) >= 2, "the retry");
        var attempts = received.Where(n => n.Signal?["nev"] is not null).ToList();
        Assert.All(attempts, a => Assert.Equal("retried", (string)a.Signal!["nev"]!["rep"]!["m2m:cin"]!["con"]!));
        Assert.Single(attempts.Select(a => a.Headers["X-M2M-RI"]).Distinct());
        Assert.NotNull(cin["ri"]);
    }

    [Fact]
    public async Task Device_writes_do_not_wait_for_a_dead_target()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, ""","enc":{"net":[3]}"""), 2001);
        _receiver.Stop();

        var writes = new List<OneM2MResponse>();
        for (var i = 0; i < 20; i++)
        {
            writes.Add(await Client.Create(container, ae, 4, """{"m2m:cin":{"con":"x"}}"""));
        }

        Assert.All(writes, w => Answered(w, 2001));
        Answered(await Client.Retrieve(container + "/sub", ae), 2000);
    }

    [Fact]
    public async Task An_ae_id_target_is_reached_at_the_aes_point_of_access()
    {
        var subscriber = OneM2MClient.NewName("C");
        Answered(await Client.Create("/cse-in", subscriber, 2,
            $$$"""{"m2m:ae":{"rn":"{{{subscriber}}}","api":"Nsub","rr":true,"srv":["3"],"poa":["{{{_receiver.Url}}}"]}}"""), 2001);
        var (ae, container) = await AeWithContainer();

        // CAdmin subscribes: another AE would need NOTIFY on the target, which the target's default rule gives only to itself.
        Answered(await Subscribe(container, OneM2MClient.Admin, ""","enc":{"net":[3]}""", nu: subscriber), 2001);
        await Client.CreateInstance(container, ae, con: "to-poa");

        var received = await _receiver.WaitFor(r => r.Any(n => n.Signal?["nev"] is not null), "a notification at the poa");
        Assert.Contains(received, n => n.Signal?["vrq"] is not null);
        Assert.Equal("to-poa", (string)received.First(n => n.Signal?["nev"] is not null).Signal!["nev"]!["rep"]!["m2m:cin"]!["con"]!);
    }

    [Theory]
    [InlineData(""","enc":{"net":[9]}""", 4000)]
    [InlineData(""","enc":{"net":"3"}""", 4000)]
    [InlineData(""","enc":{"foo":[1]}""", 4000)]
    [InlineData(""","enc":{"net":[3]},"nct":2""", 4000)]
    [InlineData(""","nct":7""", 4000)]
    [InlineData(""","exc":0""", 4000)]
    [InlineData(""","bn":{"num":0}""", 4000)]
    [InlineData(""","bn":{"dur":"ten seconds"}""", 4000)]
    [InlineData(""","pn":3""", 4000)]
    [InlineData(""","nsp":1""", 5001)]
    [InlineData(""","nsi":[]""", 4000)]
    public async Task Invalid_subscription_attributes_are_rejected(string extra, int rsc)
    {
        var (ae, container) = await AeWithContainer();

        var response = await Subscribe(container, ae, extra);

        Answered(response, rsc);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task Batch_notify_sends_one_aggregated_notification_per_num_events()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, ""","enc":{"net":[3]},"bn":{"num":3,"dur":"PT60S"}"""), 2001);

        for (var i = 0; i < 6; i++)
        {
            await Client.CreateInstance(container, ae, con: i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var batches = (await _receiver.WaitFor(r => r.Count(n => n.Body.Contains("m2m:agn", StringComparison.Ordinal)) >= 2, "two batches"))
            .Where(n => n.Body.Contains("m2m:agn", StringComparison.Ordinal)).ToList();
        var contents = batches.SelectMany(b => JsonNode.Parse(b.Body)!["m2m:agn"]!["m2m:sgn"]!.AsArray())
            .Select(s => (string)s!["nev"]!["rep"]!["m2m:cin"]!["con"]!).ToList();
        Assert.Equal(["0", "1", "2", "3", "4", "5"], contents);
    }

    [Fact]
    public async Task Batch_duration_flushes_a_partial_batch()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, ""","enc":{"net":[3]},"bn":{"num":100,"dur":"PT1S"}"""), 2001);

        await Client.CreateInstance(container, ae, con: "alone");

        var batch = (await _receiver.WaitFor(r => r.Any(n => n.Body.Contains("m2m:agn", StringComparison.Ordinal)), "a batch after dur"))
            .Single(n => n.Body.Contains("m2m:agn", StringComparison.Ordinal));
        Assert.Single(JsonNode.Parse(batch.Body)!["m2m:agn"]!["m2m:sgn"]!.AsArray());
    }

    [Fact]
    public async Task Latest_notify_with_a_batch_sends_only_the_newest()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, ""","enc":{"net":[3]},"bn":{"num":3},"ln":true"""), 2001);

        for (var i = 0; i < 3; i++)
        {
            await Client.CreateInstance(container, ae, con: i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var batch = (await _receiver.WaitFor(r => r.Any(n => n.Body.Contains("m2m:agn", StringComparison.Ordinal)), "a batch"))
            .Single(n => n.Body.Contains("m2m:agn", StringComparison.Ordinal));
        var only = Assert.Single(JsonNode.Parse(batch.Body)!["m2m:agn"]!["m2m:sgn"]!.AsArray());
        Assert.Equal("2", (string)only!["nev"]!["rep"]!["m2m:cin"]!["con"]!);
    }

    [Fact]
    public async Task Notification_statistics_count_requests_and_responses_per_target()
    {
        var (ae, container) = await AeWithContainer();
        Answered(await Subscribe(container, ae, ""","enc":{"net":[3]},"nse":true"""), 2001);

        await Client.CreateInstance(container, ae);
        await Client.CreateInstance(container, ae);
        await _receiver.WaitFor(r => r.Count(n => n.Signal?["nev"] is not null) >= 2, "two notifications");

        JsonNode? statistics = null;
        var deadline = Deadline.In(TimeSpan.FromSeconds(10));
        while (!deadline.Passed)
        {
            statistics = (await Client.Retrieve(container + "/sub", ae)).Resource("m2m:sub")["nsi"]?[0];
            if (statistics is not null && (int)statistics["rsr"]! >= 2)
            {
                break;
            }

            await Task.Delay(25);
        }

        Assert.NotNull(statistics);
        Assert.Equal(_receiver.Url, (string)statistics["tg"]!);
        Assert.Equal(2, (int)statistics["rqs"]!);
        Assert.Equal(2, (int)statistics["rsr"]!);
    }

    [Fact]
    public async Task A_subscription_on_the_cse_base_hears_of_registrations_and_deregistrations()
    {
        var name = OneM2MClient.NewName("cbsub");
        Answered(await Subscribe("/cse-in", OneM2MClient.Admin, ""","enc":{"net":[3,4],"chty":[2]}""", name: name), 2001);

        var ae = await Client.RegisterAe();
        Answered(await Client.Delete("/cse-in/" + ae, ae), 2002);

        var received = await _receiver.WaitFor(
            r => r.Count(n => n.Signal?["nev"]?["rep"]?["m2m:ae"]?["ri"]?.GetValue<string>() == ae) >= 2, "registration and deregistration");
        var events = received.Where(n => n.Signal?["nev"]?["rep"]?["m2m:ae"]?["ri"]?.GetValue<string>() == ae)
            .Select(n => (int)n.Signal!["nev"]!["net"]!).ToList();
        Assert.Equal([3, 4], events);
        Answered(await Client.Delete("/cse-in/" + name, OneM2MClient.Admin), 2002);
        Answered(await Client.Retrieve("/cse-in/" + name, OneM2MClient.Admin), 4004);
    }

    [Fact]
    public async Task Missing_notification_uri_is_4000()
    {
        var (ae, container) = await AeWithContainer();

        var response = await Client.Create(container, ae, 23, """{"m2m:sub":{"rn":"s"}}""");

        Answered(response, 4000);
    }

    [Fact]
    public async Task Another_ae_cannot_subscribe_to_my_container()
    {
        var (_, container) = await AeWithContainer();
        var other = await Client.RegisterAe();

        var response = await Subscribe(container, other);

        Answered(response, 4103);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task A_content_instance_is_not_subscribable()
    {
        var (ae, container) = await AeWithContainer();
        await Client.CreateInstance(container, ae);

        var response = await Subscribe(container + "/la", ae);

        Assert.Contains(response.Rsc, new[] { 4108, 5203 });
    }
}
