using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;
using VirtualIoT.Grains;
using VirtualIoT.Grains.Resources;
using VirtualIoT.Grains.Resources.Container;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// A container with mni 100,000 takes 1 KiB instances on every storage back-end, and a new instance does not
/// rewrite its history: the largest stored record stays under a fixed size while the instances (and the number of
/// records) grow. Checked twice: through the silo's own grain storage (each record's serialised size), and in the
/// back-end itself (PostgreSQL rows, Azure Table entities and their properties against the service's limits).
/// </summary>
/// <remarks>
/// <see cref="InstancesVariable"/> raises the instance count for the recorded runs in BENCHMARKS.md (100,000); the
/// suite's default of 192 is twelve sealed segments, enough to show the bound in seconds.
/// </remarks>
internal static class BoundedRecordScenario
{
    /// <summary>Environment variable: total instances to create (default 192), in four equal rounds.</summary>
    public const string InstancesVariable = "VIRTUALIOT_BOUNDED_INSTANCES";

    /// <summary>Environment variable: a file that gets each result line as it happens (long runs), besides the test output.</summary>
    public const string ProgressVariable = "VIRTUALIOT_BOUNDED_PROGRESS";

    /// <summary>
    /// Upper bound of any record: a segment of 16 instances of 1 KiB with their attributes, or the container's state
    /// with a tail of up to 15 of them. A record holding the history would pass it after ~25 instances.
    /// </summary>
    public const int MaxRecordBytes = 24 * 1024;

    private const int Rounds = 4;
    private const int Concurrency = 8;

    /// <summary>Native view of what the back-end holds: number of rows/entities and the largest one's bytes.</summary>
    public delegate Task<(long Rows, long LargestBytes)> BackendRows();

