using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Core;
using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Gateway.Hosting;

/// <summary>Makes a web application an Orleans client of the cluster chosen in configuration (section <c>Clustering</c>).</summary>
public static class ClusterClientExtensions
{
    /// <summary>
    /// Adds an Orleans client: with <c>postgres</c> clustering it finds the silos' gateways in the membership table
    /// (and follows silos joining and leaving); with <c>localhost</c> it connects to
    /// <see cref="ClusteringOptions.GatewayPort"/> on this machine. A wrong value stops the start naming the key.
    /// </summary>
    public static WebApplicationBuilder AddVirtualIoTClusterClient(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(ClusteringOptions.SectionName);
        builder.Services.AddOptions<ClusteringOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusteringOptions>, ClusteringOptionsValidator>());
        var clustering = section.Get<ClusteringOptions>() ?? new ClusteringOptions();
        if (new ClusteringOptionsValidator().Validate(Options.DefaultName, clustering) is { Failed: true } invalid)
        {
            throw new OptionsValidationException(ClusteringOptions.SectionName, typeof(ClusteringOptions), invalid.Failures);
        }

        // Calls in flight to a silo that dies are cancelled and retried rather than left to the response timeout.
        builder.Services.TryAddSingleton<SiloLossSignal>();
        builder.Services.AddSingleton<IClusterConnectionStatusObserver>(static provider => provider.GetRequiredService<SiloLossSignal>());
        builder.Services.AddStorageExceptionSerialization();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = clustering.ClientResponseTimeout);
            client.Services.AddSingleton<IClientConnectionRetryFilter>(services => new ClusterConnectRetry(
                clustering, services.GetService<TimeProvider>() ?? TimeProvider.System, services.GetRequiredService<ILogger<ClusterConnectRetry>>()));
            if (string.Equals(clustering.Provider, BackendNames.Postgres, StringComparison.OrdinalIgnoreCase))
            {
                client.UseAdoNetClustering(options =>
                {
                    options.Invariant = "Npgsql";
                    options.ConnectionString = clustering.ConnectionString;
                });
                client.Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = clustering.ClusterId;
                    options.ServiceId = clustering.ServiceId;
                });
                client.Configure<Orleans.Configuration.GatewayOptions>(options => options.GatewayListRefreshPeriod = clustering.GatewayListRefreshPeriod);
            }
            else
            {
                client.UseLocalhostClustering(clustering.GatewayPort, clustering.ServiceId, clustering.ClusterId);
            }
        });
        return builder;
    }
}
