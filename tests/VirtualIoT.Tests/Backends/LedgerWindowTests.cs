using Orleans.Core.Internal;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Index;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// A record of a completed create that left the bounds of an index shard's record (here one create per originator)
/// stays out after the shard is read back from storage, even though the page it is stored on was not rewritten
/// and the newer create that pushed it out was released since.
/// </summary>
[Trait("Speed", "Slow")]
public sealed class LedgerWindowTests
{
    private const int Shards = 256;

    [Fact]
    public async Task A_record_pushed_out_of_the_bounds_does_not_come_back_after_reactivation()
    {
        await using var host = PlatformHost.Start(new Dictionary<string, string> { ["Cse:IdempotentCreatesPerOriginator"] = "1" });
        var shard = host.Grains.GetGrain<IChildIndexGrain>("ledger-parent-" + Guid.NewGuid().ToString("N") + "/0");
        var first = "Cfirst" + Guid.NewGuid().ToString("N")[..8];
        var second = OnAnotherPage(first);
        var now = DateTime.UtcNow.Ticks;
        var older = new CompletedCreate("Cdev", "rq-1", 11, "ri-" + first, first, now);
        var newer = new CompletedCreate("Cdev", "rq-2", 22, "ri-" + second, second, now + 1);

        Assert.True(await shard.Claim(new ChildReference(older.ResourceId, first, ResourceType.AE, null), older));
        Assert.True(await shard.Claim(new ChildReference(newer.ResourceId, second, ResourceType.AE, null), newer));
        Assert.Null(await shard.FindCreate("Cdev", "rq-1", 11));
        await shard.Release(second, newer.ResourceId);
        Assert.Null(await shard.FindCreate("Cdev", "rq-2", 22));

        await shard.Cast<IGrainManagementExtension>().DeactivateOnIdle();

        Assert.Null(await shard.FindCreate("Cdev", "rq-1", 11));
        Assert.Null(await shard.FindCreate("Cdev", "rq-2", 22));
        Assert.Equal(older.ResourceId, (await shard.Lookup(first))?.ResourceId);
    }

    /// <summary>A name whose page in the shard differs from <paramref name="name"/>'s.</summary>
    private static string OnAnotherPage(string name)
    {
        var page = Policies.Hash(name) / Shards % 64;
        for (var i = 0; ; i++)
        {
            var other = "Csecond" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (Policies.Hash(other) / Shards % 64 != page)
            {
                return other;
            }
        }
    }
}
