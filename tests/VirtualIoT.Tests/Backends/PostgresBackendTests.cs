namespace VirtualIoT.Tests.Backends;

/// <summary>PostgreSQL grain storage and membership, on a real server and a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PostgresBackendTests(PostgresServer server)
{
    [Fact]
    public async Task Resources_written_before_a_restart_are_read_back_from_postgres()
    {
        var database = await server.CreateDatabase();

        await RestartScenario.Run(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = database,
        });
    }

    [Fact]
    public async Task Resources_written_through_stock_ado_net_persistence_are_read_back()
    {
        var database = await server.CreateDatabase();

        await RestartScenario.Run(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = database,
            ["Storage:Postgres:GroupCommit"] = "false",
        });
    }

    [Fact]
    public void A_batch_size_out_of_range_stops_the_start_naming_the_key()
    {
        var error = Assert.ThrowsAny<Exception>(() => PlatformHost.Start(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = "Host=127.0.0.1;Username=postgres;Database=none",
            ["Storage:Postgres:MaxBatchSize"] = "0",
        }));

        Assert.Contains("Storage:Postgres:MaxBatchSize", Flatten(error));
    }

    [Fact]
    public async Task A_resource_created_through_one_silo_is_read_through_another()
    {
        // Memory storage on purpose: it is itself spread over the cluster's silos, so the second silo finds the
        // container only if the two silos really are one cluster, not merely two readers of one database.
        var database = await server.CreateDatabase();
        var settings = new Dictionary<string, string>
        {
            ["Clustering:Provider"] = "postgres",
            ["Clustering:ConnectionString"] = database,
            ["Clustering:ClusterId"] = "test-" + Guid.NewGuid().ToString("N")[..8],
        };
        await using var first = PlatformHost.Start(settings);
        await using var second = PlatformHost.Start(settings);
        var hosts = await first.Grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        Assert.Equal(2, hosts.Count);
        var aeId = await first.Client.RegisterAe();
        var created = await first.Client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"shared","mni":5}}""");
        Assert.Equal(2001, created.Rsc);

        var read = await second.Client.Retrieve($"/cse-in/{aeId}/shared", aeId);

        Assert.Equal(2000, read.Rsc);
        Assert.Equal(5, read.Resource("m2m:cnt")["mni"]!.GetValue<long>());
    }

    [Fact]
    public void An_unreachable_database_stops_the_start_naming_the_key()
    {
        var settings = new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = $"Host=127.0.0.1;Port={Infrastructure.FreePort.Next()};Username=postgres;Database=none",
        };

        var error = Assert.ThrowsAny<Exception>(() => PlatformHost.Start(settings));

        Assert.Contains("Storage:ConnectionString", Flatten(error));
        Assert.Contains("unreachable", Flatten(error));
    }

    [Fact]
    public void A_wrong_provider_stops_the_start_naming_the_key()
    {
        var error = Assert.ThrowsAny<Exception>(() => PlatformHost.Start(new Dictionary<string, string> { ["Storage:Provider"] = "mongo" }));

        Assert.Contains("Storage:Provider 'mongo'", Flatten(error));
    }

    private static string Flatten(Exception error)
    {
        var text = "";
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            text += e.Message + "\n";
        }

        return text;
    }
}
