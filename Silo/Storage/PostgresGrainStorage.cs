using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace VirtualIoT.Silo.Storage;

/// <summary>
/// Grain storage on PostgreSQL (table <c>virtualiot_grain_state</c>) whose writes from many grains share commits.
/// </summary>
/// <remarks>
/// <para>
/// Orleans' ADO.NET persistence commits every write alone, so the write rate of the whole silo is bounded by how many
/// commits PostgreSQL flushes per second. Here a write is serialised in the grain's turn, queued, and taken by one of
/// <see cref="PostgresStorageOptions.Writers"/> writers together with everything else queued (up to
/// <see cref="PostgresStorageOptions.MaxBatchSize"/>). The batch goes to PostgreSQL as one <see cref="NpgsqlBatch"/>:
/// one round trip, run by PostgreSQL as one implicit transaction committed at its end. A write's task completes
/// only after the batch reader has reached PostgreSQL's ReadyForQuery, which follows the commit: every write is
/// durable before its <c>WriteStateAsync</c> returns, hence before the response that depends on it leaves.
/// </para>
/// <para>
/// Optimistic concurrency per write, not per batch: the first write inserts with <c>ON CONFLICT DO NOTHING</c>,
/// later ones update <c>WHERE version = ETag</c>, deletes likewise, each with <c>RETURNING version</c>. A statement
/// that matches no row is not an error to PostgreSQL, so a stale ETag fails that write alone
/// (<see cref="InconsistentStateException"/>) while the rest of the batch commits. Statements are sorted by key so
/// that concurrent batches (other writers, other silos) lock rows in the same order and cannot deadlock. Should a
/// batch fail as a whole (a broken connection, a server error), its writes are retried one by one so that a single
/// bad write only fails itself.
/// </para>
/// </remarks>
internal sealed partial class PostgresGrainStorage : IGrainStorage, IUnstoredRecordStorage, IAsyncDisposable
{
    private const string Table = "virtualiot_grain_state";
    private const string KeyMatch = "service_id = $1 AND grain_id = $2 AND state_name = $3";

    private const string ReadSql = $"SELECT version, payload FROM {Table} WHERE {KeyMatch}";
    private const string InsertSql = $"INSERT INTO {Table} (service_id, grain_id, state_name, version, payload) VALUES ($1, $2, $3, 1, $4) ON CONFLICT DO NOTHING RETURNING version";
    private const string UpdateSql = $"UPDATE {Table} SET payload = $4, version = version + 1, modified_on = now() WHERE {KeyMatch} AND version = $5 RETURNING version";
    private const string DeleteSql = $"DELETE FROM {Table} WHERE {KeyMatch} AND version = $4 RETURNING version";
    // A clear with no ETag succeeds only if there is nothing to clear: 0 comes back when no row exists.
    private const string AbsentSql = $"SELECT 0::bigint WHERE NOT EXISTS (SELECT 1 FROM {Table} WHERE {KeyMatch})";

    private readonly string _name;
    private readonly string _serviceId;
    private readonly NpgsqlDataSource _dataSource;
    private readonly IGrainStorageSerializer _serializer;
    private readonly StorageMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _maxBatchSize;
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Task[] _writers;

    public PostgresGrainStorage(
        string name,
        string serviceId,
        string connectionString,
        PostgresStorageOptions options,
        IGrainStorageSerializer serializer,
        StorageMetrics metrics,
        ILogger<PostgresGrainStorage> logger)
    {
        _name = name;
        _serviceId = serviceId;
        _dataSource = CreateDataSource(connectionString, options);
        _serializer = serializer;
        _metrics = metrics;
        _logger = logger;
        _maxBatchSize = options.MaxBatchSize;
        _writers = new Task[options.Writers];
        for (var i = 0; i < _writers.Length; i++)
        {
            _writers[i] = Task.Run(WriteLoop);
        }
    }

