using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace VirtualIoT.Gateway.Hosting;

/// <summary>Lets the storage client's exceptions cross between silos and gateways.</summary>
public static class StorageExceptionSerialization
{
    /// <summary>
    /// Adds Npgsql's namespace to the exception types Orleans serializes (its defaults are <c>System</c>,
    /// <c>Microsoft</c> and <c>Azure</c>). Without it, a grain call that fails because PostgreSQL is down or restarting
    /// reaches the gateway as a <see cref="CodecNotFoundException"/>, not as the database error it is, and cannot be
    /// answered as a storage outage (5000 with <c>Retry-After</c>). Register on silos and on standalone gateways.
    /// </summary>
    public static IServiceCollection AddStorageExceptionSerialization(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.Configure<ExceptionSerializationOptions>(options => options.SupportedNamespacePrefixes.Add("Npgsql"));
    }
}
