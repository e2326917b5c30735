using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Orleans.Configuration;
using Orleans.TestingHost;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Grains;
using VirtualIoT.Grains.Placement;
using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// Locality on a three-silo cluster: a device's grains (AE, container, subscription) are activated on the silo its
/// requests enter the cluster at (the <see cref="RequestOrigin"/> a binding sets; here the test sets it as the
/// binding of that silo would), come back together on the silo its requests reach after their silo died, and follow
/// the device when its requests keep arriving at another silo. Grain state is kept by one memory storage grain on a
/// silo that is never killed, so what a silo's death costs here is only its activations.
/// </summary>
public sealed class DevicePlacementTests : IAsyncLifetime
{
    // A binding name of these tests only, so the locality counter is read for their requests alone.
    private static readonly string s_binding = "placement-test-" + Guid.NewGuid().ToString("N")[..8];
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(20);

    private readonly ConcurrentDictionary<string, long> _served = new(StringComparer.Ordinal);
    private InProcessTestCluster _cluster = null!;
    private MeterListener? _listener;

    private IGrainFactory Grains => _cluster.Client;

    private IManagementGrain Management => Grains.GetGrain<IManagementGrain>(0);

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(GrainStorageNames.Resources, options => options.NumStorageGrains = 1);
            silo.UseInMemoryReminderService();
            silo.AddVirtualIoTGrains(new ConfigurationBuilder().Build());
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();

        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "virtualiot.requests.served")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? binding = null, locality = null;
            foreach (var tag in tags)
            {
                binding = tag.Key == "binding" ? tag.Value as string : binding;
                locality = tag.Key == "locality" ? tag.Value as string : locality;
            }

            if (binding == s_binding && locality is not null)
            {
                _served.AddOrUpdate(locality, value, (_, sum) => sum + value);
            }
        });
        _listener.Start();
    }

    public async Task DisposeAsync()
    {
        _listener?.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_device_s_grains_are_activated_on_the_silo_its_requests_arrive_at()
    {
        foreach (var silo in _cluster.Silos.Select(s => s.SiloAddress))
        {
            var device = await CreateDevice(silo);

            foreach (var (name, grain) in device.Grains(Grains))
            {
                Assert.Equal(silo, await HostOf(grain, name));
            }
        }
    }

    [Fact]
    public async Task A_request_served_on_the_silo_it_entered_counts_as_local_and_elsewhere_as_remote()
    {
        var silos = _cluster.Silos.Select(s => s.SiloAddress).ToArray();
        var device = await CreateDevice(silos[0]);
        var container = Grains.GetGrain<IContainerGrain>(device.ContainerId);
        var (local, remote) = (Served(LocalityMetrics.Local), Served(LocalityMetrics.Remote));

        From(silos[0]);
        Assert.Equal(ResponseStatusCode.Ok, (await container.Retrieve(Request(Operation.Retrieve, device.AeId, subTarget: "la"))).StatusCode);
        From(silos[1]);
        Assert.Equal(ResponseStatusCode.Ok, (await container.Retrieve(Request(Operation.Retrieve, device.AeId, subTarget: "la"))).StatusCode);

        Assert.Equal(local + 1, Served(LocalityMetrics.Local));
        Assert.Equal(remote + 1, Served(LocalityMetrics.Remote));
    }

    [Fact]
    public async Task After_the_device_s_silo_dies_its_grains_come_back_together_on_the_silo_its_requests_reach()
    {
        // The silo to kill: not the primary (it holds the test cluster's membership) and not the storage grain's.
        var storageSilo = await StorageSilo();
        var doomed = _cluster.Silos.Skip(1).First(s => !s.SiloAddress.Equals(storageSilo));
        var survivor = _cluster.Silos.First(s => s != doomed).SiloAddress;
        var device = await CreateDevice(doomed.SiloAddress);
        foreach (var (name, grain) in device.Grains(Grains))
        {
            Assert.Equal(doomed.SiloAddress, await HostOf(grain, name));
        }

        await _cluster.KillSiloAsync(doomed);

        // The device reconnects to a gateway on a surviving silo: its requests now enter there.
        From(survivor);
        var latest = await Grains.GetGrain<IContainerGrain>(device.ContainerId).Retrieve(Request(Operation.Retrieve, device.AeId, subTarget: "la"));
        Assert.Equal(ResponseStatusCode.Ok, latest.StatusCode);
        Assert.Equal("first", Attributes(latest, "m2m:cin")["con"]);
        Assert.Equal(ResponseStatusCode.Ok, (await Grains.GetGrain<IAeGrain>(device.AeId).Retrieve(Request(Operation.Retrieve, device.AeId))).StatusCode);
        Assert.Equal(ResponseStatusCode.Ok,
            (await Grains.GetGrain<ISubscriptionGrain>(device.SubscriptionId).Retrieve(Request(Operation.Retrieve, device.AeId))).StatusCode);

        foreach (var (name, grain) in device.Grains(Grains))
        {
            Assert.Equal(survivor, await HostOf(grain, name));
        }
    }

    [Fact]
    public async Task A_device_s_grains_move_to_the_silo_its_requests_keep_arriving_at()
    {
        var silos = _cluster.Silos.Select(s => s.SiloAddress).ToArray();
        var device = await CreateDevice(silos[1]);
        var container = Grains.GetGrain<IContainerGrain>(device.ContainerId);
        var ae = Grains.GetGrain<IAeGrain>(device.AeId);

        // The device now talks to silo 2's gateway: it updates its container (each update is an event the
        // subscription accepts) and reads its AE.
        From(silos[2]);
        for (var i = 0; i < RequestLocality.Streak; i++)
        {
            Assert.Equal(ResponseStatusCode.Updated, (await container.Execute(Request(Operation.Update, device.AeId, root: "m2m:cnt",
                content: new() { ["lbl"] = new List<object?> { "moved" + i } }))).StatusCode);
            Assert.Equal(ResponseStatusCode.Ok, (await ae.Retrieve(Request(Operation.Retrieve, device.AeId))).StatusCode);
        }

        foreach (var (name, grain) in device.Grains(Grains).Append(("fan-out worker", Grains.GetGrain<IFanOutGrain>(device.ContainerId))))
        {
            await WaitForHost(grain, name, silos[2]);
        }

        // Moved with their state.
        var moved = await container.Retrieve(Request(Operation.Retrieve, device.AeId));
        Assert.Equal(new List<object?> { "moved" + (RequestLocality.Streak - 1) }, Attributes(moved, "m2m:cnt")["lbl"]);
        Assert.Equal("first", Attributes(await container.Retrieve(Request(Operation.Retrieve, device.AeId, subTarget: "la")), "m2m:cin")["con"]);
    }

    [Fact]
    public async Task Requests_spread_evenly_over_the_silos_do_not_move_a_grain()
    {
        var silos = _cluster.Silos.Select(s => s.SiloAddress).ToArray();
        var device = await CreateDevice(silos[0]);
        var container = Grains.GetGrain<IContainerGrain>(device.ContainerId);

        for (var i = 0; i < 4 * RequestLocality.Streak; i++)
        {
            From(silos[i % silos.Length]);
            Assert.Equal(ResponseStatusCode.Ok, (await container.Retrieve(Request(Operation.Retrieve, device.AeId, subTarget: "la"))).StatusCode);
        }

        Assert.Equal(silos[0], await HostOf(container, "container"));
    }

    [Fact]
    public void A_binding_inside_a_silo_marks_its_requests_while_the_cluster_has_other_silos()
    {
        // A one-silo cluster leaves requests unmarked (they name their binding instead; MetricsTests counts them).
        var origin = new RequestOrigins(_cluster.Silos[0].SiloHost.Services).Http;
        RequestContext.Clear();

        Assert.True(origin.Mark());
        Assert.Same(origin.Origin, RequestOrigin.Current);
        Assert.Equal(_cluster.Silos[0].SiloAddress, RequestOrigin.Current!.Silo);
        RequestContext.Clear();
    }

    private static void From(SiloAddress silo) => new RequestOrigin(s_binding, silo).MarkCurrent();

    private long Served(string locality) => _served.TryGetValue(locality, out var count) ? count : 0;

    /// <summary>Registers an AE with a container, a subscription to it and one instance, every request entering at <paramref name="silo"/>.</summary>
    private async Task<Device> CreateDevice(SiloAddress silo)
    {
        From(silo);
        var aeId = "Cplace" + Guid.NewGuid().ToString("N")[..10];
        var registered = await Grains.GetGrain<ICseBaseGrain>("id-in").Execute(RegisterAe(aeId, aeId));
        Assert.Equal(ResponseStatusCode.Created, registered.StatusCode);
        var ae = Grains.GetGrain<IAeGrain>(aeId);
        var created = await ae.Execute(Request(Operation.Create, aeId, type: ResourceType.Container, root: "m2m:cnt", content: new() { ["rn"] = "data" }));
        Assert.Equal(ResponseStatusCode.Created, created.StatusCode);
        var containerId = (string)Attributes(created, "m2m:cnt")["ri"]!;
        var container = Grains.GetGrain<IContainerGrain>(containerId);
        var subscribed = await container.Execute(Request(Operation.Create, aeId, type: ResourceType.Subscription, root: "m2m:sub",
            content: new() { ["rn"] = "watch", ["nu"] = new List<object?> { aeId } }));
        Assert.Equal(ResponseStatusCode.Created, subscribed.StatusCode);
        var instance = await container.Execute(Request(Operation.Create, aeId, type: ResourceType.ContentInstance, root: "m2m:cin",
            content: new() { ["con"] = "first" }));
        Assert.Equal(ResponseStatusCode.Created, instance.StatusCode);
        return new Device(aeId, containerId, (string)Attributes(subscribed, "m2m:sub")["ri"]!);
    }

    /// <summary>The silo that has an activation of <paramref name="grain"/>, asked of every silo's catalog (not the directory cache).</summary>
    private async Task<SiloAddress> HostOf(IAddressable grain, string name) =>
        (await Hosts(grain)).SingleOrDefault() ?? throw new InvalidOperationException($"the {name} grain has no activation");

    private async Task<SiloAddress[]> Hosts(IAddressable grain)
    {
        var id = grain.GetGrainId();
        var statistics = await Management.GetDetailedGrainStatistics();
        return [.. statistics.Where(s => s.GrainId == id).Select(s => s.SiloAddress)];
    }

    private async Task WaitForHost(IAddressable grain, string name, SiloAddress expected)
    {
        var clock = Stopwatch.StartNew();
        SiloAddress[] hosts = [];
        while (clock.Elapsed < s_deadline)
        {
            hosts = await Hosts(grain);
            if (hosts.Length == 1 && expected.Equals(hosts[0]))
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"the {name} grain was on [{string.Join(", ", hosts.Select(h => h.ToString()))}] after {s_deadline.TotalSeconds} s, not on {expected}");
    }

    /// <summary>The silo of the one memory storage grain, once something has been written.</summary>
    private async Task<SiloAddress> StorageSilo()
    {
        From(_cluster.Silos[0].SiloAddress);
        Assert.Equal(ResponseStatusCode.Created, (await Grains.GetGrain<ICseBaseGrain>("id-in").Execute(
            RegisterAe("Cwarm" + Guid.NewGuid().ToString("N")[..10], "warm" + Guid.NewGuid().ToString("N")[..10]))).StatusCode);
        var statistics = await Management.GetDetailedGrainStatistics();
        return statistics.Single(s => s.GrainType.Contains("MemoryStorageGrain", StringComparison.Ordinal)).SiloAddress;
    }

    private sealed record Device(string AeId, string ContainerId, string SubscriptionId)
    {
        public IEnumerable<(string Name, IAddressable Grain)> Grains(IGrainFactory grains) =>
        [
            ("AE", grains.GetGrain<IAeGrain>(AeId)),
            ("container", grains.GetGrain<IContainerGrain>(ContainerId)),
            ("subscription", grains.GetGrain<ISubscriptionGrain>(SubscriptionId)),
        ];
    }
}
