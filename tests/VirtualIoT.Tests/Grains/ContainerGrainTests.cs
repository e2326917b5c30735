using Orleans.Core.Internal;
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

    private static async Task AddInstances(IContainerGrain container, int count)
    {
        for (var i = 0; i < count; i++)
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
