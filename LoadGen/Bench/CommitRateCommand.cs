using System.Diagnostics;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// PostgreSQL's own commit rate, the baseline the group-commit grain storage is measured against: rows per second
/// inserted one per autocommit transaction, and rows per second when <c>--rows</c> rows share a transaction (one
/// <see cref="NpgsqlBatch"/>, one round trip, as the grain storage sends them). Each mode runs for
/// <c>--duration</c> seconds on <c>--connections</c> connections, into a scratch table dropped at the end.
/// </summary>
internal static class CommitRateCommand
{
    private const string Table = "virtualiot_bench_commit_rate";

    public static async Task<int> RunAsync(CommandLine options)
    {
        var connectionString = options.String("connection");
        var duration = options.Double("duration", 5);
        var rows = options.Int("rows", 100);
        var connections = options.Int("connections", 1);
        var payloadBytes = options.Int("payload", 256);
        if (duration <= 0 || rows < 1 || connections < 1 || payloadBytes < 0)
        {
            throw new ArgumentException("--duration > 0, --rows >= 1, --connections >= 1, --payload >= 0");
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var create = dataSource.CreateCommand(
            $"DROP TABLE IF EXISTS {Table}; CREATE TABLE {Table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload bytea NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var payload = new byte[payloadBytes];
        Random.Shared.NextBytes(payload);
        try
        {
            // A short unrecorded run of each first: JIT, connection pool, table pages.
            await Run(dataSource, 1, connections, 0.5, payload);
            await Run(dataSource, rows, connections, 0.5, payload);
            foreach (var perTransaction in new[] { 1, rows })
            {
                var (inserted, commits, seconds) = await Run(dataSource, perTransaction, connections, duration, payload);
                Console.WriteLine(FormattableString.Invariant(
                    $"COMMITRATE rows_per_transaction={perTransaction} connections={connections} payload_bytes={payloadBytes} duration_s={seconds:F1} ") +
                    FormattableString.Invariant($"rows={inserted} commits={commits} rows_per_s={inserted / seconds:F0} commits_per_s={commits / seconds:F0}"));
            }
        }
        finally
        {
            await using var drop = dataSource.CreateCommand($"DROP TABLE IF EXISTS {Table}");
            await drop.ExecuteNonQueryAsync();
        }

        return 0;
    }

    private static async Task<(long Rows, long Commits, double Seconds)> Run(
        NpgsqlDataSource dataSource, int perTransaction, int connections, double duration, byte[] payload)
    {
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration * Stopwatch.Frequency);
        var commits = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            long done = 0;
            while (Stopwatch.GetTimestamp() < end)
            {
                // Without an explicit transaction the batch is one implicit transaction, committed at its end.
                await using var batch = new NpgsqlBatch(connection);
                for (var i = 0; i < perTransaction; i++)
                {
                    var command = new NpgsqlBatchCommand($"INSERT INTO {Table} (payload) VALUES ($1)");
                    command.Parameters.Add(new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = payload });
                    batch.BatchCommands.Add(command);
                }

                await batch.ExecuteNonQueryAsync();
                done++;
            }

            return done;
        })));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var total = commits.Sum();
        return (total * perTransaction, total, seconds);
    }
}
