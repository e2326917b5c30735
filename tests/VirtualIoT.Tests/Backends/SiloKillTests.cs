using System.Diagnostics;
using System.Globalization;
using System.Net;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// Failover: three silo processes on PostgreSQL membership and storage, a standalone gateway (an Orleans client in
/// this process) as the entry, thousands of contentInstance creates through it, and a SIGKILL of the silo hosting
/// the most containers mid-stream. Afterwards every acknowledged write is read back, none twice; the writes that
/// were not acknowledged got 5000 with Retry-After, never a bare 500. Placement after the crash: one device per silo,
/// registered through that silo's own HTTP binding, has its AE, container and subscription there; the dead silo's
/// device then talks to a surviving silo, and all its grains come back together on that silo with its data.
/// </summary>
[Collection(SiloClusterCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class SiloKillTests(PostgresServer server, ITestOutputHelper output)
{
    private const int Containers = 8;
    private const int WritesPerContainer = 375; // 3,000 in all
    private const int KillAfterAcknowledged = 1000;
    private const string AeId = "Ckill";

    [Fact]
    public async Task A_killed_silo_loses_no_acknowledged_write()
    {
        var overall = Stopwatch.StartNew();
        await using var cluster = await SiloCluster.StartAsync(await server.CreateDatabase(), "kill");
        output.WriteLine($"3 silos ready after {overall.Elapsed.TotalSeconds:F1} s");
        try
        {
            var writers = new ContainerWriters(cluster.Client, AeId, Containers, WritesPerContainer);
            await writers.CreateAsync();
            var devices = new Dictionary<int, SiloDevice>();
            foreach (var silo in cluster.Silos)
            {
                devices[silo.SiloPort] = await SiloDevice.RegisterAsync(silo.Http, "Cdevice" + silo.SiloPort.ToString(CultureInfo.InvariantCulture));
                Assert.All(await devices[silo.SiloPort].HostsAsync(cluster.Grains), host => Assert.Equal([silo.SiloPort], host.Value));
            }

            // The victim is killed once enough writes are acknowledged.
            var writing = Stopwatch.StartNew();
            var victim = await writers.WriteAsync(KillAfterAcknowledged, () => KillBusiestSilo(cluster));
            output.WriteLine($"{writers.Acknowledged.Count} writes acknowledged, {writers.Refused.Count} refused, in {writing.Elapsed.TotalSeconds:F1} s; " +
                             $"killed silo {victim.SiloPort}");
            Assert.True(victim.HasExited);

            // Never a bare 500: every refusal is 5000 with a reason and Retry-After.
            foreach (var response in writers.Refused)
            {
                Assert.True(response.Rsc == 5000 && response.Status == HttpStatusCode.InternalServerError, $"{(int)response.Status}/{response.Rsc}: {response.Body}");
                Assert.True(response.Headers.ContainsKey("Retry-After"), response.Body);
                Assert.Contains("retry after", response.Body, StringComparison.Ordinal);
            }

            var (missing, duplicates, stored) = await writers.ReadBackAsync();
            output.WriteLine($"{stored} instances stored ({stored - writers.Acknowledged.Count} not acknowledged but carried out); " +
                             $"{missing.Count} missing, {duplicates.Count} duplicated; {overall.Elapsed.TotalSeconds:F1} s in all");
            Assert.Empty(missing);
            Assert.Empty(duplicates);
            Assert.True(writers.Acknowledged.Count >= KillAfterAcknowledged);
            // How long failover takes is a figure (logged above), not an assertion: it depends on the machine's load.

            // The dead silo's device reconnects to a survivor: its grains are activated there, all of them.
            var survivor = cluster.Silos.First(s => !s.HasExited);
            var orphan = devices[victim.SiloPort];
            await orphan.MoveToAsync(survivor.Http, TimeSpan.FromSeconds(60));
            var hosts = await orphan.HostsAsync(cluster.Grains);
            output.WriteLine($"{orphan.AeId}'s grains after its silo died: {string.Join(", ", hosts.Select(h => $"{h.Key} on [{string.Join(",", h.Value)}]"))}");
            Assert.All(hosts, host => Assert.Equal([survivor.SiloPort], host.Value));
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
    }

    /// <summary>SIGKILLs the silo with the most container activations, so the kill hits writes in flight.</summary>
    private static async Task<SiloProcess> KillBusiestSilo(SiloCluster cluster) => cluster.Kill(await cluster.BusiestSilo());
}
