using VirtualIoT.LoadGen.Chaos;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// The chaos runner against a real cluster: three silo processes and a standalone gateway process on the PostgreSQL
/// that test.sh starts, devices writing through the gateway, one silo SIGKILLed mid-stream and started again. Every
/// acknowledged write must be read back exactly once.
/// </summary>
[Collection(SiloClusterCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class ChaosRunTests(PostgresServer server, ITestOutputHelper output)
{
    [Fact]
    public async Task A_silo_killed_under_load_loses_and_duplicates_no_acknowledged_write()
    {
        var result = await ChaosTestRun.RunAsync(new ChaosOptions
        {
            Postgres = await server.CreateDatabase(),
            Silos = 3,
            Gateways = 1,
            Devices = 40,
            Registrations = 35, // one AE registration every second, also across the kill
            Interval = TimeSpan.FromMilliseconds(500),
            Duration = TimeSpan.FromSeconds(35),
            KillEvery = TimeSpan.FromSeconds(20), // one kill, at 20 s: the next would be due after the traffic ends
            RestartAfter = TimeSpan.FromSeconds(5),
            Subscribers = 0,
        }, output);

        var kill = Assert.Single(result.Faults);
        Assert.Equal("kill silo", kill.Kind);
        Assert.NotNull(kill.ServedAgainAfterSeconds);
        // Every device wrote before the kill and had a write sent after it acknowledged (ServedAgainAfterSeconds): at
        // least two each. No floor on the rate: on a starved machine (load 48) the failover alone took 17 s of the 35.
        Assert.InRange(result.Writes.Acknowledged, 2L * result.Settings.Devices, long.MaxValue);
        Assert.Empty(result.Problems);
        Assert.Equal(0, result.Writes.Lost);
        Assert.Equal(0, result.Writes.Duplicates);
        Assert.Equal(result.Writes.Acknowledged, result.Writes.ReadBack);
        var registrations = Assert.IsType<RegistrationSummary>(result.Registrations);
        Assert.Equal(35, registrations.Sent);
        Assert.Equal(35, registrations.Acknowledged);
        Assert.Equal(35, registrations.ReadBack);
        Assert.Equal(0, registrations.AlreadyRegistered);
        Assert.Equal(0, result.ExitCode);
    }
}

/// <summary>
/// A chaos run of the suite: the silo and gateway dlls the ProjectReferences put next to the tests, a log folder of its
/// own, a generous phase bound (a starved machine starts silos slowly: a bound, not a target); its log and summary
/// go to the test output.
/// </summary>
internal static class ChaosTestRun
{
    public static async Task<ChaosResult> RunAsync(ChaosOptions options, ITestOutputHelper output)
    {
        var log = new StringWriter();
        var result = await ChaosRunner.RunAsync(options with
        {
            SiloDll = Path.Combine(AppContext.BaseDirectory, "VirtualIoT.Silo.dll"),
            GatewayDll = Path.Combine(AppContext.BaseDirectory, "VirtualIoT.Gateway.dll"),
            PhaseTimeout = TimeSpan.FromSeconds(180),
            LogDirectory = Path.Combine(Path.GetTempPath(), "virtualiot-chaos-test-" + Guid.NewGuid().ToString("N")[..8]),
        }, ["test"], log, CancellationToken.None);
        output.WriteLine(log.ToString());
        var summary = new StringWriter();
        ChaosSummary.Write(summary, result);
        output.WriteLine(summary.ToString());
        return result;
    }
}
