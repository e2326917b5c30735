using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace VirtualIoT.Gateway.Operations;

/// <summary>
/// Readiness of a standalone gateway: its Orleans client reaches the cluster. One call to the management grain
/// (which answers from the silo's membership view) proves a gateway connection, a silo that processes messages
/// and at least one active silo. The probe's own timeout (<c>Health:CheckTimeout</c>) bounds it.
/// </summary>
internal sealed class ClusterClientHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(cancellationToken);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"connected; {hosts.Count} active silo(s)")
                : HealthCheckResult.Unhealthy("connected, but the cluster reports no active silo");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"cluster unreachable: {ex.Message}");
        }
    }
}
