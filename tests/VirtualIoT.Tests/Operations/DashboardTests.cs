using System.Diagnostics;
using System.Net;
using System.Text.Json;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Operations;

/// <summary>The Orleans Dashboard on the app's own port, next to (not under) the oneM2M binding's catch-all route.</summary>
[Collection(OperationsCollection.Name)]
public sealed class DashboardTests(OperationsFixture fixture)
{
    [Fact]
    public async Task Dashboard_page_is_served_at_its_path()
    {
        using var response = await fixture.Http.GetAsync(new Uri("/dashboard/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("X-M2M-RSC"), "the oneM2M binding answered the dashboard's path");
    }

    [Fact]
    public async Task Dashboard_data_routes_answer_json()
    {
        using var response = await fixture.Http.GetAsync(new Uri("/dashboard/ClusterStats", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Silo_counters_show_request_locality_per_binding()
    {
        await fixture.Client.RegisterAe();

        // The dashboard collects its counters every second: poll until the silo and then its counters are in
        // (monotonic deadline; right after start the dashboard may not list the silo yet).
        var clock = Stopwatch.StartNew();
        string? silo = null;
        while (silo is null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the dashboard never listed the silo");
            using var hosts = JsonDocument.Parse(await fixture.Http.GetStringAsync(new Uri("/dashboard/DashboardCounters", UriKind.Relative)));
            silo = hosts.RootElement.GetProperty("hosts").EnumerateArray().Select(h => h.GetProperty("siloAddress").GetString()).FirstOrDefault();
            if (silo is null)
            {
                await Task.Delay(200);
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        while (!names.IsSupersetOf(["virtualiot-http-served-local", "virtualiot-http-served-remote", "virtualiot-http-locality-percent"]))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the silo counters never listed the locality counters; they had {string.Join(", ", names)}");
            await Task.Delay(200);
            using var counters = JsonDocument.Parse(await fixture.Http.GetStringAsync(new Uri($"/dashboard/SiloCounters/{silo}", UriKind.Relative)));
            names.UnionWith(counters.RootElement.EnumerateArray().Select(c => c.GetProperty("name").GetString()!));
        }
    }

    [Fact]
    public async Task OneM2M_addresses_still_reach_the_binding()
    {
        var aeId = await fixture.Client.RegisterAe();

        var response = await fixture.Client.Retrieve("/cse-in/" + aeId, aeId);

        Assert.Equal(2000, response.Rsc);
    }
}
