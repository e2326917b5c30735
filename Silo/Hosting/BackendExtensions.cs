using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Runtime.Hosting;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Storage;
using VirtualIoT.Gateway.Hosting;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Grains;
using VirtualIoT.Silo.Storage;

namespace VirtualIoT.Silo.Hosting;

/// <summary>Wires the silo to the clustering and storage back-ends chosen in configuration.</summary>
internal static class BackendExtensions
{
    /// <summary>ADO.NET invariant of Npgsql; Orleans' default invariant is SQL Server.</summary>
    private const string NpgsqlInvariant = "Npgsql";

    /// <summary>
    /// Adds the Orleans silo with the grains, its endpoints (section <c>Orleans</c>), its clustering and reminders
    /// (section <c>Clustering</c>) and its grain storage (section <c>Storage</c>). The options are validated here,
    /// before anything starts, and again at start for their consumers; a wrong value stops the process naming the key.
    /// </summary>
    public static WebApplicationBuilder AddVirtualIoTSilo(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var host = Bind<SiloHostOptions>(builder, SiloHostOptions.SectionName, null);
        var clustering = Bind(builder, ClusteringOptions.SectionName, new ClusteringOptionsValidator());
        var storage = Bind(builder, StorageOptions.SectionName, new StorageOptionsValidator());
        var postgresStorage = Bind<PostgresStorageOptions>(builder, PostgresStorageOptions.SectionName, null);

        // Registered before UseOrleans so that it runs, and can fail, before the silo starts.
        builder.Services.AddHostedService<BackendPreflight>();
        builder.Services.AddStorageExceptionSerialization();

        builder.UseOrleans(silo =>
        {
            ConfigureClustering(silo, host, clustering);
            silo.Configure<GrainCollectionOptions>(options =>
            {
                options.CollectionAge = host.CollectionAge;
                options.CollectionQuantum = host.CollectionQuantum;
            });
            silo.Configure<GrainDirectoryOptions>(options => options.CacheSize = host.DirectoryCacheSize);
            ConfigureReminders(silo, clustering);
            ConfigureStorage(silo, storage, postgresStorage, InProcessMemory(host, clustering, storage));
            ConfigureMqttBrokers(silo, configuration, host, clustering);
            silo.AddVirtualIoTGrains(configuration);
        });
        return builder;
    }

