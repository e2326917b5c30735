using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Storage;
using Orleans.TestingHost;
using VirtualIoT.Grains;
using VirtualIoT.Grains.Resources;
using VirtualIoT.Grains.Resources.Container;
using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class ContainerGrainTests(ClusterFixture fixture)
{
    private async Task<string> NewContainer(Dictionary<string, object?>? attributes = null)
    {
        var cse = fixture.Grains.GetGrain<ICseBaseGrain>("id-in");
        var content = attributes ?? new Dictionary<string, object?>();
        content["rn"] = "c" + Guid.NewGuid().ToString("N")[..10];
        var created = await cse.Execute(Request(Operation.Create, type: ResourceType.Container, root: "m2m:cnt", content: content));
        Assert.Equal(ResponseStatusCode.Created, created.StatusCode);
        return (string)((Dictionary<string, object?>)((Dictionary<string, object?>)created.Content!)["m2m:cnt"]!)["ri"]!;
    }

    private static async Task AddInstances(IContainerGrain container, int count, int first = 0)
    {
        for (var i = first; i < first + count; i++)
        {
            var response = await container.Execute(Request(Operation.Create, type: ResourceType.ContentInstance, root: "m2m:cin",
                content: new Dictionary<string, object?> { ["con"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            Assert.Equal(ResponseStatusCode.Created, response.StatusCode);
        }
    }

    [Fact]
    public async Task Instances_survive_reactivation_across_many_segments()
    {
        var ri = await NewContainer();
        var container = fixture.Grains.GetGrain<IContainerGrain>(ri);
        await AddInstances(container, 300);

        await container.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var latest = await container.Retrieve(Request(Operation.Retrieve, subTarget: "la"));
        var oldest = await container.Retrieve(Request(Operation.Retrieve, subTarget: "ol"));
        var self = await container.Retrieve(Request(Operation.Retrieve));

        Assert.Equal("299", Attributes(latest, "m2m:cin")["con"]);
        Assert.Equal("0", Attributes(oldest, "m2m:cin")["con"]);
        Assert.Equal(300L, Attributes(self, "m2m:cnt")["cni"]);
    }

    [Fact]
    public async Task Eviction_by_mni_is_stored_and_survives_reactivation()
    {
        var ri = await NewContainer(new() { ["mni"] = 100L });
        var container = fixture.Grains.GetGrain<IContainerGrain>(ri);
        await AddInstances(container, 250);

        await container.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var oldest = await container.Retrieve(Request(Operation.Retrieve, subTarget: "ol"));
        var self = await container.Retrieve(Request(Operation.Retrieve));

        Assert.Equal("150", Attributes(oldest, "m2m:cin")["con"]);
        Assert.Equal(100L, Attributes(self, "m2m:cnt")["cni"]);
        Assert.Equal(250L, Attributes(self, "m2m:cnt")["st"]);
    }

    [Fact]
    public async Task Eviction_lists_instances_in_the_state_and_clears_emptied_segments()
    {
        var ri = await NewContainer(new() { ["mni"] = 10L });
        var container = fixture.Grains.GetGrain<IContainerGrain>(ri);

        // Instances 0..19 (sequences 0..19): the first segment (0..15) was sealed by the 16th create, with 6..15
        // live in it; 6..9 were evicted from it since, and are listed in the state instead of rewriting it.
        await AddInstances(container, 20);
        var first = await StoredSegment(ri, 0);
        Assert.Equal([6L, 7L, 8L, 9L], (await StoredLog(ri)).RemovedInstances.Order());
        Assert.NotNull(first);
        Assert.Empty(first.Instances);
        Assert.Equal(10, first.Encoded.Count);

        // Reactivated from storage, the listed instances stay gone.
        await container.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var oldest = await container.Retrieve(Request(Operation.Retrieve, subTarget: "ol"));
        Assert.Equal("10", Attributes(oldest, "m2m:cin")["con"]);
        Assert.Equal(10L, Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt")["cni"]);

        // Evicting the rest of the first segment empties it: its record is cleared and nothing of it stays listed.
        await AddInstances(container, 12, first: 20);
        Assert.Null(await StoredSegment(ri, 0));
        Assert.DoesNotContain((await StoredLog(ri)).RemovedInstances, sequence => sequence < ContainerGrain.SegmentSize);
        await container.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        oldest = await container.Retrieve(Request(Operation.Retrieve, subTarget: "ol"));
        Assert.Equal("22", Attributes(oldest, "m2m:cin")["con"]);
        Assert.Equal(10L, Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt")["cni"]);
    }

    private IGrainStorage Storage =>
        ((InProcessSiloHandle)fixture.Cluster.Silos[0]).SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);

    private async Task<ContainerLog> StoredLog(string ri)
    {
        var state = new GrainState<ResourceState>();
        await Storage.ReadStateAsync("resource", fixture.Grains.GetGrain<IContainerGrain>(ri).GetGrainId(), state);
        return Assert.IsType<ContainerLog>(state.State!.Specific);
    }

    private async Task<InstanceSegment?> StoredSegment(string ri, long segment)
    {
        var stored = new GrainState<InstanceSegment>();
        await Storage.ReadStateAsync("instances", GrainId.Create("vi-instances", $"{ri}/{segment.ToString(System.Globalization.CultureInfo.InvariantCulture)}"), stored);
        return stored.RecordExists ? stored.State : null;
    }

    [Fact]
    public async Task Lowering_mbs_evicts_oldest_instances_until_the_size_fits()
    {
        var ri = await NewContainer();
        var container = fixture.Grains.GetGrain<IContainerGrain>(ri);
        await AddInstances(container, 20);

        var updated = await container.Execute(Request(Operation.Update, root: "m2m:cnt",
            content: new Dictionary<string, object?> { ["mbs"] = 10L }));
        var oldest = await container.Retrieve(Request(Operation.Retrieve, subTarget: "ol"));

        Assert.Equal(ResponseStatusCode.Updated, updated.StatusCode);
        Assert.Equal(10L, Attributes(updated, "m2m:cnt")["cbs"]);
        Assert.Equal(5L, Attributes(updated, "m2m:cnt")["cni"]);
        Assert.Equal("15", Attributes(oldest, "m2m:cin")["con"]);
    }

    [Fact]
    public async Task Deleting_a_container_removes_its_instances_from_storage()
    {
        var ri = await NewContainer();
        var container = fixture.Grains.GetGrain<IContainerGrain>(ri);
        await AddInstances(container, 130);
        var instance = ResourceIds.InstanceId(ri, 5);

        var deleted = await container.Execute(Request(Operation.Delete));
        await container.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var after = await container.Retrieve(Request(Operation.Retrieve, subTarget: instance));
        var self = await container.Retrieve(Request(Operation.Retrieve));

        Assert.Equal(ResponseStatusCode.Deleted, deleted.StatusCode);
        Assert.Equal(ResponseStatusCode.NotFound, after.StatusCode);
        Assert.True(self.TargetMissing);
    }
}
