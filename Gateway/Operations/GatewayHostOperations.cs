using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Operations;

/// <summary>Operations of the standalone gateway (an Orleans client with no silo inside).</summary>
public static class GatewayHostOperations
{
    /// <summary>
    /// Adds metrics, tracing (with Orleans' activity propagation on the client, so grain calls join the request's
    /// trace), the health endpoints with readiness meaning "the cluster answers", and the resource browser. Call
    /// after <see cref="Hosting.ClusterClientExtensions.AddVirtualIoTClusterClient"/>.
    /// </summary>
    public static WebApplicationBuilder AddVirtualIoTGatewayOperations(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var health = builder.AddVirtualIoTOperations("virtualiot-gateway");
        var timeout = (builder.Configuration.GetSection(HealthOptions.SectionName).Get<HealthOptions>() ?? new HealthOptions()).CheckTimeout;
        health.AddCheck<ClusterClientHealthCheck>("cluster", HealthStatus.Unhealthy, [OperationsExtensions.ReadyTag], timeout);
        if (OperationsExtensions.TracingRequested(builder.Configuration))
        {
            builder.UseOrleansClient(client => client.AddActivityPropagation());
        }

        return builder;
    }
}
