using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Npgsql;
using VirtualIoT.Gateway.Hosting;

namespace VirtualIoT.Silo.Hosting;

/// <summary>
/// Runs before the silo starts (it is registered ahead of Orleans' hosted service): connects to each configured
/// database, applies the PostgreSQL schema and creates the Azure table. An unreachable database stops the start
/// with a message naming the configuration key and the endpoint, instead of Orleans retrying deep inside.
/// </summary>
internal sealed partial class BackendPreflight(
    IOptions<StorageOptions> storage,
    IOptions<ClusteringOptions> clustering,
    ILogger<BackendPreflight> logger) : IHostedService
{
    /// <summary>How long a database may take to answer at start before the silo gives up.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var postgres = new HashSet<string>(StringComparer.Ordinal);
        if (IsPostgres(clustering.Value.Provider))
        {
            postgres.Add(clustering.Value.ConnectionString!);
            await PreparePostgres(clustering.Value.ConnectionString!, $"{ClusteringOptions.SectionName}:ConnectionString", cancellationToken);
        }

        if (IsPostgres(storage.Value.Provider) && postgres.Add(storage.Value.ConnectionString!))
        {
            await PreparePostgres(storage.Value.ConnectionString!, $"{StorageOptions.SectionName}:ConnectionString", cancellationToken);
        }

        if (string.Equals(storage.Value.Provider, BackendNames.AzureTable, StringComparison.OrdinalIgnoreCase))
        {
            await PrepareAzureTable(storage.Value.ConnectionString!, storage.Value.TableName, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static bool IsPostgres(string provider) => string.Equals(provider, BackendNames.Postgres, StringComparison.OrdinalIgnoreCase);

    private async Task PreparePostgres(string connectionString, string key, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = (int)ConnectTimeout.TotalSeconds };
        var endpoint = $"{builder.Host}:{builder.Port}/{builder.Database}";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException($"{key}: PostgreSQL at {endpoint} is unreachable: {ex.Message}", ex);
        }

        await PostgresSchema.ApplyAsync(connection, cancellationToken);
        Log.SchemaApplied(logger, endpoint);
    }

    private async Task PrepareAzureTable(string connectionString, string tableName, CancellationToken cancellationToken)
    {
        // No retries here: the default policy would spend about a minute on an unreachable endpoint.
        var clientOptions = new TableClientOptions();
        clientOptions.Retry.MaxRetries = 0;
        clientOptions.Retry.NetworkTimeout = ConnectTimeout;
        var service = new TableServiceClient(connectionString, clientOptions);
        try
        {
            await service.CreateTableIfNotExistsAsync(tableName, cancellationToken);
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or TaskCanceledException or AggregateException)
        {
            throw new InvalidOperationException(
                $"{StorageOptions.SectionName}:ConnectionString: Azure Table service at {service.Uri} is unreachable or refused table '{tableName}': {ex.Message}", ex);
        }

        Log.TableReady(logger, tableName, service.Uri);
    }

    private static partial class Log
    {
        [LoggerMessage(4000, LogLevel.Information, "PostgreSQL schema applied at {Endpoint}")]
        public static partial void SchemaApplied(ILogger logger, string endpoint);

        [LoggerMessage(4001, LogLevel.Information, "Azure table {Table} ready at {Endpoint}")]
        public static partial void TableReady(ILogger logger, string table, Uri endpoint);
    }
}
