using System.Collections.Concurrent;
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
/// were not acknowledged got 5000 with Retry-After, never a bare 500.
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
        var client = cluster.Client;
        var grains = cluster.Grains;
        output.WriteLine($"3 silos ready after {overall.Elapsed.TotalSeconds:F1} s");
        try
        {
            await client.RegisterAe(AeId);
            var containers = new string[Containers];
            for (var c = 0; c < Containers; c++)
            {
                containers[c] = $"/cse-in/{AeId}/c{c}";
                var created = await client.Create($"/cse-in/{AeId}", AeId, 3, $$$"""{"m2m:cnt":{"rn":"c{{{c}}}"}}""");
                Assert.True(created.Rsc == 2001, created.Body);
            }

            // Writers, one per container; the victim is killed once enough writes are acknowledged.
            var acknowledged = new ConcurrentDictionary<string, string>(); // ri -> con
            var refused = new ConcurrentBag<OneM2MResponse>();
            var ackCount = 0;
            var killed = new TaskCompletionSource<SiloProcess>(TaskCreationOptions.RunContinuationsAsynchronously);
            var writers = Enumerable.Range(0, Containers).Select(c => Task.Run(async () =>
            {
                for (var i = 0; i < WritesPerContainer; i++)
                {
                    var con = $"c{c}-{i}";
                    var response = await client.Create(containers[c], AeId, 4, $$$"""{"m2m:cin":{"con":"{{{con}}}"}}""");
                    if (response.Rsc == 2001)
                    {
                        acknowledged[response.Resource("m2m:cin")["ri"]!.GetValue<string>()] = con;
                        if (Interlocked.Increment(ref ackCount) == KillAfterAcknowledged)
                        {
                            killed.SetResult(await KillBusiestSilo(cluster));
                        }
                    }
                    else
                    {
                        refused.Add(response);
                        // What a client told "Retry-After" does: wait a little, then go on (with a new write).
                        await Task.Delay(100);
                    }
                }
            })).ToArray();

            var writing = Stopwatch.StartNew();
            await Task.WhenAll(writers);
            var victim = await killed.Task;
            output.WriteLine($"{acknowledged.Count} writes acknowledged, {refused.Count} refused, in {writing.Elapsed.TotalSeconds:F1} s; " +
                             $"killed silo {victim.SiloPort}");
            Assert.True(victim.HasExited);

            // Never a bare 500: every refusal is 5000 with a reason and Retry-After.
            foreach (var response in refused)
            {
                Assert.True(response.Rsc == 5000 && response.Status == HttpStatusCode.InternalServerError, $"{(int)response.Status}/{response.Rsc}: {response.Body}");
                Assert.True(response.Headers.ContainsKey("Retry-After"), response.Body);
                Assert.Contains("retry after", response.Body, StringComparison.Ordinal);
            }

            // Read everything back through the gateway: each container's instances by discovery, each one by ID.
            var stored = new ConcurrentDictionary<string, string>(); // ri -> con
            var duplicates = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(Enumerable.Range(0, Containers), async (c, _) =>
            {
                var container = (await client.Retrieve(containers[c], AeId)).Resource("m2m:cnt");
                var uris = (await client.Discover(containers[c], AeId, "ty=4")).Json!["m2m:uril"]!.AsArray()
                    .Select(u => u!.GetValue<string>()).ToList();
                Assert.Equal(container["cni"]!.GetValue<long>(), uris.Count);
                var cons = new HashSet<string>();
                foreach (var uri in uris)
                {
                    var read = await client.Retrieve("/" + uri.TrimStart('/'), AeId);
                    Assert.True(read.Rsc == 2000, $"{uri}: {read.Rsc} {read.Body}");
                    var cin = read.Resource("m2m:cin");
                    var con = cin["con"]!.GetValue<string>();
                    if (!cons.Add(con))
                    {
                        duplicates.Add(con);
                    }

                    stored[cin["ri"]!.GetValue<string>()] = con;
                }
            });

            var missing = acknowledged.Where(a => !stored.TryGetValue(a.Key, out var con) || con != a.Value).Select(a => a.Value).ToList();
            output.WriteLine($"{stored.Count} instances stored ({stored.Count - acknowledged.Count} not acknowledged but carried out); " +
                             $"{missing.Count} missing, {duplicates.Count} duplicated; {overall.Elapsed.TotalSeconds:F1} s in all");
            Assert.Empty(missing);
            Assert.Empty(duplicates);
            Assert.True(acknowledged.Count >= KillAfterAcknowledged);
            // How long failover takes is a figure (logged above), not an assertion: it depends on the machine's load.
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
    }

    /// <summary>SIGKILLs the silo with the most container activations, so the kill hits writes in flight.</summary>
    private static async Task<SiloProcess> KillBusiestSilo(SiloCluster cluster)
    {
        var statistics = await cluster.Grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        var busiest = statistics
            .Where(s => s.GrainType.Contains("Container", StringComparison.Ordinal))
            .GroupBy(s => s.SiloAddress.Endpoint.Port)
            .OrderByDescending(g => g.Sum(s => s.ActivationCount))
            .Select(g => g.Key)
            .FirstOrDefault(cluster.Silos[^1].SiloPort);
        return cluster.Kill(busiest);
    }
}
