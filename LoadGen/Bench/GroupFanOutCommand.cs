using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using HdrHistogram;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// Group fan-out benchmark: one AE with N containers (one content instance each) in one group, then requests to the
/// group's <c>fopt</c>, one after another: a retrieve of every member's <c>la</c> (latency per fan-out) or a create of
/// a content instance in every member (member operations per second). Every answer is checked: 2000 with one
/// <c>m2m:rsp</c> per member, each 2000 (la) or 2001 (cin).
/// </summary>
internal static class GroupFanOutCommand
{
    public static async Task<int> RunAsync(CommandLine options)
    {
        var baseUri = options.BaseUri();
        var members = options.Int("members", 1000);
        var requests = options.Int("requests", 200);
        var warmup = options.Int("warmup", 20);
        var op = options.String("op", "la");
        var concurrency = options.Int("concurrency", 1);
        var setupConcurrency = options.Int("setup-concurrency", 32);
        var siloPid = options.Int("silo-pid", 0);
        var run = DateTime.UtcNow.ToString("HHmmssfff", CultureInfo.InvariantCulture);
        var ae = "Cgrp" + run;
        using var http = BenchmarkHttp.CreateClient(baseUri, Math.Max(concurrency, setupConcurrency));
        http.Timeout = TimeSpan.FromSeconds(60);

        var setup = Stopwatch.StartNew();
        await Expect(http, BenchmarkHttp.Request(HttpMethod.Post, new Uri("cse-in", UriKind.Relative), ae, "ae", 2,
            Encoding.UTF8.GetBytes($$$"""{"m2m:ae":{"rn":"{{{ae}}}","api":"Ngroupbench","rr":false,"srv":["3"]}}""")), "2001");
        var ids = new string[members];
        await Parallel.ForEachAsync(Enumerable.Range(0, members), new ParallelOptions { MaxDegreeOfParallelism = setupConcurrency }, async (i, _) =>
        {
            var created = await Expect(http, BenchmarkHttp.Request(HttpMethod.Post, new Uri($"cse-in/{ae}", UriKind.Relative), ae, $"c{i}", 3,
                Encoding.UTF8.GetBytes($$$"""{"m2m:cnt":{"rn":"c{{{i}}}","mni":10}}""")), "2001");
            ids[i] = JsonNode.Parse(created)!["m2m:cnt"]!["ri"]!.GetValue<string>();
            await Expect(http, BenchmarkHttp.Request(HttpMethod.Post, new Uri($"cse-in/{ae}/c{i}", UriKind.Relative), ae, $"i{i}", 4,
                BenchmarkHttp.ContentInstanceBody), "2001");
        });
        var mid = new JsonArray(ids.Select(id => (JsonNode?)id).ToArray()).ToJsonString();
        await Expect(http, BenchmarkHttp.Request(HttpMethod.Post, new Uri($"cse-in/{ae}", UriKind.Relative), ae, "grp", 9,
            Encoding.UTF8.GetBytes($$$"""{"m2m:grp":{"rn":"g","mnm":{{{members}}},"mid":{{{mid}}}}}""")), "2001");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GROUP setup: {members} containers and the group in {setup.Elapsed.TotalSeconds:F1} s"));

        var fopt = new Uri(op == "la" ? $"cse-in/{ae}/g/fopt/la" : $"cse-in/{ae}/g/fopt", UriKind.Relative);
        var memberRsc = op == "la" ? "\"rsc\":2000" : "\"rsc\":2001";
        HttpRequestMessage NewRequest(int i) => op == "la"
            ? BenchmarkHttp.Request(HttpMethod.Get, fopt, ae, $"f{i}")
            : BenchmarkHttp.Request(HttpMethod.Post, fopt, ae, $"f{i}", 4, BenchmarkHttp.ContentInstanceBody);

        for (var i = 0; i < warmup; i++)
        {
            await FanOut(http, NewRequest(-1 - i), memberRsc, members);
        }

        var histogram = new LongConcurrentHistogram(1, TimeSpan.FromMinutes(1).Ticks, 3);
        var loadBefore = LoadAverage();
        var cpuBefore = SiloCpuSeconds(siloPid);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, requests), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
        {
            var started = Stopwatch.GetTimestamp();
            await FanOut(http, NewRequest(i), memberRsc, members);
            histogram.RecordValue(Math.Max(1, Stopwatch.GetElapsedTime(started).Ticks));
        });
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = SiloCpuSeconds(siloPid) - cpuBefore;
        var siloCpu = siloPid > 0
            ? string.Create(CultureInfo.InvariantCulture, $" silo_cpu_ms_per_fanout={cpu * 1000 / requests:F1} silo_cpu_us_per_member_op={cpu * 1e6 / requests / members:F1}")
            : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GROUP op={op} members={members} requests={requests} concurrency={concurrency} seconds={seconds:F2} " +
            $"fanouts_per_s={requests / seconds:F1} member_ops_per_s={(double)requests * members / seconds:F0} " +
            $"p50_ms={Ms(histogram, 50)} p90_ms={Ms(histogram, 90)} p99_ms={Ms(histogram, 99)} max_ms={histogram.GetMaxValue() / 10_000.0:F1}" +
            $"{siloCpu} loadavg_before={loadBefore} loadavg_after={LoadAverage()}"));
        return 0;
    }

    /// <summary>User + system CPU seconds of the silo process (0 without <c>--silo-pid</c>).</summary>
    internal static double SiloCpuSeconds(int pid) =>
        pid > 0 ? Measurement.ServerProbe.ReadProcess(pid).Cpu ?? throw new InvalidOperationException($"cannot read /proc/{pid}/stat") : 0;

    /// <summary>The 1-minute load average: the figures depend on what else runs on the machine.</summary>
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static string Ms(HistogramBase histogram, double percentile) =>
        (histogram.GetValueAtPercentile(percentile) / 10_000.0).ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>Sends one fan-out and checks it answered 2000 with one entry per member, each with the expected status.</summary>
    private static async Task FanOut(HttpClient http, HttpRequestMessage request, string memberRsc, int members)
    {
        var body = await Expect(http, request, "2000");
        var count = 0;
        for (var at = body.IndexOf(memberRsc, StringComparison.Ordinal); at >= 0; at = body.IndexOf(memberRsc, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        if (count != members)
        {
            throw new InvalidOperationException($"fan-out answered {count} of {members} members with {memberRsc}: {body[..Math.Min(body.Length, 500)]}");
        }
    }

    private static async Task<string> Expect(HttpClient http, HttpRequestMessage request, string rsc)
    {
        using (request)
        using (var response = await http.SendAsync(request))
        {
            var body = await response.Content.ReadAsStringAsync();
            var actual = BenchmarkHttp.ResponseStatusCode(response);
            if (actual != rsc)
            {
                throw new InvalidOperationException($"{request.Method} {request.RequestUri} answered {actual}: {body[..Math.Min(body.Length, 500)]}");
            }

            return body;
        }
    }
}
