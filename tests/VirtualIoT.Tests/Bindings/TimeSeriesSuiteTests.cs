using System.Globalization;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Bindings.SuiteContent;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// The <c>&lt;timeSeries&gt;</c> (ty 29) and its <c>&lt;timeSeriesInstance&gt;</c>s (ty 30) over every binding: instances
/// kept by <c>mni</c>/<c>mbs</c>, <c>la</c>/<c>ol</c>, <c>dgt</c> unique per series (4105), the detection parameters'
/// rules (4000), and missing-data detection with its report to a net 8 subscription (<c>m2m:tsn</c>, nct 5). Detection
/// runs on the CSE's timer: the tests use a 1 s period and poll to a deadline for what it finds. The instance cases run
/// in XML too.
/// </summary>
[Collection(BindingsTimeSeriesCollection.Name)]
public sealed class TimeSeriesSuiteTests(BindingsFixture fixture)
{
    public static TheoryData<string, ContentSerialization> Combinations() => JsonAndCbor();

    public static TheoryData<string> Bindings() => [.. BindingsFixture.Bindings];

    private static string Timestamp(DateTime utc) => utc.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);

    private Task<(IBindingClient Client, string AeId)> RegisterAsync(string binding, ContentSerialization serialization) =>
        SuiteContent.RegisterAsync(fixture, binding, serialization, "ts");

    private static Task<TestAnswer> AddInstance(IBindingClient client, string series, string aeId, string dgt, object content) =>
        client.SendAsync(new TestPrimitive(1, series, aeId, 30, Tree("m2m:tsi", ("dgt", dgt), ("con", content))));

    [Theory]
    [MemberData(nameof(ProtocolSuiteTests.Combinations), MemberType = typeof(ProtocolSuiteTests))]
    public async Task Instances_are_kept_by_mni_with_latest_and_oldest(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var series = $"cse-in/{aeId}/temps";
        var created = await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 29, Tree("m2m:ts", ("rn", "temps"), ("mni", 3L))));
        var start = new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc);

        var first = await client.SendAsync(new TestPrimitive(1, series, aeId, 30,
            Tree("m2m:tsi", ("rn", "first"), ("dgt", Timestamp(start)), ("con", "aValue"), ("snr", 1L))));
        foreach (var (value, offset) in new[] { ("bValue", 1), ("cValue", 2), ("dValue", 3) })
        {
            Assert.Equal(2001, (await AddInstance(client, series, aeId, Timestamp(start.AddSeconds(offset)), value)).Rsc);
        }

        var timeSeries = (await client.SendAsync(new TestPrimitive(2, series, aeId))).Resource("m2m:ts");
        var latest = await client.SendAsync(new TestPrimitive(2, series + "/la", aeId));
        var oldest = await client.SendAsync(new TestPrimitive(2, series + "/ol", aeId));
        var evicted = await client.SendAsync(new TestPrimitive(2, series + "/first", aeId));
        var update = await client.SendAsync(new TestPrimitive(3, series + "/la", aeId, Content: Tree("m2m:tsi", ("con", "x"))));
        var children = await client.SendAsync(new TestPrimitive(2, series, aeId, Parameters: new Dictionary<string, string> { ["rcn"] = "4" }));

        Assert.True(created.Rsc == 2001, created.ToString());
        var ts = created.Resource("m2m:ts");
        Assert.Equal(29L, ts["ty"]);
        Assert.StartsWith("tser", (string)ts["ri"]!, StringComparison.Ordinal);
        Assert.Equal(false, ts["mdd"]);
        Assert.Equal(0L, ts["cni"]);
        Assert.Equal(0L, ts["mdc"]);
        Assert.True(first.Rsc == 2001, first.ToString());
        var tsi = first.Resource("m2m:tsi");
        Assert.Equal(30L, tsi["ty"]);
        Assert.StartsWith("tsi", (string)tsi["ri"]!, StringComparison.Ordinal);
        Assert.Equal(6L, tsi["cs"]);
        Assert.Equal(1L, tsi["snr"]);
        Assert.Equal(3L, timeSeries["cni"]);
        Assert.Equal(18L, timeSeries["cbs"]);
        Assert.Equal("dValue", latest.Resource("m2m:tsi")["con"]);
        Assert.Equal("bValue", oldest.Resource("m2m:tsi")["con"]);
        Assert.Equal(4004, evicted.Rsc);
        Assert.Equal(4005, update.Rsc);
        Assert.Equal(3, children.Resource("m2m:ts")["m2m:tsi"] is List<object?> list ? list.Count : 0);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task A_second_instance_with_the_same_dgt_is_a_conflict(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var series = $"cse-in/{aeId}/temps";
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 29, Tree("m2m:ts", ("rn", "temps"))))).Rsc);
        Assert.Equal(2001, (await AddInstance(client, series, aeId, "20260301T100000", "first")).Rsc);

        var sameTime = await AddInstance(client, series, aeId, "20260301T100000,000", "second");
        var withoutDgt = await client.SendAsync(new TestPrimitive(1, series, aeId, 30, Tree("m2m:tsi", ("con", "x"))));
        var withoutCon = await client.SendAsync(new TestPrimitive(1, series, aeId, 30, Tree("m2m:tsi", ("dgt", "20260301T100001"))));
        var otherTime = await AddInstance(client, series, aeId, "20260301T100001", "third");

        Assert.True(sameTime.Rsc == 4105, sameTime.ToString());
        Assert.Contains("dgt", sameTime.Debug, StringComparison.Ordinal);
        Assert.True(withoutDgt.Rsc == 4000, withoutDgt.ToString());
        Assert.Contains("dgt", withoutDgt.Debug, StringComparison.Ordinal);
        Assert.True(withoutCon.Rsc == 4000, withoutCon.ToString());
        Assert.Equal(2001, otherTime.Rsc);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task An_instance_above_mbs_is_refused_and_smaller_ones_evict_the_oldest(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var series = $"cse-in/{aeId}/sized";
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 29, Tree("m2m:ts", ("rn", "sized"), ("mbs", 30L))))).Rsc);

        var tooLarge = await AddInstance(client, series, aeId, "20260301T100000", new string('x', 31));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(2001, (await AddInstance(client, series, aeId, Timestamp(new DateTime(2026, 3, 1, 10, 0, i, DateTimeKind.Utc)), new string('x', 10))).Rsc);
        }

        var ts = (await client.SendAsync(new TestPrimitive(2, series, aeId))).Resource("m2m:ts");

        Assert.True(tooLarge.Rsc == 5207, tooLarge.ToString());
        Assert.Equal(3L, ts["cni"]);
        Assert.Equal(30L, ts["cbs"]);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Detection_parameters_follow_their_rules(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var parent = "cse-in/" + aeId;
        var defaulted = await client.SendAsync(new TestPrimitive(1, parent, aeId, 29, Tree("m2m:ts", ("rn", "a"), ("pei", 1000L), ("mdt", 300L))));
        var detecting = await client.SendAsync(new TestPrimitive(1, parent, aeId, 29,
            Tree("m2m:ts", ("rn", "b"), ("pei", 1000L), ("mdd", true), ("mdt", 800L), ("mdn", 5L))));

        var deltaTooLarge = await client.SendAsync(new TestPrimitive(1, parent, aeId, 29, Tree("m2m:ts", ("pei", 1000L), ("peid", 600L))));
        var detectWithoutTimer = await client.SendAsync(new TestPrimitive(1, parent, aeId, 29, Tree("m2m:ts", ("pei", 1000L), ("mdd", true))));
        var timerNotAboveDelta = await client.SendAsync(new TestPrimitive(1, parent, aeId, 29,
            Tree("m2m:ts", ("pei", 1000L), ("peid", 400L), ("mdd", true), ("mdt", 400L))));
        var missingList = await client.SendAsync(new TestPrimitive(1, parent, aeId, 29, Tree("m2m:ts", ("mdlt", List()))));
        var badContentInfo = await client.SendAsync(new TestPrimitive(1, parent, aeId, 29, Tree("m2m:ts", ("cnf", "text"))));
        var mddWithParameter = await client.SendAsync(new TestPrimitive(3, parent + "/a", aeId, Content: Tree("m2m:ts", ("mdd", true), ("mdn", 3L))));
        var parameterWhileDetecting = await client.SendAsync(new TestPrimitive(3, parent + "/b", aeId, Content: Tree("m2m:ts", ("pei", 2000L))));
        var newInterval = await client.SendAsync(new TestPrimitive(3, parent + "/a", aeId, Content: Tree("m2m:ts", ("pei", 4000L))));
        var stopped = await client.SendAsync(new TestPrimitive(3, parent + "/b", aeId, Content: Tree("m2m:ts", ("mdd", false))));

        Assert.True(defaulted.Rsc == 2001, defaulted.ToString());
        Assert.Equal(150L, defaulted.Resource("m2m:ts")["peid"]);
        Assert.False(defaulted.Resource("m2m:ts").ContainsKey("mdlt"));
        Assert.True(detecting.Rsc == 2001, detecting.ToString());
        var b = detecting.Resource("m2m:ts");
        Assert.Equal(500L, b["peid"]);
        Assert.Equal(true, b["mdd"]);
        Assert.Equal(List(), b["mdlt"]);
        Assert.Equal(0L, b["mdc"]);
        foreach (var (answer, mentions) in new[]
        {
            (deltaTooLarge, "peid"), (detectWithoutTimer, "mdt"), (timerNotAboveDelta, "mdt"), (missingList, "mdlt"),
            (badContentInfo, "cnf"), (mddWithParameter, "mdd"), (parameterWhileDetecting, "mdd"),
        })
        {
            Assert.True(answer.Rsc == 4000, $"expected 4000 mentioning {mentions}, got {answer}");
            Assert.Contains(mentions, answer.Debug, StringComparison.Ordinal);
        }

        Assert.True(newInterval.Rsc == 2004, newInterval.ToString());
        Assert.Equal(2000L, newInterval.Resource("m2m:ts")["peid"]);
        Assert.Equal(2004, stopped.Rsc);
        Assert.Equal(false, stopped.Resource("m2m:ts")["mdd"]);
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task Missing_points_are_listed_and_reported_to_a_missing_data_subscription(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding, ContentSerialization.Json);
        await using var _ = client;
        await using var receiver = new NotificationReceiver();
        var series = $"cse-in/{aeId}/beats";
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 29,
            Tree("m2m:ts", ("rn", "beats"), ("pei", 1000L), ("peid", 200L), ("mdt", 500L), ("mdd", true), ("mdn", 10L))))).Rsc);
        var subscription = await client.SendAsync(new TestPrimitive(1, series, aeId, 23, Tree("m2m:sub",
            ("rn", "gaps"), ("nu", List(receiver.Url)),
            ("enc", new Dictionary<string, object?> { ["net"] = List(8L), ["md"] = new Dictionary<string, object?> { ["num"] = 2L, ["dur"] = "PT1M" } }))));

        // Three points sent ahead for the next three periods, then silence: the points after them go missing. The
        // periods start 7.5-8 s from now so that, however slow the machine, the three creates arrive before the first
        // check (expected + mdt) and only the silent periods are missing (a 2.5-3 s lead was once too short at load 40).
        var start = DateTime.UtcNow.AddSeconds(8);
        start = new DateTime(start.Ticks - (start.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(2001, (await AddInstance(client, series, aeId, Timestamp(start.AddSeconds(i)), i)).Rsc);
        }

        var reports = await receiver.WaitFor(r => r.Any(n => n.Signal?["nev"]?["net"]?.GetValue<int>() == 8), "a missing-data report (net 8)",
            TimeSpan.FromSeconds(40));
        var detected = await PollAsync(client, series, aeId, ts => ts["mdc"] is long mdc && mdc >= 2, "mdc of at least 2");

        Assert.True(subscription.Rsc == 2001, subscription.ToString());
        Assert.Equal(5L, subscription.Resource("m2m:sub")["nct"]);
        var report = reports.First(n => n.Signal?["nev"]?["net"]?.GetValue<int>() == 8).Signal!["nev"]!["rep"]!["m2m:tsn"]!;
        Assert.Equal(2, report["mdc"]!.GetValue<int>());
        Assert.Equal([Timestamp(start.AddSeconds(3)), Timestamp(start.AddSeconds(4))],
            report["mdlt"]!.AsArray().Select(p => p!.GetValue<string>()[..15]).ToArray());
        var mdlt = Assert.IsType<List<object?>>(detected["mdlt"]);
        Assert.Equal(Timestamp(start.AddSeconds(3)), ((string)mdlt[0]!)[..15]);
        Assert.Equal(mdlt.Count, (int)(long)detected["mdc"]!);
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task Turning_detection_on_clears_the_missing_data_and_off_stops_it(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding, ContentSerialization.Json);
        await using var _ = client;
        var series = $"cse-in/{aeId}/beats";
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 29,
            Tree("m2m:ts", ("rn", "beats"), ("pei", 1000L), ("mdt", 500L), ("mdd", true))))).Rsc);
        Assert.Equal(2001, (await AddInstance(client, series, aeId, Timestamp(DateTime.UtcNow), 0)).Rsc);
        await PollAsync(client, series, aeId, ts => ts["mdc"] is long mdc && mdc >= 1, "a first missing point");

        var off = await client.SendAsync(new TestPrimitive(3, series, aeId, Content: Tree("m2m:ts", ("mdd", false))));
        var kept = (await client.SendAsync(new TestPrimitive(2, series, aeId))).Resource("m2m:ts");
        var on = await client.SendAsync(new TestPrimitive(3, series, aeId, Content: Tree("m2m:ts", ("mdd", true))));

        Assert.Equal(2004, off.Rsc);
        Assert.True((long)kept["mdc"]! >= 1, "turning detection off keeps what it found");
        Assert.Equal(2004, on.Rsc);
        Assert.Equal(0L, on.Resource("m2m:ts")["mdc"]);
        Assert.Equal(List(), on.Resource("m2m:ts")["mdlt"]);
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_missing_data_subscription_needs_a_time_series_and_md(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding, ContentSerialization.Json);
        await using var _ = client;
        await using var receiver = new NotificationReceiver();
        var parent = "cse-in/" + aeId;
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, parent, aeId, 29, Tree("m2m:ts", ("rn", "s"))))).Rsc);
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, parent, aeId, 3, Tree("m2m:cnt", ("rn", "c"))))).Rsc);
        var md = new Dictionary<string, object?> { ["num"] = 1L, ["dur"] = "PT10S" };

        var onContainer = await Subscribe(client, parent + "/c", aeId, receiver, new() { ["net"] = List(8L), ["md"] = md });
        var withoutMd = await Subscribe(client, parent + "/s", aeId, receiver, new() { ["net"] = List(8L) });
        var mdWithoutNet = await Subscribe(client, parent + "/s", aeId, receiver, new() { ["net"] = List(1L), ["md"] = md });
        var badMd = await Subscribe(client, parent + "/s", aeId, receiver,
            new() { ["net"] = List(8L), ["md"] = new Dictionary<string, object?> { ["num"] = 0L, ["dur"] = "PT10S" } });
        var wrongContentType = await Subscribe(client, parent + "/s", aeId, receiver, new() { ["net"] = List(8L), ["md"] = md }, nct: 1L);

        foreach (var (answer, mentions) in new[] { (onContainer, "timeSeries"), (withoutMd, "md"), (mdWithoutNet, "md"), (badMd, "md"), (wrongContentType, "nct") })
        {
            Assert.True(answer.Rsc == 4000, $"expected 4000 mentioning {mentions}, got {answer}");
            Assert.Contains(mentions, answer.Debug, StringComparison.Ordinal);
        }
    }

    private static Task<TestAnswer> Subscribe(IBindingClient client, string target, string aeId, NotificationReceiver receiver,
        Dictionary<string, object?> enc, long? nct = null)
    {
        var attributes = new List<(string, object?)> { ("nu", List(receiver.Url)), ("enc", enc) };
        if (nct is { } type)
        {
            attributes.Add(("nct", type));
        }

        return client.SendAsync(new TestPrimitive(1, target, aeId, 23, Tree("m2m:sub", [.. attributes])));
    }

    /// <summary>Retrieves the timeSeries until <paramref name="condition"/> holds, or fails naming what was missing.</summary>
    private static async Task<Dictionary<string, object?>> PollAsync(IBindingClient client, string series, string aeId,
        Func<Dictionary<string, object?>, bool> condition, string what)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(20));
        Dictionary<string, object?>? last = null;
        while (!deadline.Passed)
        {
            last = (await client.SendAsync(new TestPrimitive(2, series, aeId))).Resource("m2m:ts");
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"timed out waiting for {what}; the timeSeries was {TestAnswer.Describe(last)}");
    }
}
