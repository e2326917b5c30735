using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using VirtualIoT.Grains;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Grains;

/// <summary>One in-process silo with memory storage and the resource grains, shared by the grain tests.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    /// <summary>The silo's clock for oneM2M times: the system clock until a test moves it.</summary>
    public AdjustableClock Clock { get; } = new();

    public async Task InitializeAsync()
    {
        Cluster = Build(services => services.AddSingleton(new CseClock(Clock)));
        await Cluster.DeployAsync();
    }

    /// <summary>A one-silo cluster as this fixture's, not deployed yet; <paramref name="services"/> adds to the silo's services.</summary>
    public static InProcessTestCluster Build(Action<IServiceCollection>? services = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(GrainStorageNames.Resources);
            silo.UseInMemoryReminderService();
            services?.Invoke(silo.Services);
            silo.AddVirtualIoTGrains(new ConfigurationBuilder().Build());
        });
        return builder.Build();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
