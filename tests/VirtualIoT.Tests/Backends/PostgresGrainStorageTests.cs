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
    public async Task Inserts_updates_and_deletes_queued_together_each_succeed_or_fail_alone()
    {
        var storage = Storage(new PostgresStorageOptions { Writers = 1 });
        var batchSizes = new List<int>();
        using var listener = ListenToBatchSizes(batchSizes);
        async Task<GrainState<List<string>>> Stored(string key, int times)
        {
            var state = new GrainState<List<string>>([key]);
            for (var i = 0; i < times; i++)
            {
                await storage.WriteStateAsync(StateName, Grain(key), state);
            }

            return state;
        }

        var updated = new List<(GrainId Grain, GrainState<List<string>> State)>();
        var deleted = new List<(GrainId Grain, GrainState<List<string>> State)>();
        for (var i = 0; i < 6; i++)
        {
            updated.Add((Grain($"update{i}"), await Stored($"update{i}", 1)));
            deleted.Add((Grain($"delete{i}"), await Stored($"delete{i}", 1)));
        }

        var staleUpdates = new[] { Grain("stale-update0"), Grain("stale-update1") };
        var staleDeletes = new[] { Grain("stale-delete0"), Grain("stale-delete1") };
        foreach (var key in new[] { "stale-update0", "stale-update1", "stale-delete0", "stale-delete1" })
        {
            await Stored(key, 2); // stored as version 2; the writes below expect version 1
        }

        await Stored("insert-existing", 1);
        var duplicate = await Stored("twice", 1);
        var blocker = await Stored("blocker", 1);

        // The only writer waits on a row lock held here, so everything written meanwhile queues up for one batch.
        async Task<T[]> QueuedTogether<T>(Func<T[]> queue)
        {
            await using var locker = new NpgsqlConnection(_database);
            await locker.OpenAsync();
            await using var transaction = await locker.BeginTransactionAsync();
            await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM virtualiot_grain_state WHERE grain_id = $1 FOR UPDATE", locker, transaction))
            {
                lockRow.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Grain("blocker").ToString() });
                await lockRow.ExecuteNonQueryAsync();
            }

            var blocked = storage.WriteStateAsync(StateName, Grain("blocker"), blocker);
            await WaitForALockWait();
            var queued = queue();
            await transaction.RollbackAsync();
            await blocked;
            return queued;
        }

        Task[] refused = [];
        var succeeding = await QueuedTogether(() =>
        {
            refused = staleUpdates.Select(g => storage.WriteStateAsync(StateName, g, new GrainState<List<string>>(["stale"]) { ETag = "1" }))
                .Concat(staleDeletes.Select(g => storage.ClearStateAsync(StateName, g, new GrainState<List<string>>([]) { ETag = "1" })))
                .Append(storage.WriteStateAsync(StateName, Grain("insert-existing"), new GrainState<List<string>>(["again"])))
                .ToArray();
            return updated.Select(u => storage.WriteStateAsync(StateName, u.Grain, u.State))
                .Concat(deleted.Select(d => storage.ClearStateAsync(StateName, d.Grain, d.State)))
                .Concat(Enumerable.Range(0, 4).Select(i => storage.WriteStateAsync(StateName, Grain($"insert{i}"), new GrainState<List<string>>(["new"]))))
                .ToArray();
        });
        await Task.WhenAll(succeeding);
        foreach (var write in refused)
        {
            await Assert.ThrowsAsync<InconsistentStateException>(() => write);
        }

        // One key written twice in a batch, both expecting version 1: one write stores, the other is refused.
        var twice = await QueuedTogether(() => new[] { duplicate, new GrainState<List<string>>(["twice"]) { ETag = duplicate.ETag } }
            .Select(state => storage.WriteStateAsync(StateName, Grain("twice"), state)).Append(storage.WriteStateAsync(StateName, Grain("insert4"), new GrainState<List<string>>(["new"]))).ToArray());
        var twiceResults = await Task.WhenAll(twice.Take(2).Select(async write =>
        {
            try
            {
                await write;
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));
        await twice[2];
        Assert.Single(twiceResults, stored => stored);
        lock (batchSizes)
        {
            Assert.Contains(6 + 6 + 4 + 5, batchSizes); // the first queued writes shared one batch
            Assert.Contains(3, batchSizes);
        }

        Assert.All(updated, u => Assert.Equal("2", u.State.ETag));
        Assert.All(deleted, d => Assert.False(d.State.RecordExists));
        foreach (var (grain, expected) in updated.Select(u => (u.Grain, "2")).Concat(staleUpdates.Concat(staleDeletes).Select(g => (g, "2")))
            .Concat(Enumerable.Range(0, 5).Select(i => (Grain($"insert{i}"), "1"))).Append((Grain("insert-existing"), "1")).Append((Grain("twice"), "2")))
        {
            var read = new GrainState<List<string>>();
            await storage.ReadStateAsync(StateName, grain, read);
            Assert.True(read.RecordExists, grain.ToString());
            Assert.Equal(expected, read.ETag);
        }

        foreach (var (grain, _) in deleted)
        {
            var read = new GrainState<List<string>>();
            await storage.ReadStateAsync(StateName, grain, read);
            Assert.False(read.RecordExists, grain.ToString());
        }
    }

    [Fact]
    public async Task Payloads_are_compressed_with_lz4_and_the_schema_applies_again()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await PostgresSchema.ApplyAsync(connection, CancellationToken.None);
        await using var command = new NpgsqlCommand(
            "SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'virtualiot_grain_state'::regclass AND attname = 'payload'", connection);
        Assert.Equal("l", (string?)await command.ExecuteScalarAsync());

        var storage = Storage(new PostgresStorageOptions());
        var large = Enumerable.Range(0, 1000).Select(i => $"instance {i % 10}").ToList(); // ~14 KB, compressible
        await storage.WriteStateAsync(StateName, Grain("large"), new GrainState<List<string>>(large));
        var read = new GrainState<List<string>>();
        await storage.ReadStateAsync(StateName, Grain("large"), read);
        Assert.Equal(large, read.State);
        await using var stored = new NpgsqlCommand(
            "SELECT pg_column_compression(payload) FROM virtualiot_grain_state WHERE grain_id = $1", connection);
        stored.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Grain("large").ToString() });
        Assert.Equal("lz4", (string?)await stored.ExecuteScalarAsync());
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
        Assert.True(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).NoResetOnClose);
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

    /// <summary>Returns once a session of this test's database waits for a lock (the storage's writer, blocked).</summary>
    private async Task WaitForALockWait()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
        while ((long)(await command.ExecuteScalarAsync())! == 0)
        {
            await Task.Delay(10);
        }
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
