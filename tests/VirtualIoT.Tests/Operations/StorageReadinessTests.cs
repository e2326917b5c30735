using System.Net;
using VirtualIoT.Tests.Backends;

namespace VirtualIoT.Tests.Operations;

/// <summary>Readiness checks that the configured grain storage answers: PostgreSQL by a query, Azure Tables by a table query.</summary>
[Collection(PostgresCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PostgresReadinessTests(PostgresServer server)
{
    [Fact]
    public async Task Silo_on_postgres_is_ready_when_the_database_answers()
    {
        var database = await server.CreateDatabase();
        await using var factory = PlatformFactory.Create(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = database,
        }, out _);
        using var http = factory.CreateClient();

        var (status, body) = await HealthTests.Get(http, "/health/ready");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("postgres at", body["checks"]?["storage"]?["description"]?.GetValue<string>(), StringComparison.Ordinal);
    }
}

[Collection(AzuriteCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class AzureTableReadinessTests(AzuriteServer server)
{
    [Fact]
    public async Task Silo_on_azure_tables_is_ready_when_the_table_answers()
    {
        await using var factory = PlatformFactory.Create(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "azuretable",
            ["Storage:ConnectionString"] = server.ConnectionString,
            ["Storage:TableName"] = "vt" + Guid.NewGuid().ToString("N"),
        }, out _);
        using var http = factory.CreateClient();

        var (status, body) = await HealthTests.Get(http, "/health/ready");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("azure table", body["checks"]?["storage"]?["description"]?.GetValue<string>(), StringComparison.Ordinal);
    }
}
