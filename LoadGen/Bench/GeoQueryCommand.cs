using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using HdrHistogram;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// Geo-query benchmark: N AEs registered with a point location (<c>loc</c>) spread at random (seeded) over a
/// 10° × 10° area, then discoveries from the CSEBase with a square polygon (<c>gmty</c> 3, <c>gsf</c> 2: the square
/// contains the AE's point), one at a time. Every answer is checked against the count of points inside its square,
/// computed here from the same seed, so a fast wrong answer fails the run.
/// </summary>
internal static class GeoQueryCommand
{
    private const double West = 0, South = 40, Span = 10;

    public static async Task<int> RunAsync(CommandLine options)
    {
        var baseUri = options.BaseUri();
        var resources = options.Int("resources", 100_000);
        var queries = options.Int("queries", 200);
        var warmup = options.Int("warmup", 20);
        var side = options.Double("side", 0.1);
        var seed = options.Int("seed", 1);
        var querySeed = options.Int("query-seed", seed + 1000);
        var register = options.Int("register", 1) != 0;
        var setupConcurrency = options.Int("setup-concurrency", 64);
        var run = options.String("run", DateTime.UtcNow.ToString("HHmmssfff", CultureInfo.InvariantCulture))!;
        using var http = BenchmarkHttp.CreateClient(baseUri, setupConcurrency);
        http.Timeout = TimeSpan.FromSeconds(60);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GEO seed={seed} query_seed={querySeed} run={run} register={register}"));

        var random = new Random(seed);
        var points = new (double X, double Y)[resources];
        for (var i = 0; i < resources; i++)
        {
            points[i] = (West + (random.NextDouble() * Span), South + (random.NextDouble() * Span));
        }

        var setup = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, register ? resources : 0), new ParallelOptions { MaxDegreeOfParallelism = setupConcurrency }, async (i, _) =>
        {
            var ae = string.Create(CultureInfo.InvariantCulture, $"Cgeo{run}x{i}");
            var crd = string.Create(CultureInfo.InvariantCulture, $"[{points[i].X:F6}, {points[i].Y:F6}]");
            await Expect(http, BenchmarkHttp.Request(HttpMethod.Post, new Uri(BenchmarkHttp.CseBase, UriKind.Relative), ae, "r" + i, 2,
                Encoding.UTF8.GetBytes("{\"m2m:ae\":{\"rn\":\"" + ae + "\",\"api\":\"Ngeobench\",\"rr\":false,\"srv\":[\"4\"],\"loc\":{\"typ\":1,\"crd\":\"" + crd + "\"}}}")), "2001");
        });
        if (register)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GEO setup: {resources} located AEs in {setup.Elapsed.TotalSeconds:F1} s"));
        }

        var squares = new Random(querySeed);

        // Only this run's AEs count: earlier runs on the same CSE lie in the same area, so results are filtered by name.
        async Task Query(int n, HistogramBase? histogram)
        {
            var x = West + (squares.NextDouble() * (Span - side));
            var y = South + (squares.NextDouble() * (Span - side));
            var expected = 0;
            foreach (var (px, py) in points)
            {
                if (px > x && px < x + side && py > y && py < y + side)
                {
                    expected++;
                }
            }

            var square = string.Create(CultureInfo.InvariantCulture,
                $"[[{x:F6}, {y:F6}], [{x + side:F6}, {y:F6}], [{x + side:F6}, {y + side:F6}], [{x:F6}, {y + side:F6}], [{x:F6}, {y:F6}]]");
            var uri = new Uri($"{BenchmarkHttp.CseBase}?fu=1&gmty=3&gsf=2&geom={Uri.EscapeDataString(square)}", UriKind.Relative);
            var started = Stopwatch.GetTimestamp();
            var body = await Expect(http, BenchmarkHttp.Request(HttpMethod.Get, uri, "CAdmin", "q" + n), "2000");
            histogram?.RecordValue(Math.Max(1, Stopwatch.GetElapsedTime(started).Ticks));
            var found = JsonNode.Parse(body)?["m2m:uril"]?.AsArray().Count(u => u?.GetValue<string>().Contains($"/Cgeo{run}x", StringComparison.Ordinal) == true) ?? 0;
            if (found != expected)
            {
                throw new InvalidOperationException($"query {n} ({square}) found {found} of this run's AEs, {expected} lie inside");
            }
        }

        for (var i = 0; i < warmup; i++)
        {
            await Query(-1 - i, null);
        }

        var histogram = new LongConcurrentHistogram(1, TimeSpan.FromMinutes(1).Ticks, 3);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < queries; i++)
        {
            await Query(i, histogram);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GEO resources={resources} queries={queries} side_deg={side} expected_per_query~{resources * side * side / (Span * Span):F1} " +
            $"seconds={clock.Elapsed.TotalSeconds:F2} p50_ms={Ms(histogram, 50)} p90_ms={Ms(histogram, 90)} p99_ms={Ms(histogram, 99)} " +
            $"max_ms={histogram.GetMaxValue() / 10_000.0:F1} loadavg={LoadAverage()}"));
        return 0;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static string Ms(HistogramBase histogram, double percentile) =>
        (histogram.GetValueAtPercentile(percentile) / 10_000.0).ToString("F1", CultureInfo.InvariantCulture);

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
