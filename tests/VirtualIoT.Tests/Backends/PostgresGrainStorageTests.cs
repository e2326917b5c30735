using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;
using VirtualIoT.Silo.Hosting;
using VirtualIoT.Silo.Storage;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// The group-commit grain storage against a real PostgreSQL, on a fresh database per test. Rows written by one
/// transaction share their <c>xmin</c>, which is how these tests see that writes shared commits.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PostgresGrainStorageTests(PostgresServer server) : IAsyncLifetime
{
    private const string StateName = "resource";

    private readonly ServiceProvider _services = new ServiceCollection().AddSerializer().AddMetrics().BuildServiceProvider();
    private readonly List<PostgresGrainStorage> _storages = [];
    private string _database = "";

    public async Task InitializeAsync()
    {
        _database = await server.CreateDatabase();
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await PostgresSchema.ApplyAsync(connection, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var storage in _storages)
        {
            await storage.DisposeAsync();
        }

        await _services.DisposeAsync();
    }

    [Fact]
    public async Task Concurrent_writes_from_many_grains_share_commits()
    {
        var storage = Storage(new PostgresStorageOptions { Writers = 1, MaxBatchSize = 100 });
        var batchSizes = new List<int>();
        using var listener = ListenToBatchSizes(batchSizes);
        var grains = Enumerable.Range(0, 400).Select(i => Grain($"share{i}")).ToArray();

        await Task.WhenAll(grains.Select(g => storage.WriteStateAsync(StateName, g, new GrainState<List<string>>([g.ToString()]))));

        var (rows, transactions) = await CountRowsAndTransactions();
        Assert.Equal(400, rows);
        Assert.True(transactions <= 200, $"400 concurrent writes took {transactions} transactions; group commit should share them");
        Assert.Equal(400, batchSizes.Sum());
        Assert.True(batchSizes.Max() > 1 && batchSizes.Max() <= 100, $"batch sizes {string.Join(",", batchSizes)}");
        foreach (var grain in grains)
        {
            var read = new GrainState<List<string>>();
            await storage.ReadStateAsync(StateName, grain, read);
            Assert.Equal([grain.ToString()], read.State);
            Assert.Equal("1", read.ETag);
        }
    }

    [Fact]
    public async Task A_stale_etag_fails_that_write_alone_and_the_rest_of_its_batch_commits()
    {
        var storage = Storage(new PostgresStorageOptions { Writers = 1 });
        var contested = Grain("contested");
        var first = new GrainState<List<string>>(["first"]);
        await storage.WriteStateAsync(StateName, contested, first);
        var stale = new GrainState<List<string>>(["stale"]) { ETag = first.ETag };
        await storage.WriteStateAsync(StateName, contested, first);
        var others = Enumerable.Range(0, 50).Select(i => Grain($"other{i}")).ToArray();

        var staleWrite = storage.WriteStateAsync(StateName, contested, stale);
        var otherWrites = others.Select(g => storage.WriteStateAsync(StateName, g, new GrainState<List<string>>(["ok"]))).ToArray();

        await Assert.ThrowsAsync<InconsistentStateException>(() => staleWrite);
        await Task.WhenAll(otherWrites);
        var read = new GrainState<List<string>>();
        await storage.ReadStateAsync(StateName, contested, read);
        Assert.Equal(["first"], read.State);
        Assert.Equal("2", read.ETag);
        Assert.Equal(51, (await CountRowsAndTransactions()).Rows);
    }

    [Fact]
    public async Task A_first_write_fails_when_another_writer_created_the_row()
    {
        var storage = Storage(new PostgresStorageOptions());
        var grain = Grain("created-twice");
        await storage.WriteStateAsync(StateName, grain, new GrainState<List<string>>(["one"]));

        var error = await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateName, grain, new GrainState<List<string>>(["two"])));

        Assert.Contains("created-twice", error.Message);
    }

    [Fact]
    public async Task A_read_marked_as_a_new_record_skips_the_database_and_its_write_fails_when_the_row_exists()
    {
        var storage = Storage(new PostgresStorageOptions());
        var grain = Grain("marked");
        await storage.WriteStateAsync(StateName, grain, new GrainState<List<string>>(["stored"]));
        var marked = new GrainState<List<string>>(["left over"]) { ETag = "7", RecordExists = true };
        var other = new GrainState<List<string>>();
        UnstoredRecord.Mark(grain);
        try
        {
            await storage.ReadStateAsync(StateName, grain, marked);
            await storage.ReadStateAsync(StateName, Grain("other"), other);
        }
        finally
        {
            UnstoredRecord.Unmark();
        }

        Assert.True(storage.SkipsUnstoredReads);
        Assert.False(marked.RecordExists);
        Assert.Null(marked.ETag);
        Assert.Empty(marked.State!);
        Assert.False(other.RecordExists);

        // The write of an activation that assumed no row is refused, and the stored row stays.
        marked.State!.Add("as new");
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, marked));
        var read = new GrainState<List<string>>();
        await storage.ReadStateAsync(StateName, grain, read);
        Assert.Equal(["stored"], read.State);
    }

    [Fact]
    public async Task Clear_deletes_the_row_and_a_later_write_creates_it_again()
    {
        var storage = Storage(new PostgresStorageOptions());
        var grain = Grain("cleared");
        var state = new GrainState<List<string>>(["data"]);
        await storage.WriteStateAsync(StateName, grain, state);

        await storage.ClearStateAsync(StateName, grain, state);

        Assert.Equal(0, (await CountRowsAndTransactions()).Rows);
        Assert.False(state.RecordExists);
        var read = new GrainState<List<string>>(["left over"]);
        await storage.ReadStateAsync(StateName, grain, read);
        Assert.False(read.RecordExists);
        Assert.Empty(read.State!);
        await storage.WriteStateAsync(StateName, grain, new GrainState<List<string>>(["again"]));
        Assert.Equal(1, (await CountRowsAndTransactions()).Rows);
    }

    [Fact]
    public async Task Clear_with_a_stale_etag_keeps_the_row()
    {
        var storage = Storage(new PostgresStorageOptions());
        var grain = Grain("kept");
        var state = new GrainState<List<string>>(["data"]);
        await storage.WriteStateAsync(StateName, grain, state);
        var stale = new GrainState<List<string>>(["data"]) { ETag = state.ETag };
        await storage.WriteStateAsync(StateName, grain, state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grain, stale));

        Assert.Equal(1, (await CountRowsAndTransactions()).Rows);
    }

    [Fact]
    public async Task State_written_before_a_restart_is_read_back_and_can_be_written_again()
    {
        var grain = Grain("restarted");
        var before = Storage(new PostgresStorageOptions());
        await before.WriteStateAsync(StateName, grain, new GrainState<List<string>>(["kept"]));
        await before.DisposeAsync();
        _storages.Remove(before);

        var after = Storage(new PostgresStorageOptions());
        var read = new GrainState<List<string>>();
        await after.ReadStateAsync(StateName, grain, read);

        Assert.True(read.RecordExists);
        Assert.Equal(["kept"], read.State);
        read.State!.Add("more");
        await after.WriteStateAsync(StateName, grain, read);
        Assert.Equal("2", read.ETag);
    }

    [Fact]
    public async Task Writes_run_as_statements_prepared_on_their_connection()
    {
        var storage = Storage(new PostgresStorageOptions { Writers = 1 });
        var grain = Grain("prepared");
        var state = new GrainState<List<string>>(["v0"]);
        for (var i = 1; i <= 5; i++)
        {
            state.State = [$"v{i}"];
            await storage.WriteStateAsync(StateName, grain, state);
        }

        // The writer's one connection has run the insert once and the update four times: prepared after the second use.
        await using var dataSource = PostgresGrainStorage.CreateDataSource(_database, new PostgresStorageOptions());
        Assert.Equal(16, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxAutoPrepare);
        Assert.Contains(await storage.PreparedStatementsAsync(), sql => sql.StartsWith("UPDATE virtualiot_grain_state", StringComparison.Ordinal));
        var read = new GrainState<List<string>>();
        await storage.ReadStateAsync(StateName, grain, read);
        Assert.Equal(["v5"], read.State);
        Assert.Equal("5", read.ETag);
    }

    [Theory]
    [InlineData("", 0, 0)]
    [InlineData(";Max Auto Prepare=4", 16, 4)]
    [InlineData("", 16, 16)]
    public async Task A_connection_strings_own_max_auto_prepare_wins_over_the_option(string keywords, int option, int expected)
    {
        await using var dataSource = PostgresGrainStorage.CreateDataSource(_database + keywords, new PostgresStorageOptions { PreparedStatements = option });

        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxAutoPrepare);
    }

    private PostgresGrainStorage Storage(PostgresStorageOptions options)
    {
        var storage = new PostgresGrainStorage(
            "test", "test-service", _database, options,
            new OrleansGrainStorageSerializer(_services.GetRequiredService<Serializer>()),
            new StorageMetrics(_services.GetRequiredService<IMeterFactory>()),
            NullLogger<PostgresGrainStorage>.Instance);
        _storages.Add(storage);
        return storage;
    }

    private static GrainId Grain(string key) => GrainId.Create("test", key);

    private async Task<(long Rows, long Transactions)> CountRowsAndTransactions()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*), count(DISTINCT xmin::text) FROM virtualiot_grain_state", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Collects the batch sizes recorded by this test's own meter factory.</summary>
    private MeterListener ListenToBatchSizes(List<int> sizes)
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "virtualiot.storage.batch.size" && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
        {
            lock (sizes)
            {
                sizes.Add(value);
            }
        });
        listener.Start();
        return listener;
    }
}