    private static void ConfigureClustering(ISiloBuilder silo, SiloHostOptions host, ClusteringOptions clustering)
    {
        if (string.Equals(clustering.Provider, BackendNames.Postgres, StringComparison.OrdinalIgnoreCase))
        {
            silo.ConfigureEndpoints(IPAddress.Parse(host.AdvertisedAddress), host.SiloPort, host.GatewayPort, listenOnAnyHostAddress: false);
            silo.UseAdoNetClustering(options =>
            {
                options.Invariant = NpgsqlInvariant;
                options.ConnectionString = clustering.ConnectionString;
            });
            silo.Configure<ClusterMembershipOptions>(options =>
            {
                options.ProbeTimeout = clustering.ProbeTimeout;
                options.MinProbeTimeout = clustering.MinProbeTimeout;
                // MaxProbeTimeout stays Orleans' 20 s: an overloaded silo's probes may take longer rather than evict
                // healthy peers. A killed silo refuses connections at once, so its probes fail well before that.
                options.NumMissedProbesLimit = clustering.NumMissedProbesLimit;
                options.NumVotesForDeathDeclaration = clustering.NumVotesForDeathDeclaration;
                options.DeathVoteExpirationTimeout = clustering.DeathVoteExpirationTimeout;
                options.TableRefreshTimeout = clustering.TableRefreshTimeout;
            });
            silo.Services.AddHostedService<DeadPeerDetector>();
        }
        else
        {
            silo.UseLocalhostClustering(host.SiloPort, host.GatewayPort,
                host.PrimarySiloPort is { } primary ? new IPEndPoint(IPAddress.Loopback, primary) : null);
        }

        // After UseLocalhostClustering, which sets its own "dev" IDs: ours win, so stored state keeps its keys.
        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = clustering.ClusterId;
            options.ServiceId = clustering.ServiceId;
        });
    }

    /// <summary>
    /// With the MQTT binding on and a cluster of several silos possible (<c>postgres</c> clustering, or a development
    /// silo joining a primary), the silo publishes its broker's endpoint in its silo metadata, so that the brokers can
    /// spread their clients over the silos (<see cref="MqttRebalancer"/>). A lone silo has nobody to hand clients to.
    /// </summary>
    private static void ConfigureMqttBrokers(ISiloBuilder silo, IConfiguration configuration, SiloHostOptions host, ClusteringOptions clustering)
    {
        var mqtt = configuration.GetSection(MqttOptions.SectionName).Get<MqttOptions>() ?? new MqttOptions();
        var cluster = string.Equals(clustering.Provider, BackendNames.Postgres, StringComparison.OrdinalIgnoreCase) || host.PrimarySiloPort is not null;
        if (!mqtt.Enabled || !cluster)
        {
            return;
        }

        var endpoint = SiloMqttBrokers.Endpoint(mqtt, host.AdvertisedAddress);
        silo.UseSiloMetadata(new Dictionary<string, string> { [SiloMqttBrokers.MetadataKey] = endpoint });
        silo.Services.AddSingleton<IMqttBrokerDirectory>(services => new SiloMqttBrokers(
            services.GetRequiredService<IClusterMembershipService>(),
            services.GetRequiredService<ISiloMetadataCache>(),
            services.GetRequiredService<ILocalSiloDetails>(),
            endpoint));
    }

    /// <summary>
    /// Reminders follow clustering: with <c>postgres</c> they live in the clustering database (its schema, applied at
    /// start, holds the reminders table), so they outlive the silos; with <c>localhost</c> they are kept in memory
    /// and last as long as the cluster.
    /// </summary>
    private static void ConfigureReminders(ISiloBuilder silo, ClusteringOptions clustering)
    {
        if (string.Equals(clustering.Provider, BackendNames.Postgres, StringComparison.OrdinalIgnoreCase))
        {
            silo.UseAdoNetReminderService(options =>
            {
                options.Invariant = NpgsqlInvariant;
                options.ConnectionString = clustering.ConnectionString;
            });
        }
        else
        {
            silo.UseInMemoryReminderService();
        }
    }

    /// <summary>
    /// Whether memory storage keeps the state in this process (<see cref="InProcessGrainStorage"/>): only for a silo
    /// that is its cluster's only one. A silo joining a primary must say that its cluster shares memory storage.
    /// </summary>
    private static bool InProcessMemory(SiloHostOptions host, ClusteringOptions clustering, StorageOptions storage)
    {
        if (string.Equals(clustering.Provider, BackendNames.Postgres, StringComparison.OrdinalIgnoreCase) || storage.SharedMemory)
        {
            return false;
        }

        return host.PrimarySiloPort is null
            ? true
            : throw new InvalidOperationException(
                $"{StorageOptions.SectionName}:{nameof(StorageOptions.SharedMemory)} must be true on every silo of a cluster of several silos "
                + $"with memory storage (this one joins a primary with {SiloHostOptions.SectionName}:{nameof(SiloHostOptions.PrimarySiloPort)}); "
                + "without it each silo would keep its grains' state to itself.");
    }

    private static void ConfigureStorage(ISiloBuilder silo, StorageOptions storage, PostgresStorageOptions postgres, bool inProcessMemory)
    {
        switch (storage.Provider.ToLowerInvariant())
        {
            case BackendNames.Postgres when postgres.GroupCommit:
                silo.Services.AddSingleton<StorageMetrics>();
                silo.Services.AddGrainStorage(GrainStorageNames.Resources, (services, name) => new PostgresGrainStorage(
                    name,
                    services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
                    storage.ConnectionString!,
                    postgres,
                    BinarySerializer(services.GetRequiredService<Serializer>()),
                    services.GetRequiredService<StorageMetrics>(),
                    services.GetRequiredService<ILogger<PostgresGrainStorage>>()));
                break;
            case BackendNames.Postgres:
                // Orleans' stock ADO.NET persistence (Storage:Postgres:GroupCommit=false): one commit per write.
                silo.AddAdoNetGrainStorage(GrainStorageNames.Resources, options => options.Configure<Serializer>((o, serializer) =>
                {
                    o.Invariant = NpgsqlInvariant;
                    o.ConnectionString = storage.ConnectionString;
                    o.GrainStorageSerializer = BinarySerializer(serializer);
                }));
                break;
            case BackendNames.AzureTable:
                silo.AddAzureTableGrainStorage(GrainStorageNames.Resources, options => options.Configure<Serializer>((o, serializer) =>
                {
                    o.TableServiceClient = new TableServiceClient(storage.ConnectionString);
                    o.TableName = storage.TableName;
                    // A deleted resource or an emptied segment leaves no row behind (Orleans' default keeps an empty one).
                    o.DeleteStateOnClear = true;
                    o.GrainStorageSerializer = BinarySerializer(serializer);
                }));
                break;
            case BackendNames.Memory when inProcessMemory:
                silo.Services.AddGrainStorage(GrainStorageNames.Resources,
                    (services, _) => new InProcessGrainStorage(new PooledStateSerializer(services.GetRequiredService<Serializer>())));
                break;
            default:
                // The binary serializer here too: the default (JSON with type names) cost about five times the
                // HTTP handling of a content instance create in profiles (BENCHMARKS.md).
                silo.AddMemoryGrainStorage(GrainStorageNames.Resources, options => options.Configure<Serializer>((o, serializer) =>
                    o.GrainStorageSerializer = BinarySerializer(serializer)));
                break;
        }
    }

    /// <summary>
    /// Orleans' own binary serializer for stored state. Attribute trees are <c>Dictionary&lt;string, object?&gt;</c>
    /// holding longs, doubles, lists and nested dictionaries: a JSON serializer would read them back as
    /// <c>JsonElement</c> (System.Text.Json) or as <c>int</c>/<c>JObject</c> (Newtonsoft), and the grains would
    /// misbehave after a restart. The binary format round-trips every type exactly and needs no type names.
    /// </summary>
    private static IGrainStorageSerializer BinarySerializer(Serializer serializer) => new PooledStateSerializer(serializer);

    /// <summary>Binds a section, validates it now (a bad value must stop the start) and registers it for consumers.</summary>
    private static T Bind<T>(WebApplicationBuilder builder, string section, IValidateOptions<T>? validator)
        where T : class, new()
    {
        var optionsBuilder = builder.Services.AddOptions<T>()
            .Bind(builder.Configuration.GetSection(section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (validator is not null)
        {
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton(validator));
        }

        var value = builder.Configuration.GetSection(section).Get<T>() ?? new T();
        var failures = new List<string>();
        var context = new System.ComponentModel.DataAnnotations.ValidationContext(value);
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(value, context, results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }

        if (validator?.Validate(Options.DefaultName, value) is { Failed: true } result)
        {
            failures.AddRange(result.Failures);
        }

        return failures.Count > 0 ? throw new OptionsValidationException(section, typeof(T), failures) : value;
    }
}