    public static async Task Run(IReadOnlyDictionary<string, string> settings, BackendRows? backendRows, ITestOutputHelper output)
    {
        var total = int.TryParse(Environment.GetEnvironmentVariable(InstancesVariable), CultureInfo.InvariantCulture, out var n) ? n : 192;
        var content = new string('x', 1024);
        await using var host = PlatformHost.Start(settings);
        var aeId = await host.Client.RegisterAe();
        var created = await host.Client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"big","mni":100000,"mbs":1000000000}}""");
        Assert.Equal(2001, created.Rsc);
        var containerId = created.Resource("m2m:cnt")["ri"]!.GetValue<string>();
        var path = $"/cse-in/{aeId}/big";
        var largest = new List<long>();
        var done = 0;

        for (var round = 1; round <= Rounds; round++)
        {
            var target = total * round / Rounds;
            var started = Stopwatch.GetTimestamp();
            var next = done;
            await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
            {
                int sequence;
                while ((sequence = Interlocked.Increment(ref next)) <= target)
                {
                    var response = await host.Client.Create(path, aeId, 4, $$$"""{"m2m:cin":{"con":"{{{content}}}"}}""");
                    Assert.Equal(2001, response.Rsc);
                    if (sequence % 10_000 == 0)
                    {
                        Report(output, FormattableString.Invariant($"BOUNDED progress instances={sequence} s={Stopwatch.GetElapsedTime(started).TotalSeconds:F0}"));
                    }
                }
            }));
            var elapsed = Stopwatch.GetElapsedTime(started);
            var count = target - done;
            done = target;

            var (records, recordBytes, largestRecord) = await StoredRecords(host, containerId);
            var (rows, largestRow) = backendRows is null ? (-1L, -1L) : await backendRows();
            Report(output, FormattableString.Invariant(
                $"BOUNDED instances={done} round_s={elapsed.TotalSeconds:F1} round_cin_per_s={count / elapsed.TotalSeconds:F0} container_records={records} container_bytes={recordBytes} largest_record_bytes={largestRecord} backend_rows={rows} largest_backend_row_bytes={largestRow}"));
            Assert.True(largestRecord <= MaxRecordBytes, $"largest record {largestRecord} B after {done} instances");
            Assert.True(backendRows is null || largestRow <= MaxRecordBytes + 1024, $"largest back-end row {largestRow} B after {done} instances");
            Assert.True(recordBytes >= done * 1024L, $"{recordBytes} B stored for {done} instances of 1 KiB");
            largest.Add(largestRecord);
        }

        var container = (await host.Client.Retrieve(path, aeId)).Resource("m2m:cnt");
        Assert.Equal(total, container["cni"]!.GetValue<long>());
        Assert.Equal(total * 1024L, container["cbs"]!.GetValue<long>());
        // History grew fourfold; the largest record did not grow with it.
        Assert.True(largest[^1] <= largest[0] + 2048, $"largest record per round: {string.Join(", ", largest)}");
    }

    private static void Report(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable(ProgressVariable) is { Length: > 0 } file)
        {
            File.AppendAllText(file, $"{DateTime.UtcNow:HH:mm:ss} {line}\n");
        }
    }

    /// <summary>The container's state and every sealed segment, read through the silo's grain storage.</summary>
    private static async Task<(int Records, long Bytes, long Largest)> StoredRecords(PlatformHost host, string containerId)
    {
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);
        var serializer = host.Services.GetRequiredService<Serializer>();
        var state = new GrainState<ResourceState>();
        await storage.ReadStateAsync("resource", host.Grains.GetGrain<IContainerGrain>(containerId).GetGrainId(), state);
        Assert.True(state.RecordExists);
        long size = serializer.SerializeToArray(state.State!).Length;
        var log = Assert.IsType<ContainerLog>(state.State!.Specific);
        var (records, bytes, largest) = (1, size, size);
        for (var segment = log.LowestSegment; segment < log.NextSequence / 16; segment++)
        {
            var stored = new GrainState<InstanceSegment>();
            await storage.ReadStateAsync("instances", GrainId.Create("vi-instances", $"{containerId}/{segment.ToString(CultureInfo.InvariantCulture)}"), stored);
            Assert.True(stored.RecordExists, $"segment {segment} is missing");
            size = serializer.SerializeToArray(stored.State).Length;
            (records, bytes, largest) = (records + 1, bytes + size, Math.Max(largest, size));
        }

        return (records, bytes, largest);
    }
}

[Collection(PostgresCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PostgresBoundedRecordTests(PostgresServer server, ITestOutputHelper output)
{
    [Fact]
    public async Task A_new_instance_rewrites_no_history_in_postgres()
    {
        var database = await server.CreateDatabase();

        await BoundedRecordScenario.Run(
            new Dictionary<string, string> { ["Storage:Provider"] = "postgres", ["Storage:ConnectionString"] = database },
            async () =>
            {
                await using var connection = new NpgsqlConnection(database);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT count(*), coalesce(max(octet_length(payload)), 0) FROM virtualiot_grain_state", connection);
                await using var reader = await command.ExecuteReaderAsync();
                await reader.ReadAsync();
                return (reader.GetInt64(0), reader.GetInt64(1));
            },
            output);
    }
}

[Collection(AzuriteCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class AzureTableBoundedRecordTests(AzuriteServer server, ITestOutputHelper output)
{
    /// <summary>Azure Table limits: 1 MiB per entity, 64 KiB per property.</summary>
    private const long EntityLimit = 1024 * 1024;
    private const long PropertyLimit = 64 * 1024;

    [Fact]
    public async Task A_new_instance_rewrites_no_history_in_azure_tables_and_stays_within_entity_limits()
    {
        var table = "vt" + Guid.NewGuid().ToString("N");
        var client = new TableClient(server.ConnectionString, table);

        await BoundedRecordScenario.Run(
            new Dictionary<string, string>
            {
                ["Storage:Provider"] = "azuretable",
                ["Storage:ConnectionString"] = server.ConnectionString,
                ["Storage:TableName"] = table,
            },
            async () =>
            {
                long rows = 0, largest = 0;
                await foreach (var entity in client.QueryAsync<TableEntity>())
                {
                    long size = 0;
                    foreach (var (name, value) in entity)
                    {
                        // Sizes as the service counts them: binary as is, strings in UTF-16, the rest 8 bytes.
                        long property = value switch
                        {
                            byte[] binary => binary.Length,
                            BinaryData binary => binary.ToMemory().Length,
                            string text => 2L * text.Length,
                            _ => 8,
                        };
                        Assert.True(property <= PropertyLimit, $"property {name} of {entity.PartitionKey} holds {property} B");
                        size += property + 2L * name.Length;
                    }

                    Assert.True(size < EntityLimit, $"entity {entity.PartitionKey} holds {size} B");
                    (rows, largest) = (rows + 1, Math.Max(largest, size));
                }

                return (rows, largest);
            },
            output);
    }
}

[Trait("Speed", "Slow")]
public sealed class MemoryBoundedRecordTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_new_instance_rewrites_no_history_in_memory_storage() =>
        await BoundedRecordScenario.Run(new Dictionary<string, string>(), null, output);
}
