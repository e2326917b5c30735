using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Gateway.Hosting;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// Silo processes on PostgreSQL membership and storage with a standalone gateway in the test process as the entry:
/// what the failover tests kill silos of. Disposing stops the gateway and every silo still running.
/// </summary>
internal sealed class SiloCluster : IAsyncDisposable
{
    private readonly HttpClient _http;

    private SiloCluster(List<SiloProcess> silos, WebApplication gateway, HttpClient http)
    {
        Silos = silos;
        Gateway = gateway;
        _http = http;
        Grains = gateway.Services.GetRequiredService<IGrainFactory>();
        Client = new OneM2MClient(http);
    }

    public List<SiloProcess> Silos { get; }

    public WebApplication Gateway { get; }

    public IGrainFactory Grains { get; }

    public OneM2MClient Client { get; }

    /// <summary>Starts <paramref name="count"/> silos on <paramref name="database"/> and a gateway, and waits until all are active.</summary>
    public static async Task<SiloCluster> StartAsync(string database, string clusterPrefix, int count = 3)
    {
        var settings = new Dictionary<string, string>
        {
            ["Clustering:Provider"] = "postgres",
            ["Clustering:ConnectionString"] = database,
            ["Clustering:ClusterId"] = clusterPrefix + "-" + Guid.NewGuid().ToString("N")[..8],
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = database,
        };
        var silos = new List<SiloProcess>();
        try
        {
            // The first silo applies the schema; the others start once it is there.
            silos.Add(await StartReady(settings));
            var starting = Enumerable.Range(1, count - 1).Select(_ => StartReady(settings)).ToList();
            try
            {
                await Task.WhenAll(starting);
            }
            finally
            {
                // All have finished here; those that started must be stopped below if another did not.
                silos.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }

            var gatewayPort = FreePort.Next();
            var gateway = GatewayProgram.Build(
                settings.Concat(new Dictionary<string, string>
                {
                    ["Urls"] = $"http://127.0.0.1:{gatewayPort}",
                    ["Mqtt:Enabled"] = "false",
                    ["Coap:Enabled"] = "false",
                    ["Logging:LogLevel:Default"] = "Warning",
                }).SelectMany(kv => new[] { "--" + kv.Key, kv.Value }).ToArray());
            await gateway.StartAsync();
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}"), Timeout = TimeSpan.FromSeconds(60) };
            var cluster = new SiloCluster(silos, gateway, http);
            await cluster.WaitForHosts(count);
            return cluster;
        }
        catch (Exception exception)
        {
            var logs = string.Join("\n", silos.Select(s => $"--- silo {s.SiloPort} ---\n{s.Output}"));
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }

            throw new InvalidOperationException($"the cluster did not start: {exception.Message}\n{logs}", exception);
        }
    }

    /// <summary>
    /// Starts a silo and waits until it serves. <see cref="FreePort"/> hands out ports the OS had free a moment
    /// before; on a busy machine an outgoing connection can take one as its source port before the silo binds it
    /// (seen in CI: "address already in use"). Such a silo is started again on fresh ports, up to three times.
    /// </summary>
    private static async Task<SiloProcess> StartReady(Dictionary<string, string> settings)
    {
        for (var attempt = 1; ; attempt++)
        {
            var silo = SiloProcess.Start(settings);
            try
            {
                await silo.WaitReady(TimeSpan.FromSeconds(120));
                return silo;
            }
            catch (InvalidOperationException) when (attempt < 3 && silo.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await silo.DisposeAsync();
            }
            catch
            {
                // Not handed to the caller, so nobody else would stop it: a silo left running outlives the test run.
                await silo.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Every silo's output, for a failing test's log.</summary>
    public string Logs() => string.Join("\n", Silos.Select(s => $"--- silo {s.SiloPort} ---\n{s.Output}"));

    /// <summary>SIGKILLs the silo whose Orleans silo port is <paramref name="siloPort"/>.</summary>
    public SiloProcess Kill(int siloPort)
    {
        var victim = Silos.Single(s => s.SiloPort == siloPort);
        victim.Kill();
        return victim;
    }

    /// <summary>The Orleans silo port of the silo with the most container activations (the last silo when none has any).</summary>
    public async Task<int> BusiestSilo()
    {
        var statistics = await Grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return statistics
            .Where(s => s.GrainType.Contains("Container", StringComparison.Ordinal))
            .GroupBy(s => s.SiloAddress.Endpoint.Port)
            .OrderByDescending(g => g.Sum(s => s.ActivationCount))
            .Select(g => g.Key)
            .FirstOrDefault(Silos[^1].SiloPort);
    }

    private async Task WaitForHosts(int count)
    {
        var management = Grains.GetGrain<IManagementGrain>(0);
        for (var i = 0; i < 100; i++)
        {
            if ((await management.GetHosts(onlyActive: true)).Count == count)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the cluster did not reach {count} active silos");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Gateway.StopAsync();
        await Gateway.DisposeAsync();
        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }
    }
}

/// <summary>
/// The tests that start several silo processes run on their own, after the others: on two cores, three silos
/// joining next to the parallel protocol suites starved each other (a join timed out in CI).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SiloClusterCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "silo-cluster";
}
