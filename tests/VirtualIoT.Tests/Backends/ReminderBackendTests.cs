using Npgsql;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// Reminders through a real grain on a running platform: stored in PostgreSQL with <c>Clustering:Provider=postgres</c>
/// (they survive a restart), in memory with the default <c>localhost</c> clustering.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PostgresReminderTests(PostgresServer server)
{
    /// <summary>Orleans' default minimum reminder period.</summary>
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_reminder_is_stored_in_postgres_fires_survives_a_restart_and_is_removed()
    {
        var database = await server.CreateDatabase();
        var serviceId = "test-" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string>
        {
            ["Clustering:Provider"] = "postgres",
            ["Clustering:ConnectionString"] = database,
            ["Clustering:ClusterId"] = serviceId,
            ["Clustering:ServiceId"] = serviceId,
        };
        var key = "probe-" + Guid.NewGuid().ToString("N");

        await using (var first = PlatformHost.Start(settings))
        {
            var probe = first.Grains.GetGrain<IReminderProbeGrain>(key);
            await probe.Register("tick", TimeSpan.FromSeconds(1), Period);
            await probe.Register("other", Period, Period);
            await probe.Register("other", Period, Period); // an update: a new ETag on the same row

            var rows = await Rows(database, serviceId);
            Assert.Equal(["other", "tick"], rows.Select(r => r.Name));
            Assert.All(rows, r => Assert.EndsWith("/" + key, r.GrainId));
            Assert.All(rows, r => Assert.Equal((long)Period.TotalMilliseconds, r.Period));
            Assert.Equal(2, rows.Single(r => r.Name == "other").Version);
            Assert.True(await probe.Has("tick"));
            Assert.False(await probe.Has("missing"));

            await Eventually(async () => await probe.Ticks("tick") > 0, "the reminder never fired");
        }

        await using (var second = PlatformHost.Start(settings))
        {
            var probe = second.Grains.GetGrain<IReminderProbeGrain>(key);
            Assert.Equal(["other", "tick"], await probe.Names());

            await probe.Unregister("tick");
            await probe.Unregister("other");

            Assert.Empty(await probe.Names());
            Assert.Empty(await Rows(database, serviceId));
        }
    }

    private static async Task<List<(string GrainId, string Name, long Period, int Version)>> Rows(string database, string serviceId)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT grainid, remindername, period, version FROM orleansreminderstable WHERE serviceid = @s ORDER BY remindername",
            connection);
        command.Parameters.AddWithValue("s", serviceId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, long, int)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3)));
        }

        return rows;
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds. Reminders fire on the silo's real clock, after the reminder
    /// service has started and read its table, which a loaded machine delays: the bound only cuts a hung run short.
    /// </summary>
    internal static async Task Eventually(Func<Task<bool>> condition, string failure)
    {
        var deadline = Deadline.In(TimeSpan.FromMinutes(3));
        while (!await condition())
        {
            Assert.True(!deadline.Passed, failure);
            await Task.Delay(200);
        }
    }
}

[Trait("Speed", "Slow")]
public sealed class InMemoryReminderTests
{
    [Fact]
    public async Task A_reminder_with_localhost_clustering_is_kept_in_memory_and_fires()
    {
        await using var host = PlatformHost.Start(new Dictionary<string, string>());
        var probe = host.Grains.GetGrain<IReminderProbeGrain>("probe-" + Guid.NewGuid().ToString("N"));

        await probe.Register("tick", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

        Assert.True(await probe.Has("tick"));
        await PostgresReminderTests.Eventually(async () => await probe.Ticks("tick") > 0, "the reminder never fired");
        await probe.Unregister("tick");
        Assert.Empty(await probe.Names());
    }
}
