using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// A device that talks to one silo's own HTTP binding, as a device talks to the gateway it resolved: an AE with a
/// container, a subscription to it (notifying the AE itself) and one instance. Device placement puts all its grains on
/// that silo; when the device moves to another silo, the test asks the cluster where its grains are.
/// </summary>
internal sealed class SiloDevice
{
    private SiloDevice(string aeId, string containerId, string subscriptionId)
    {
        AeId = aeId;
        ContainerId = containerId;
        SubscriptionId = subscriptionId;
    }

    public string AeId { get; }

    public string ContainerId { get; }

    public string SubscriptionId { get; }

    private string Container => $"/cse-in/{AeId}/data";

    /// <summary>Registers the device through <paramref name="silo"/>'s HTTP endpoint.</summary>
    public static async Task<SiloDevice> RegisterAsync(Uri silo, string aeId)
    {
        using var http = new HttpClient { BaseAddress = silo, Timeout = TimeSpan.FromSeconds(30) };
        var client = new OneM2MClient(http);
        await client.RegisterAe(aeId);
        var container = await client.Create($"/cse-in/{aeId}", aeId, 3, """{"m2m:cnt":{"rn":"data"}}""");
        Assert.True(container.Rsc == 2001, container.Body);
        var subscription = await client.Create($"/cse-in/{aeId}/data", aeId, 23, $$$"""{"m2m:sub":{"rn":"watch","nu":["{{{aeId}}}"]}}""");
        Assert.True(subscription.Rsc == 2001, subscription.Body);
        var instance = await client.Create($"/cse-in/{aeId}/data", aeId, 4, """{"m2m:cin":{"con":"first"}}""");
        Assert.True(instance.Rsc == 2001, instance.Body);
        return new SiloDevice(aeId, container.Resource("m2m:cnt")["ri"]!.GetValue<string>(), subscription.Resource("m2m:sub")["ri"]!.GetValue<string>());
    }

    /// <summary>
    /// The device talks to <paramref name="silo"/> from now on: it writes an instance (until one is acknowledged, at
    /// most <paramref name="timeout"/>: right after a crash the cluster may still be failing over), reads it back
    /// and retrieves its AE and subscription. Returns the acknowledged content.
    /// </summary>
    public async Task<string> MoveToAsync(Uri silo, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = silo, Timeout = TimeSpan.FromSeconds(30) };
        var client = new OneM2MClient(http);
        var deadline = Deadline.In(timeout);
        var con = "after-" + silo.Port;
        OneM2MResponse written;
        while ((written = await client.Create(Container, AeId, 4, $$$"""{"m2m:cin":{"con":"{{{con}}}"}}""")).Rsc != 2001)
        {
            Assert.False(deadline.Passed, $"{AeId}: no write acknowledged through {silo} within {timeout.TotalSeconds} s; last {written.Rsc}: {written.Body}");
            await Task.Delay(200);
        }

        var latest = await client.Retrieve(Container + "/la", AeId);
        Assert.True(latest.Rsc == 2000, latest.Body);
        Assert.Equal(con, latest.Resource("m2m:cin")["con"]!.GetValue<string>());
        Assert.Equal(2000, (await client.Retrieve($"/cse-in/{AeId}", AeId)).Rsc);
        Assert.Equal(2000, (await client.Retrieve(Container + "/watch", AeId)).Rsc);
        return con;
    }

    /// <summary>The Orleans silo port of each of the device's grains (AE, container, subscription) that has an activation.</summary>
    public async Task<Dictionary<string, int[]>> HostsAsync(IGrainFactory grains)
    {
        var statistics = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        var ids = new Dictionary<string, GrainId>
        {
            ["AE"] = grains.GetGrain<IAeGrain>(AeId).GetGrainId(),
            ["container"] = grains.GetGrain<IContainerGrain>(ContainerId).GetGrainId(),
            ["subscription"] = grains.GetGrain<ISubscriptionGrain>(SubscriptionId).GetGrainId(),
        };
        return ids.ToDictionary(kv => kv.Key, kv => statistics.Where(s => s.GrainId == kv.Value).Select(s => s.SiloAddress.Endpoint.Port).ToArray());
    }
}
