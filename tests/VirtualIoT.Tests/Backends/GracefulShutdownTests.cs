using System.Diagnostics;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// Scale-in: two silo processes on PostgreSQL membership and storage, a standalone gateway (an Orleans client in this
/// process) as the entry, contentInstance creates through it, and a SIGTERM (the graceful stop an orchestrator sends)
/// to the silo hosting the most containers mid-stream. A graceful stop must hand the silo's grains over without a
/// single failed request: unlike a crash, it costs no failover window. Every write is acknowledged, stored once.
/// </summary>
[Collection(SiloClusterCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class GracefulShutdownTests(PostgresServer server, ITestOutputHelper output)
{
    private const int Containers = 8;
    private const int WritesPerContainer = 150;
    private const int StopAfterAcknowledged = 400;
    private const int WritesAfterExit = 20;
    private const string AeId = "Cstop";

    [Fact]
    public async Task A_silo_stopped_gracefully_under_load_hands_its_grains_over_with_no_failed_request()
    {
        var overall = Stopwatch.StartNew();
        await using var cluster = await SiloCluster.StartAsync(await server.CreateDatabase(), "stop", count: 2);
        output.WriteLine($"2 silos ready after {overall.Elapsed.TotalSeconds:F1} s");
        try
        {
            var writers = new ContainerWriters(cluster.Client, AeId, Containers, WritesPerContainer);
            await writers.CreateAsync();

            var writing = Stopwatch.StartNew();
            var (stopped, exitCode, atStop, atExit, stopSeconds) = await writers.WriteAsync(StopAfterAcknowledged, async () =>
            {
                var port = await cluster.BusiestSilo();
                var silo = cluster.Silos.Single(s => s.SiloPort == port);
                var clock = Stopwatch.StartNew();
                var ackedAtStop = writers.AcknowledgedCount;
                silo.Terminate();
                var code = await silo.WaitForExit(TimeSpan.FromSeconds(60));
                return (silo, code, ackedAtStop, writers.AcknowledgedCount, clock.Elapsed.TotalSeconds);
            }, WritesAfterExit);
            output.WriteLine($"silo {stopped.SiloPort} stopped in {stopSeconds:F1} s (exit code {exitCode}); writes acknowledged: {atStop} before the stop, " +
                             $"{atExit - atStop} while it stopped, {writers.Acknowledged.Count - atExit} after; {writers.Refused.Count} refused; " +
                             $"{writing.Elapsed.TotalSeconds:F1} s of writing");

            Assert.True(exitCode == 0, $"silo {stopped.SiloPort} did not exit cleanly within 60 s of SIGTERM (exit code {exitCode?.ToString() ?? "none yet"}):\n{stopped.Output}");
            Assert.True(writers.Refused.IsEmpty,
                $"{writers.Refused.Count} writes refused during a graceful stop, first: " +
                string.Join("; ", writers.Refused.Take(3).Select(r => $"{(int)r.Status}/{r.Rsc}: {r.Body}")));
            Assert.True(writers.Acknowledged.Count - atExit >= Containers * WritesAfterExit, "the writes did not go on after the silo had left");

            var (missing, duplicates, stored) = await writers.ReadBackAsync();
            output.WriteLine($"{stored} instances stored; {missing.Count} missing, {duplicates.Count} duplicated; {overall.Elapsed.TotalSeconds:F1} s in all");
            Assert.Empty(missing);
            Assert.Empty(duplicates);
            Assert.Equal(writers.Acknowledged.Count, stored);
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
    }
}
