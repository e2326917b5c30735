using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Serialization;
using Orleans.Storage;
using VirtualIoT.Grains;
using VirtualIoT.Grains.Index;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// A CSEBase index shard stores its names in pages: with many AEs registered into one shard, the largest record it
/// stores stays under a fixed size (a page, not the whole name table), and a shard stored in the old format (one
/// dictionary in its state) moves its names to pages on activation and answers as before.
/// </summary>
[Trait("Speed", "Slow")]
public sealed class IndexShardPageTests(ITestOutputHelper output)
{
    /// <summary>
    /// Upper bound of a page record: ~10 names of this test (~80 B each) plus records of creates (at most 64, ~70 B
    /// each). The whole table of 640 names, as a shard stored it before pages, is ~50 KB.
    /// </summary>
    private const int MaxRecordBytes = 8 * 1024;

    /// <summary>Upper bound of the shard's own state: the page bitmask and two empty collections.</summary>
    private const int MaxShardStateBytes = 1024;

    private const int Devices = 640;

    // In-process, but 640 registrations into one shard take most of a minute on a loaded machine: not in the fast loop.
    [Fact]
    [Trait("Speed", "Slow")]
    public async Task A_registration_rewrites_one_bounded_page_of_its_index_shard()
    {
        // One shard for the whole CSEBase: every registration lands in it.
        await using var host = PlatformHost.Start(new Dictionary<string, string> { ["Cse:CseBaseIndexShards"] = "1" });
        var registered = new ConcurrentBag<string>();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= Devices)
            {
                registered.Add(await host.Client.RegisterAe());
            }
        }));

        var names = registered.ToList();

        var (state, pages) = await StoredShard(host, "id-in/0");
        var serializer = host.Services.GetRequiredService<Serializer>();
        Assert.Empty(state.Children);
        Assert.Empty(state.Creates);
        Assert.True(serializer.SerializeToArray(state).Length <= MaxShardStateBytes);
        var largest = pages.Max(p => serializer.SerializeToArray(p).Length);
        var table = new ChildIndexState();
        foreach (var page in pages)
        {
            foreach (var (name, child) in page.Children)
            {
                table.Children[name] = child;
            }
        }

        output.WriteLine(FormattableString.Invariant(
            $"names={table.Children.Count} pages={pages.Count} largest_page_bytes={largest} whole_table_bytes={serializer.SerializeToArray(table).Length}"));
        Assert.True(largest <= MaxRecordBytes, $"largest page {largest} B");
        Assert.True(BitOperations.PopCount(state.Pages) >= 60, $"{BitOperations.PopCount(state.Pages)} pages for {Devices} names");

        // Every name is stored once, with the newest creates (bounded as a parent's) on their names' pages.
        var stored = pages.SelectMany(p => p.Children.Keys).ToList();
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.Subset(stored.ToHashSet(), names.ToHashSet());
        var creates = pages.SelectMany(p => p.Creates).ToList();
        Assert.InRange(creates.Count, 1, Devices);
        Assert.All(pages, p => Assert.All(p.Creates, c => Assert.Contains(c.Name, p.Children.Keys)));

        // Read back after reactivation: registered names resolve, a repeat is refused as before.
        await host.Grains.GetGrain<IChildIndexGrain>("id-in/0").Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal(2000, (await host.Client.Retrieve("/cse-in/" + names[^1], names[^1])).Rsc);
        var again = await host.Client.Create("/cse-in", names[0], 2, $$$"""{"m2m:ae":{"rn":"{{{names[0]}}}","api":"Ntest","rr":true,"srv":["3"]}}""");
        Assert.Equal(4117, again.Rsc);
    }

    [Fact]
    public async Task A_shard_stored_as_one_dictionary_moves_its_names_to_pages()
    {
        await using var host = PlatformHost.Start(new Dictionary<string, string>());
        const string key = "legacy-parent/7";
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);
        var shard = host.Grains.GetGrain<IChildIndexGrain>(key);
        var legacy = new ChildIndexState();
        for (var i = 0; i < 300; i++)
        {
            var name = "Cold" + i.ToString(CultureInfo.InvariantCulture);
            legacy.Children[name] = new ChildReference("ri-" + name, name, ResourceType.AE, null);
        }

        var create = new CompletedCreate("Cold5", "rq-5", 55, "ri-Cold5", "Cold5", DateTime.UtcNow.Ticks);
        legacy.Creates.Add(create);
        await storage.WriteStateAsync("index", shard.GetGrainId(), new GrainState<ChildIndexState>(legacy));

        Assert.Equal(300, (await shard.List()).Count);
        Assert.Equal("ri-Cold42", (await shard.Lookup("Cold42"))?.ResourceId);
        Assert.Equal(create, await shard.FindCreate("Cold5", "rq-5", 55));

        var (state, pages) = await StoredShard(host, key);
        Assert.Empty(state.Children);
        Assert.Empty(state.Creates);
        Assert.Equal(300, pages.Sum(p => p.Children.Count));
        Assert.Contains(pages, p => p.Creates.Contains(create) && p.Children.ContainsKey("Cold5"));

        // After reactivation the shard reads its pages; a release rewrites the name's page.
        await shard.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await shard.Release("Cold5", "ri-Cold5");
        Assert.Equal(299, (await shard.List()).Count);
        Assert.Null(await shard.FindCreate("Cold5", "rq-5", 55));
        Assert.True(await shard.Claim(new ChildReference("ri-new", "Cnew", ResourceType.AE, null)));
        Assert.False(await shard.Claim(new ChildReference("ri-other", "Cold6", ResourceType.AE, null)));
        (state, pages) = await StoredShard(host, key);
        Assert.Equal(300, pages.Sum(p => p.Children.Count));
        // The released name's record stays on its page, marked released (it still counts against the bounds).
        Assert.DoesNotContain(pages, p => p.Children.ContainsKey("Cold5") || p.Creates.Any(c => !c.Released));
    }

    /// <summary>A shard's state and its stored pages, read through the silo's grain storage.</summary>
    private static async Task<(ChildIndexState State, List<ChildIndexPage> Pages)> StoredShard(PlatformHost host, string key)
    {
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);
        var state = new GrainState<ChildIndexState>();
        await storage.ReadStateAsync("index", host.Grains.GetGrain<IChildIndexGrain>(key).GetGrainId(), state);
        Assert.True(state.RecordExists);
        var pages = new List<ChildIndexPage>();
        for (var page = 0; page < 64; page++)
        {
            var stored = new GrainState<ChildIndexPage>();
            await storage.ReadStateAsync("index-page", GrainId.Create("vi-index", $"{key}/{page.ToString(CultureInfo.InvariantCulture)}"), stored);
            Assert.Equal((state.State!.Pages & (1UL << page)) != 0, stored.RecordExists);
            if (stored.RecordExists)
            {
                pages.Add(stored.State!);
            }
        }

        return (state.State!, pages);
    }
}
