using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Storage;
using VirtualIoT.Grains;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Index;
using Xunit.Abstractions;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// What a registration costs an index shard and the CSEBase, kept exact. An index shard keeps the page of each name in its record of creates from one write to the next instead of hashing
/// every name again: through claims that push records out of the bounds, releases (a record replaced by its released
/// copy), a name claimed again by another resource and an unclaim, every stored page holds exactly the records of
/// its own names, and a shard read back from its pages answers every repeat it answered before.
/// </summary>
public sealed class RegistrationBookkeepingTests(ITestOutputHelper output)
{
    private const int Shards = 1;

    [Fact]
    public async Task Every_page_stores_the_records_of_its_own_names_through_drops_releases_and_reclaims()
    {
        var seed = TestSeed.Resolve(1817, output);
        var random = new Random(seed);
        await using var host = PlatformHost.Start(new Dictionary<string, string>
        {
            ["Cse:CseBaseIndexShards"] = "1",
            ["Cse:IdempotentCreatesPerParent"] = "12",
            ["Cse:IdempotentCreatesPerOriginator"] = "3",
        });
        var key = "ledger-pages-" + seed.ToString(CultureInfo.InvariantCulture) + "/0";
        var shard = host.Grains.GetGrain<IChildIndexGrain>(key);
        var held = new Dictionary<string, CompletedCreate>();
        var all = new List<CompletedCreate>();
        for (var step = 0; step < 120; step++)
        {
            var name = "Cn" + random.Next(40).ToString(CultureInfo.InvariantCulture);
            var originator = "Co" + random.Next(6).ToString(CultureInfo.InvariantCulture);
            if (held.TryGetValue(name, out var holder) && random.Next(3) == 0)
            {
                await shard.Release(name, holder.ResourceId);
                held.Remove(name);
                continue;
            }

            var create = new CompletedCreate(originator, "rq-" + step.ToString(CultureInfo.InvariantCulture), (ulong)step,
                "ri-" + step.ToString(CultureInfo.InvariantCulture), name, DateTime.UtcNow.Ticks + step);
            var child = new ChildReference(create.ResourceId, name, ResourceType.AE, null);
            if (holder is not null)
            {
                // Taken: refused, nothing recorded.
                Assert.False(await shard.Claim(child, create));
                continue;
            }

            Assert.True(await shard.Claim(child, create));
            all.Add(create);
            if (random.Next(8) == 0)
            {
                await shard.Unclaim(child, create);
                all.Remove(create);
                continue;
            }

            held[name] = create;
        }

        var answered = new List<bool>();
        foreach (var create in all)
        {
            answered.Add(await shard.FindCreate(create.Originator, create.RequestId, create.Fingerprint) is not null);
        }

        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);
        var onPages = 0;
        for (var page = 0; page < 64; page++)
        {
            var stored = new GrainState<ChildIndexPage>();
            await storage.ReadStateAsync("index-page", GrainId.Create("vi-index", $"{key}/{page.ToString(CultureInfo.InvariantCulture)}"), stored);
            foreach (var create in stored.State?.Creates ?? [])
            {
                Assert.Equal(page, (int)(Policies.Hash(create.Name) / Shards % 64));
                onPages++;
            }
        }

        Assert.InRange(onPages, 1, 200);
        Assert.Contains(true, answered);

        // Read back from the pages: every repeat answered before is answered again; none other is.
        await shard.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        for (var i = 0; i < all.Count; i++)
        {
            var create = all[i];
            Assert.Equal(answered[i], await shard.FindCreate(create.Originator, create.RequestId, create.Fingerprint) is not null);
        }

        foreach (var (name, create) in held)
        {
            Assert.Equal(create.ResourceId, (await shard.Lookup(name))?.ResourceId);
        }
    }

    /// <summary>
    /// A grain's cluster-internal reference is made from its ID (<see cref="ResourceTypeRegistry.GrainIdFor"/>), not
    /// from its own interface and a cast: it names the same grain as <c>GetResourceGrain</c> for an AE, a container
    /// and a content instance (held by its container), and none for an ID this CSE does not assign.
    /// </summary>
    [Fact]
    public async Task A_cluster_reference_names_the_grain_the_resource_reference_names()
    {
        await using var host = PlatformHost.Start(new Dictionary<string, string>());
        var cse = host.Grains.GetGrain<ICseBaseGrain>("id-in");
        Assert.Equal(ResponseStatusCode.Created, (await cse.Execute(RegisterAe("Cref1", "ref1"))).StatusCode);
        var created = await cse.Execute(Request(Operation.Create, type: ResourceType.Container, root: "m2m:cnt", content: new() { ["rn"] = "refs" }));
        var container = (string)Attributes(created, "m2m:cnt")["ri"]!;
        var instance = await host.Grains.GetGrain<IContainerGrain>(container).Execute(Request(Operation.Create,
            type: ResourceType.ContentInstance, root: "m2m:cin", content: new() { ["con"] = "1" }));
        var held = (string)Attributes(instance, "m2m:cin")["ri"]!;
        foreach (var ri in new[] { "Cref1", container, held, "id-in" })
        {
            // Twice: the first call for a type learns its grain type, the second makes the reference from it.
            for (var i = 0; i < 2; i++)
            {
                var cluster = host.Grains.GetClusterResource(ri, "id-in");
                Assert.NotNull(cluster);
                Assert.Equal(host.Grains.GetResourceGrain(ri, "id-in")!.GetGrainId(), cluster.GetGrainId());
                Assert.True(await cluster.IsLiveResource(), ri);
            }
        }

        Assert.Null(host.Grains.GetClusterResource("/elsewhere/x", "id-in"));
    }
}
