using System.Globalization;
using System.Text.RegularExpressions;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Operations;

/// <summary>The Prometheus scrape endpoint: our request counter counts exactly the requests made, next to Orleans', ASP.NET Core's and the runtime's.</summary>
[Collection(OperationsCollection.Name)]
public sealed partial class MetricsTests(OperationsFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    [Fact]
    public async Task Request_counter_grows_by_exactly_the_requests_made()
    {
        var expected = new (string Labels, double Count)[]
        {
            ("operation=create,resource_type=ae,rsc=2001", 2),
            ("operation=create,resource_type=cnt,rsc=2001", 1),
            ("operation=create,resource_type=cin,rsc=2001", 3),
            ("operation=retrieve,rsc=2000", 2),
            ("operation=retrieve,rsc=4004", 1),
        };
        var before = await Scrape();

        var aeId = await Client.RegisterAe();
        await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        for (var i = 0; i < 3; i++)
        {
            await Client.CreateInstance(container, aeId, "v" + i);
        }

        Assert.Equal(2000, (await Client.Retrieve(container + "/la", aeId)).Rsc);
        Assert.Equal(2000, (await Client.Retrieve(container, aeId)).Rsc);
        Assert.Equal(4004, (await Client.Retrieve(container + "/nothing", aeId)).Rsc);

        // The gateway records a request after writing its response: wait until the last one is in.
        // The duration histogram's count is the request count (no counter beside it).
        var after = await WaitForScrape(text => Delta(before, text, "virtualiot_request_duration_seconds_count", expected[^1].Labels) >= expected[^1].Count);
        foreach (var (labels, count) in expected)
        {
            Assert.True(Delta(before, after, "virtualiot_request_duration_seconds_count", labels) == count,
                $"virtualiot_request_duration_seconds_count{{{labels}}} grew by {Delta(before, after, "virtualiot_request_duration_seconds_count", labels)}, expected {count}");
        }

        Assert.DoesNotContain("virtualiot_requests_total", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Locality_counter_counts_each_request_a_resource_grain_served_on_this_silo()
    {
        const string Local = "binding=http,locality=local";
        var before = await Scrape();

        var aeId = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        Assert.Equal(2000, (await Client.Retrieve(container, aeId)).Rsc);
        Assert.Equal(2000, (await Client.Retrieve(container, aeId)).Rsc);

        // One silo: every request is served where it arrived, by one grain (the registration by its AE's, then the
        // AE, the container twice).
        var after = await WaitForScrape(text => Delta(before, text, "virtualiot_requests_served_total", Local, protocol: null) >= 4);
        Assert.Equal(4, Delta(before, after, "virtualiot_requests_served_total", Local, protocol: null));
        Assert.Equal(0, Delta(before, after, "virtualiot_requests_served_total", "binding=http,locality=remote", protocol: null));
    }

    [Fact]
    public async Task Scrape_includes_Orleans_ASP_NET_Core_and_runtime_instruments()
    {
        await Client.RegisterAe();

        var text = await Scrape();

        Assert.Contains("# TYPE virtualiot_request_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^orleans_catalog_activations\{[^}]*grain_type=""ae""", text);
        Assert.Matches("(?m)^http_server_request_duration_seconds_count", text);
        Assert.Matches("(?m)^dotnet_gc_collections_total", text);
        Assert.Matches("(?m)^kestrel_active_connections", text);
    }

    private async Task<string> Scrape()
    {
        using var response = await fixture.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<string> WaitForScrape(Func<string, bool> done)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(10));
        while (true)
        {
            var text = await Scrape();
            if (done(text))
            {
                return text;
            }

            Assert.True(!deadline.Passed, "the last request never showed up in /metrics within 10 s");
            await Task.Delay(50);
        }
    }

    /// <summary>How much the series of <paramref name="metric"/> with exactly <paramref name="labels"/> (besides protocol, when given, and scope) grew.</summary>
    private static double Delta(string before, string after, string metric, string labels, string? protocol = "http") =>
        Sum(after, metric, labels, protocol) - Sum(before, metric, labels, protocol);

    private static double Sum(string scrape, string metric, string labels, string? protocol)
    {
        var wanted = labels.Split(',').Select(l => l.Split('=')).ToDictionary(p => p[0], p => p[1]);
        if (protocol is not null)
        {
            wanted["protocol"] = protocol;
        }

        double sum = 0;
        foreach (Match line in SeriesLine().Matches(scrape))
        {
            if (line.Groups["name"].Value != metric)
            {
                continue;
            }

            var actual = LabelPair().Matches(line.Groups["labels"].Value)
                .Where(m => m.Groups[1].Value != "otel_scope_name")
                .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            if (actual.Count == wanted.Count && wanted.All(w => actual.TryGetValue(w.Key, out var v) && v == w.Value))
            {
                sum += double.Parse(line.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    [GeneratedRegex(@"(?m)^(?<name>[a-z_]+)\{(?<labels>[^}]*)\} (?<value>\S+)")]
    private static partial Regex SeriesLine();

    [GeneratedRegex(@"(\w+)=""([^""]*)""")]
    private static partial Regex LabelPair();
}
