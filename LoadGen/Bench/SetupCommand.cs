using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// Creates the benchmark's resources: AEs <c>Cbench0000</c>.. each with container <c>cnt</c> (or another name,
/// optionally linked to an accessControlPolicy) and one content instance (so <c>la</c> exists), then retrieves every
/// <c>la</c>. Every status is checked. With <c>--secret S</c> every request carries HTTP Basic credentials
/// <c>&lt;AE-ID&gt;:S</c> (a CSE with authentication required).
/// </summary>
internal static class SetupCommand
{
    public static async Task<int> RunAsync(CommandLine options)
    {
        var baseUri = options.BaseUri();
        var aes = options.Int("aes", 1000);
        var first = options.Int("first", 0);
        var concurrency = options.Int("concurrency", 16);
        var mni = options.Int("mni", 10);
        var container = options.String("container", BenchmarkHttp.ContainerName);
        var acpi = options.String("acpi", "");
        var link = acpi.Length == 0 ? "" : ",\"acpi\":[\"" + acpi + "\"]";
        var secret = options.String("secret", "");
        var runTag = DateTime.UtcNow.Ticks.ToString("x", CultureInfo.InvariantCulture);

        using var client = BenchmarkHttp.CreateClient(baseUri, concurrency);
        s_secret = secret.Length > 0 ? secret : null;
        var failures = 0;
        var counts = new int[4];
        var stopwatch = Stopwatch.StartNew();

        await Parallel.ForEachAsync(Enumerable.Range(first, aes), new ParallelOptions { MaxDegreeOfParallelism = concurrency },
            async (i, cancellationToken) =>
            {
                var ae = BenchmarkHttp.AeId(i);
                var aeBody = Encoding.UTF8.GetBytes("{\"m2m:ae\":{\"rn\":\"" + ae + "\",\"api\":\"Nbench\",\"rr\":true,\"srv\":[\"3\"]}}");
                var cntBody = Encoding.UTF8.GetBytes("{\"m2m:cnt\":{\"rn\":\"" + container + "\",\"mni\":" + mni.ToString(CultureInfo.InvariantCulture) + link + "}}");
                var aePath = $"{BenchmarkHttp.CseBase}/{ae}";
                var cntPath = $"{aePath}/{container}";

                // 4117: the AE-ID is already registered; 4105: a sibling of that name exists. Both mean "there".
                var ok =
                    await StepAsync(client, HttpMethod.Post, BenchmarkHttp.CseBase, ae, $"setup-{runTag}-{i}-ae", 2, aeBody, ["2001", "4117", "4105"], counts, 0, cancellationToken)
                    && await StepAsync(client, HttpMethod.Post, aePath, ae, $"setup-{runTag}-{i}-cnt", 3, cntBody, ["2001", "4105"], counts, 1, cancellationToken)
                    && await StepAsync(client, HttpMethod.Post, cntPath, ae, $"setup-{runTag}-{i}-cin", 4, BenchmarkHttp.ContentInstanceBody, ["2001"], counts, 2, cancellationToken)
                    && await StepAsync(client, HttpMethod.Get, cntPath + "/la", ae, $"setup-{runTag}-{i}-la", 0, null, ["2000"], counts, 3, cancellationToken);
                if (!ok)
                {
                    Interlocked.Increment(ref failures);
                }
            });

        Console.WriteLine(
            $"SETUP aes={aes} ae_created={counts[0]} cnt_created={counts[1]} cin_created={counts[2]} la_ok={counts[3]} failed_aes={failures} seconds={stopwatch.Elapsed.TotalSeconds:F1}");
        return failures == 0 ? 0 : 2;
    }

    /// <summary>One request; true when its RSC is one of <paramref name="accepted"/>. Counts first-choice (2001/2000) answers.</summary>
    private static async Task<bool> StepAsync(HttpClient client, HttpMethod method, string path, string originator, string requestId,
        int resourceType, byte[]? body, string[] accepted, int[] counts, int step, CancellationToken cancellationToken)
    {
        try
        {
            using var request = BenchmarkHttp.Request(method, new Uri(path, UriKind.Relative), originator, requestId, resourceType, body);
            if (s_secret is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes(originator + ":" + s_secret)));
            }

            using var response = await client.SendAsync(request, cancellationToken);
            var rsc = BenchmarkHttp.ResponseStatusCode(response);
            if (Array.IndexOf(accepted, rsc) >= 0)
            {
                if (rsc == accepted[0])
                {
                    Interlocked.Increment(ref counts[step]);
                }

                return true;
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            Report($"{method} /{path} as {originator}: HTTP {(int)response.StatusCode}, RSC '{rsc}': {text}");
            return false;
        }
        catch (HttpRequestException e)
        {
            Report($"{method} /{path} as {originator}: {e.Message}");
            return false;
        }
    }

    private static string? s_secret;

    private static int s_reported;

    /// <summary>Prints the first few failures only.</summary>
    private static void Report(string message)
    {
        if (Interlocked.Increment(ref s_reported) <= 10)
        {
            Console.Error.WriteLine(message);
        }
    }
}
