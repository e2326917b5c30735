using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Protocol;
using static VirtualIoT.Tests.Bindings.SuiteContent;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// The <c>&lt;schedule&gt;</c> (ty 18) over every binding and serialization: <c>se</c>/<c>sce</c> entries checked
/// (4000 with a message), <c>nco</c> only under a node (4000 elsewhere, 5001 when true), one schedule per subscription
/// (4105), discovery, access control, result content and subscriptions on it; and a subscription's schedule keeping
/// it quiet outside its windows. Windows are chosen so the outcome does not depend on the clock: every second
/// (<c>* * * * * * *</c>) or only the year 2000.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class ScheduleSuiteTests(BindingsFixture fixture)
{
    private const string Admin = "CAdmin";
    private const string Always = "* * * * * * *";
    private const string Year2000 = "* * * * * * 2000";

    public static TheoryData<string, ContentSerialization> Combinations() => ProtocolSuiteTests.Combinations();

    public static TheoryData<string> Bindings() => [.. BindingsFixture.Bindings];

    private static Dictionary<string, object?> Schedule(params object?[] entries) =>
        Tree("m2m:sch", ("se", new Dictionary<string, object?> { ["sce"] = List(entries) }));

    private static Dictionary<string, object?> NamedSchedule(string name, params object?[] entries) =>
        Tree("m2m:sch", ("rn", name), ("se", new Dictionary<string, object?> { ["sce"] = List(entries) }));

    private Task<(IBindingClient Client, string AeId)> RegisterAsync(string binding, ContentSerialization serialization) =>
        SuiteContent.RegisterAsync(fixture, binding, serialization, "sch");

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task A_schedule_is_kept_updated_discovered_and_listed(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var ae = "cse-in/" + aeId;
        var created = await client.SendAsync(new TestPrimitive(1, ae, aeId, 18,
            Tree("m2m:sch", ("rn", "hours"), ("lbl", List("kind:hours")), ("se", new Dictionary<string, object?> { ["sce"] = List("* 0 8-17 * * 1-5 *") }))));
        var updated = await client.SendAsync(new TestPrimitive(3, ae + "/hours", aeId,
            Content: Tree("m2m:sch", ("se", new Dictionary<string, object?> { ["sce"] = List("* 0 8-17 * * 1-5 *", "* * 10 * * 6 *") }))));
        var retrieved = await client.SendAsync(new TestPrimitive(2, ae + "/hours", aeId));
        var byType = await client.SendAsync(new TestPrimitive(2, ae, aeId, Parameters: new Dictionary<string, string> { ["fu"] = "1", ["ty"] = "18" }));
        var byLabel = await client.SendAsync(new TestPrimitive(2, ae, aeId, Parameters: new Dictionary<string, string> { ["fu"] = "1", ["lbl"] = "kind:hours" }));
        var listed = await client.SendAsync(new TestPrimitive(2, ae, aeId, Parameters: new Dictionary<string, string> { ["rcn"] = "4" }));
        var (stranger, strangerId) = await RegisterAsync(binding, serialization);
        await using var __ = stranger;
        var outsider = await stranger.SendAsync(new TestPrimitive(2, ae + "/hours", strangerId));
        var pastExpiry = await client.SendAsync(new TestPrimitive(1, ae, aeId, 18,
            Tree("m2m:sch", ("et", "20000101T000000"), ("se", new Dictionary<string, object?> { ["sce"] = List(Always) }))));
        var deleted = await client.SendAsync(new TestPrimitive(4, ae + "/hours", aeId));
        var gone = await client.SendAsync(new TestPrimitive(2, ae + "/hours", aeId));

        Assert.True(created.Rsc == 2001, created.ToString());
        var schedule = created.Resource("m2m:sch");
        Assert.Equal(18L, schedule["ty"]);
        Assert.StartsWith("sch", (string)schedule["ri"]!, StringComparison.Ordinal);
        Assert.True(updated.Rsc == 2004, updated.ToString());
        var entries = Assert.IsType<List<object?>>(Assert.IsType<Dictionary<string, object?>>(retrieved.Resource("m2m:sch")["se"])["sce"]);
        Assert.Equal(["* 0 8-17 * * 1-5 *", "* * 10 * * 6 *"], entries.Cast<string>());
        Assert.Equal(List(ae + "/hours"), byType.Content?["m2m:uril"]);
        Assert.Equal(List(ae + "/hours"), byLabel.Content?["m2m:uril"]);
        Assert.Contains(Assert.IsType<List<object?>>(listed.Resource("m2m:ae")["m2m:sch"]), c => ((Dictionary<string, object?>)c!)["rn"] is "hours");
        Assert.True(outsider.Rsc == 4103, outsider.ToString());
        Assert.True(pastExpiry.Rsc == 4000, pastExpiry.ToString());
        Assert.Equal(2002, deleted.Rsc);
        Assert.Equal(4004, gone.Rsc);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Bad_schedules_are_refused_with_a_reason(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        await using var admin = await fixture.ConnectAsync(binding, serialization, Admin);
        var ae = "cse-in/" + aeId;
        var node = "node" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(2001, (await admin.SendAsync(new TestPrimitive(1, "cse-in", Admin, 14, Tree("m2m:nod", ("rn", node), ("ni", "urn:dev:" + node))))).Rsc);
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", "box"))))).Rsc);

        var cases = new (string What, TestAnswer Answer, int Rsc, string Mentions)[]
        {
            ("no se", await client.SendAsync(new TestPrimitive(1, ae, aeId, 18, Tree("m2m:sch", ("rn", "x")))), 4000, "se"),
            ("se without sce", await client.SendAsync(new TestPrimitive(1, ae, aeId, 18, Tree("m2m:sch", ("se", new Dictionary<string, object?>())))), 4000, "se"),
            ("empty sce", await client.SendAsync(new TestPrimitive(1, ae, aeId, 18, Schedule())), 4000, "se"),
            ("six fields", await client.SendAsync(new TestPrimitive(1, ae, aeId, 18, Schedule("* * * * * *"))), 4000, "7 fields"),
            ("hour 24", await client.SendAsync(new TestPrimitive(1, ae, aeId, 18, Schedule("* * 24 * * * *"))), 4000, "field 3"),
            ("number entry", await client.SendAsync(new TestPrimitive(1, ae, aeId, 18, Schedule(5L))), 4000, "sce"),
            ("other member", await client.SendAsync(new TestPrimitive(1, ae, aeId, 18,
                Tree("m2m:sch", ("se", new Dictionary<string, object?> { ["sce"] = List(Always), ["x"] = 1L })))), 4000, "'x'"),
            ("nco under an AE", await client.SendAsync(new TestPrimitive(1, ae, aeId, 18,
                Tree("m2m:sch", ("nco", false), ("se", new Dictionary<string, object?> { ["sce"] = List(Always) })))), 4000, "nco"),
            ("nco true under a node", await admin.SendAsync(new TestPrimitive(1, "cse-in/" + node, Admin, 18,
                Tree("m2m:sch", ("nco", true), ("se", new Dictionary<string, object?> { ["sce"] = List(Always) })))), 5001, "nco"),
            ("under a container", await client.SendAsync(new TestPrimitive(1, ae + "/box", aeId, 18, Schedule(Always))), 4108, "18"),
        };
        var reachability = await admin.SendAsync(new TestPrimitive(1, "cse-in/" + node, Admin, 18,
            Tree("m2m:sch", ("rn", "reach"), ("nco", false), ("se", new Dictionary<string, object?> { ["sce"] = List("* 0-29 * * * * *") }))));
        var badUpdate = await admin.SendAsync(new TestPrimitive(3, $"cse-in/{node}/reach", Admin,
            Content: Tree("m2m:sch", ("se", new Dictionary<string, object?> { ["sce"] = List("x") }))));

        foreach (var (what, answer, rsc, mentions) in cases)
        {
            Assert.True(answer.Rsc == rsc, $"{what}: expected {rsc}, got {answer}");
            Assert.Contains(mentions, answer.Debug ?? "", StringComparison.Ordinal);
        }

        Assert.True(reachability.Rsc == 2001, reachability.ToString());
        Assert.Equal(false, reachability.Resource("m2m:sch")["nco"]);
        Assert.True(badUpdate.Rsc == 4000, badUpdate.ToString());
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_subscription_notifies_only_inside_its_schedule(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding, ContentSerialization.Json);
        await using var _ = client;
        await using var scheduled = new NotificationReceiver();
        await using var unscheduled = new NotificationReceiver();
        var container = $"cse-in/{aeId}/box";
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, Tree("m2m:cnt", ("rn", "box"))))).Rsc);
        foreach (var (name, receiver) in new[] { ("quiet", scheduled), ("loud", unscheduled) })
        {
            var subscription = await client.SendAsync(new TestPrimitive(1, container, aeId, 23,
                Tree("m2m:sub", ("rn", name), ("nu", List(receiver.Url)), ("enc", new Dictionary<string, object?> { ["net"] = List(3L) }))));
            Assert.True(subscription.Rsc == 2001, subscription.ToString());
        }

        var schedule = await client.SendAsync(new TestPrimitive(1, container + "/quiet", aeId, 18, NamedSchedule("notificationSchedule", Year2000)));
        var second = await client.SendAsync(new TestPrimitive(1, container + "/quiet", aeId, 18, Schedule(Always)));
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, container, aeId, 4, Tree("m2m:cin", ("rn", "outside"), ("con", "1"))))).Rsc);
        await unscheduled.WaitFor(r => r.Any(n => Created(n) == "outside"), "the unscheduled subscription's notification of 'outside'");

        // Inside the window again: the next event is notified, and the one before never was.
        var opened = await client.SendAsync(new TestPrimitive(3, container + "/quiet/notificationSchedule", aeId, Content: Schedule(Always)));
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, container, aeId, 4, Tree("m2m:cin", ("rn", "inside"), ("con", "2"))))).Rsc);
        var received = await scheduled.WaitFor(r => r.Any(n => Created(n) == "inside"), "the scheduled subscription's notification of 'inside'");

        Assert.True(schedule.Rsc == 2001, schedule.ToString());
        Assert.True(second.Rsc == 4105, second.ToString());
        Assert.Contains("schedule", second.Debug, StringComparison.Ordinal);
        Assert.True(opened.Rsc == 2004, opened.ToString());
        Assert.DoesNotContain(received, n => Created(n) == "outside");
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task Pending_notifications_go_out_when_the_window_opens(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding, ContentSerialization.Json);
        await using var _ = client;
        await using var latest = new NotificationReceiver();
        await using var all = new NotificationReceiver();
        var container = $"cse-in/{aeId}/box";
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, Tree("m2m:cnt", ("rn", "box"))))).Rsc);
        var badPending = await client.SendAsync(new TestPrimitive(1, container, aeId, 23,
            Tree("m2m:sub", ("nu", List(latest.Url)), ("pn", 3L), ("enc", new Dictionary<string, object?> { ["net"] = List(3L) }))));
        foreach (var (name, receiver, pending) in new[] { ("latest", latest, 1L), ("all", all, 2L) })
        {
            var subscription = await client.SendAsync(new TestPrimitive(1, container, aeId, 23,
                Tree("m2m:sub", ("rn", name), ("nu", List(receiver.Url)), ("pn", pending), ("nse", true), ("enc", new Dictionary<string, object?> { ["net"] = List(3L) }))));
            Assert.True(subscription.Rsc == 2001, subscription.ToString());
            Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, container + "/" + name, aeId, 18, NamedSchedule("notificationSchedule", Year2000)))).Rsc);
        }

        foreach (var instance in (string[])["one", "two", "three"])
        {
            Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, container, aeId, 4, Tree("m2m:cin", ("rn", instance), ("con", instance))))).Rsc);
        }

        // The windows open once each subscription has taken the three events (counted in noec while kept; "latest" also
        // took the creation of "all" under the container): what was kept goes out, the latest only (pn 1) or all in
        // order (pn 2).
        foreach (var (name, events) in new[] { ("latest", 4L), ("all", 3L) })
        {
            TestAnswer? last = null;
            var taken = M2MTime.WaitUntil(async () => (last = await client.SendAsync(new TestPrimitive(2, container + "/" + name, aeId))).Content?
                .GetValueOrDefault("m2m:sub") is Dictionary<string, object?> sub && sub.GetValueOrDefault("nsi") is List<object?> { Count: > 0 } nsi
                && nsi[0] is Dictionary<string, object?> entry
                && Convert.ToInt64(entry.GetValueOrDefault("noec"), System.Globalization.CultureInfo.InvariantCulture) == events,
                $"subscription {name} took the events ({events})");
            try
            {
                await taken;
            }
            catch (Xunit.Sdk.XunitException timedOut)
            {
                throw new Xunit.Sdk.XunitException($"{timedOut.Message}; last answer: {last}");
            }

            Assert.Equal(2004, (await client.SendAsync(new TestPrimitive(3, container + "/" + name + "/notificationSchedule", aeId, Content: Schedule(Always)))).Rsc);
        }

        var toLatest = await latest.WaitFor(r => r.Any(n => Created(n) == "three"), "the latest pending notification (pn 1), of 'three'");
        var toAll = await all.WaitFor(r => r.Count(n => Created(n) is not null) >= 3, "all three pending notifications (pn 2)");

        Assert.True(badPending.Rsc == 4000, badPending.ToString());
        Assert.Equal(["three"], toLatest.Select(Created).Where(c => c is not null));
        Assert.Equal(["one", "two", "three"], toAll.Select(Created).Where(c => c is not null));
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_schedule_can_be_subscribed_to(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding, ContentSerialization.Json);
        await using var _ = client;
        await using var receiver = new NotificationReceiver();
        var schedule = $"cse-in/{aeId}/windows";
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 18, NamedSchedule("windows", Always)))).Rsc);
        var subscription = await client.SendAsync(new TestPrimitive(1, schedule, aeId, 23, Tree("m2m:sub", ("nu", List(receiver.Url)))));

        var updated = await client.SendAsync(new TestPrimitive(3, schedule, aeId, Content: Schedule(Year2000)));
        var received = await receiver.WaitFor(r => r.Any(n => n.Signal?["nev"]?["net"]?.GetValue<int>() == 1), "the update notification (net 1)");

        Assert.True(subscription.Rsc == 2001, subscription.ToString());
        Assert.Equal(2004, updated.Rsc);
        var representation = received.First(n => n.Signal?["nev"]?["net"]?.GetValue<int>() == 1).Signal!["nev"]!["rep"]!["m2m:sch"]!;
        Assert.Equal(Year2000, representation["se"]!["sce"]![0]!.GetValue<string>());
    }

    private static string? Created(ReceivedNotification notification) =>
        notification.Signal?["nev"]?["rep"]?["m2m:cin"]?["rn"]?.GetValue<string>();
}
