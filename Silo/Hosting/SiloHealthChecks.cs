using Azure.Data.Tables;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using VirtualIoT.Gateway.Hosting;

namespace VirtualIoT.Silo.Hosting;

/// <summary>
/// Readiness, part one: this silo is an <see cref="SiloStatus.Active"/> member of the cluster, as its own
/// membership view says. Joining, shutting down and declared-dead silos are not ready. No message is sent.
/// </summary>
internal sealed class SiloMembershipHealthCheck(ILocalSiloDetails localSilo, IClusterMembershipService membership) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = membership.CurrentSnapshot;
        var status = snapshot.GetSiloStatus(localSilo.SiloAddress);
        var active = 0;
        foreach (var member in snapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active)
            {
                active++;
            }
        }

        var description = $"silo {localSilo.SiloAddress} is {status}; {active} active silo(s)";
        return Task.FromResult(status == SiloStatus.Active ? HealthCheckResult.Healthy(description) : HealthCheckResult.Unhealthy(description));
    }
}

/// <summary>
/// Readiness, part two: the configured grain storage answers. <c>memory</c> always does; <c>postgres</c> must open
/// a connection and run <c>SELECT 1</c>; <c>azuretable</c> must answer a one-row query of the state table. The
/// probe's timeout (<c>Health:CheckTimeout</c>) cancels a hanging attempt.
/// </summary>
internal sealed class StorageHealthCheck(IOptions<StorageOptions> options) : IHealthCheck
{
    private readonly StorageOptions _storage = options.Value;
    private TableClient? _table;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var provider = _storage.Provider.ToLowerInvariant();
        try
        {
            switch (provider)
            {
                case BackendNames.Postgres:
                    await using (var connection = new NpgsqlConnection(_storage.ConnectionString))
                    {
                        await connection.OpenAsync(cancellationToken);
                        await using var command = new NpgsqlCommand("SELECT 1", connection);
                        await command.ExecuteScalarAsync(cancellationToken);
                        return HealthCheckResult.Healthy($"postgres at {connection.Host}:{connection.Port} answers");
                    }

                case BackendNames.AzureTable:
                    var table = _table ??= CreateTableClient();
                    await using (var pages = table.QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken)
                        .AsPages().GetAsyncEnumerator(cancellationToken))
                    {
                        await pages.MoveNextAsync();
                    }

                    return HealthCheckResult.Healthy($"azure table {table.Name} at {table.Uri.Host}:{table.Uri.Port} answers");

                default:
                    return HealthCheckResult.Healthy("memory storage");
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{provider} storage unreachable: {ex.Message}");
        }
    }

    private TableClient CreateTableClient()
    {
        // One attempt per probe: the probe period is the retry policy.
        var clientOptions = new TableClientOptions();
        clientOptions.Retry.MaxRetries = 0;
        return new TableServiceClient(_storage.ConnectionString, clientOptions).GetTableClient(_storage.TableName);
    }
}
