using VirtualIoT.Tests.Backends;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.CrashPoints;

/// <summary>Runs <see cref="CrashOperations.All"/> at every write point on one platform with the given storage settings.</summary>
internal static class CrashPointScenario
{
    public static async Task Run(IReadOnlyDictionary<string, string> settings, ITestOutputHelper output)
    {
        var crash = new CrashSwitch();
        await using var receiver = new NotificationReceiver();
        await using var host = PlatformHost.Start(settings, services => CrashingGrainStorage.Register(services, crash));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var failures = await new CrashPointRunner(host, crash, output).RunAll(CrashOperations.All(receiver));
        output.WriteLine($"{System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, $"{failures.Count} crash points left a broken resource:\n" + string.Join("\n", failures));
    }
}

/// <summary>
/// Crash points on memory storage. Orleans' memory storage lives in grains that are never collected, so the store
/// survives the restart that discards every other activation. Slow: 45 crash points, each with its own resources,
/// take about 20 s on a loaded machine.
/// </summary>
[Trait("Speed", "Slow")]
public sealed class MemoryCrashPointTests(ITestOutputHelper output)
{
    [Fact]
    public Task No_crash_point_leaves_a_resource_broken_on_memory_storage() => CrashPointScenario.Run(new Dictionary<string, string>(), output);
}

/// <summary>Crash points on PostgreSQL storage (the group-commit provider).</summary>
[Collection(PostgresCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PostgresCrashPointTests(PostgresServer server, ITestOutputHelper output)
{
    [Fact]
    public async Task No_crash_point_leaves_a_resource_broken_on_postgres_storage() => await CrashPointScenario.Run(new Dictionary<string, string>
    {
        ["Storage:Provider"] = "postgres",
        ["Storage:ConnectionString"] = await server.CreateDatabase(),
    }, output);
}

/// <summary>Crash points on Azure Table storage (Azurite).</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class AzureTableCrashPointTests(AzuriteServer server, ITestOutputHelper output)
{
    [Fact]
    public Task No_crash_point_leaves_a_resource_broken_on_azure_table_storage() => CrashPointScenario.Run(new Dictionary<string, string>
    {
        ["Storage:Provider"] = "azuretable",
        ["Storage:ConnectionString"] = server.ConnectionString,
        ["Storage:TableName"] = "vtcrash" + Guid.NewGuid().ToString("N"),
    }, output);
}