    /// <summary>
    /// The connections' data source. Its statements are few and always the same, so each connection prepares them
    /// (<see cref="PostgresStorageOptions.PreparedStatements"/>): PostgreSQL then skips parsing and planning them on
    /// every write. A connection string that sets <c>Max Auto Prepare</c> itself keeps its own value. Connections
    /// go back to the pool without a session reset (<c>No Reset On Close</c>).
    /// </summary>
    internal static NpgsqlDataSource CreateDataSource(string connectionString, PostgresStorageOptions options)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        if (settings.MaxAutoPrepare == 0 && options.PreparedStatements > 0)
        {
            settings.MaxAutoPrepare = options.PreparedStatements;
            settings.AutoPrepareMinUsages = 2;
        }

        // Npgsql resets a pooled connection's session when it is closed (seven statements, RESET ALL among them,
        // sent ahead of the connection's next command): once per batch here, a quarter of PostgreSQL's CPU per
        // content instance create, measured. These connections run only this storage's statements, which change
        // no session state, so there is nothing to reset.
        settings.NoResetOnClose = true;
        return builder.Build();
    }

    /// <inheritdoc/>
    public bool SkipsUnstoredReads => true;

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // A grain activated by the call that creates its record (UnstoredRecord): no round trip; its first write
        // inserts, and fails should the row exist after all.
        if (UnstoredRecord.TryAssumeAbsent(grainId, grainState))
        {
            return;
        }

        await using var command = _dataSource.CreateCommand(ReadSql);
        AddKey(command.Parameters, grainId.ToString(), stateName);
        await using var reader = await command.ExecuteReaderAsync();
        if (await reader.ReadAsync())
        {
            var version = reader.GetInt64(0);
            var payload = reader.GetFieldValue<byte[]>(1);
            grainState.State = _serializer.Deserialize<T>(new BinaryData(payload));
            grainState.ETag = FormatVersion(version);
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // Serialised here, in the caller's turn: the state object may change as soon as the grain runs again.
        var payload = _serializer.Serialize(grainState.State).ToMemory();
        var version = ParseVersion(grainState.ETag, stateName, grainId);
        var write = new PendingWrite(grainId.ToString(), stateName, version, payload, Delete: false);
        var stored = await Enqueue(write);
        grainState.ETag = FormatVersion(stored);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var version = ParseVersion(grainState.ETag, stateName, grainId);
        await Enqueue(new PendingWrite(grainId.ToString(), stateName, version, default, Delete: true));
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <summary>
    /// The statements prepared on a connection of the pool (PostgreSQL's <c>pg_prepared_statements</c> of that
    /// session), for tests and diagnostics: with a single writer and nothing else running it is the writer's.
    /// </summary>
    internal async Task<IReadOnlyList<string>> PreparedStatementsAsync()
    {
        await using var command = _dataSource.CreateCommand("SELECT statement FROM pg_prepared_statements");
        await using var reader = await command.ExecuteReaderAsync();
        var statements = new List<string>();
        while (await reader.ReadAsync())
        {
            statements.Add(reader.GetString(0));
        }

        return statements;
    }

    /// <summary>Lets the writers finish what is queued, then closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers);
        await _dataSource.DisposeAsync();
    }

    private async Task<long> Enqueue(PendingWrite write)
    {
        if (!_queue.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(PostgresGrainStorage), $"grain storage '{_name}' is shut down");
        }

        var stored = await write.Completion.Task;
        if (stored is { } version)
        {
            return version;
        }

        _metrics.Conflict();
        Log.Conflict(_logger, write.GrainId, write.StateName, write.Version);
        throw new InconsistentStateException(
            $"Version conflict writing state '{write.StateName}' of {write.GrainId} to {Table}: the stored version is not {FormatVersion(write.Version)}.",
            "unknown", FormatVersion(write.Version) ?? "");
    }

    private async Task WriteLoop()
    {
        var batch = new List<PendingWrite>(_maxBatchSize);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < _maxBatchSize && reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            if (batch.Count == 0)
            {
                continue; // another writer took them
            }

            batch.Sort(PendingWrite.KeyOrder);
            await Commit(batch);
            batch.Clear();
        }
    }

    /// <summary>Commits <paramref name="batch"/> together; if the batch fails as a whole, each write alone.</summary>
    private async Task Commit(List<PendingWrite> batch)
    {
        try
        {
            await Execute(batch);
            return;
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            Log.BatchFailed(_logger, ex, batch.Count);
        }
        catch (Exception ex)
        {
            batch[0].Completion.TrySetException(ex);
            return;
        }

        foreach (var write in batch)
        {
            try
            {
                await Execute([write]);
            }
            catch (Exception ex)
            {
                write.Completion.TrySetException(ex);
            }
        }
    }

    private async Task Execute(List<PendingWrite> writes)
    {
        var started = Stopwatch.GetTimestamp();
        var stored = new long?[writes.Count];
        await using (var connection = await _dataSource.OpenConnectionAsync())
        {
            await using var batch = new NpgsqlBatch(connection);
            foreach (var write in writes)
            {
                batch.BatchCommands.Add(ToCommand(write));
            }

            await using var reader = await batch.ExecuteReaderAsync();
            var i = 0;
            do
            {
                stored[i++] = await reader.ReadAsync() ? reader.GetInt64(0) : null;
            }
            while (await reader.NextResultAsync());

            // Disposing the reader consumes the rest of the response up to ReadyForQuery, which PostgreSQL sends
            // after the implicit transaction has committed; only then is any write acknowledged.
        }

        _metrics.Batch(writes.Count, Stopwatch.GetElapsedTime(started));
        for (var i = 0; i < writes.Count; i++)
        {
            writes[i].Completion.TrySetResult(stored[i]);
        }
    }

    private NpgsqlBatchCommand ToCommand(PendingWrite write)
    {
        var (sql, withPayload) = (write.Delete, write.Version) switch
        {
            (false, null) => (InsertSql, true),
            (false, _) => (UpdateSql, true),
            (true, null) => (AbsentSql, false),
            (true, _) => (DeleteSql, false),
        };
        var command = new NpgsqlBatchCommand(sql);
        AddKey(command.Parameters, write.GrainId, write.StateName);
        if (withPayload)
        {
            command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = write.Payload });
        }

        if (write.Version is { } version)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = version });
        }

        return command;
    }

    private void AddKey(NpgsqlParameterCollection parameters, string grainId, string stateName)
    {
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Varchar, TypedValue = _serviceId });
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = grainId });
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Varchar, TypedValue = stateName });
    }

    private static long? ParseVersion(string? etag, string stateName, GrainId grainId) =>
        etag is null ? null
        : long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version
        : throw new InconsistentStateException($"ETag '{etag}' of state '{stateName}' of {grainId} is not a version of {Table}.", "unknown", etag);

    private static string? FormatVersion(long? version) => version?.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// One queued write or delete (<see cref="Delete"/>); <see cref="Version"/> is the ETag it expects (null: the
    /// row must not exist). Completes with the stored version, or null when the expectation did not hold.
    /// </summary>
    private sealed record PendingWrite(string GrainId, string StateName, long? Version, ReadOnlyMemory<byte> Payload, bool Delete)
    {
        public static readonly Comparison<PendingWrite> KeyOrder = (a, b) =>
        {
            var byGrain = string.CompareOrdinal(a.GrainId, b.GrainId);
            return byGrain != 0 ? byGrain : string.CompareOrdinal(a.StateName, b.StateName);
        };

        public TaskCompletionSource<long?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static partial class Log
    {
        [LoggerMessage(4300, LogLevel.Debug, "Version conflict on state {StateName} of {GrainId}: expected version {Version}")]
        public static partial void Conflict(ILogger logger, string grainId, string stateName, long? version);

        [LoggerMessage(4301, LogLevel.Warning, "A batch of {Count} grain state writes failed as a whole; retrying each write alone")]
        public static partial void BatchFailed(ILogger logger, Exception exception, int count);
    }
}
