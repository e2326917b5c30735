using Orleans.Core.Internal;
using VirtualIoT.Grains.Resources.Container;
using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// A parent's children are stored on 64 link pages by the hash of their IDs, and a create, change or removal
/// rewrites only the page of the child concerned: every page must still hold all of its children afterwards. With
/// 200 children each page holds several, so a page write that kept only the child written, or dropped the others,
/// loses children on the next activation. A parent of fewer than <c>LinkStore.NamesKeptFrom</c> (16) children finds a
/// page's children by hashing them all instead of keeping their names per page: 20 children cross that bound on the
/// way up and again on the way down (deletes), 10 stay below it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LinkPagesTests(ClusterFixture fixture)
{
    private async Task<string> NewContainer(IResourceGrain parent)
    {
        var created = await parent.Execute(Request(Operation.Create, type: ResourceType.Container, root: "m2m:cnt",
            content: new() { ["rn"] = NewId("c") }));
        Assert.Equal(ResponseStatusCode.Created, created.StatusCode);
        return (string)Attributes(created, "m2m:cnt")["ri"]!;
    }

    private async Task<HashSet<string>> Resolvable(IResourceGrain parent, IEnumerable<string> names)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (await parent.ResolveChild(name) is not null)
            {
                found.Add(name);
            }
        }

        return found;
    }

    [Theory]
    [InlineData(200)]
    [InlineData(20)]
    [InlineData(10)]
    public async Task Every_page_keeps_all_its_children_through_creates_deletes_and_reactivation(int count)
    {
        var parentId = await NewContainer(fixture.Grains.GetGrain<ICseBaseGrain>("id-in"));
        var parent = fixture.Grains.GetGrain<IContainerGrain>(parentId);
        var children = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = $"child{i:D3}";
            var created = await parent.Execute(Request(Operation.Create, type: ResourceType.Container, root: "m2m:cnt",
                content: new() { ["rn"] = name }));
            Assert.Equal(ResponseStatusCode.Created, created.StatusCode);
            children[name] = (string)Attributes(created, "m2m:cnt")["ri"]!;
        }

        await parent.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var afterCreates = await Resolvable(parent, children.Keys);

        // Every third child deleted (through its own grain, which tells the parent), the rest kept.
        var deleted = children.Keys.Where((_, i) => i % 3 == 0).ToList();
        foreach (var name in deleted)
        {
            var response = await fixture.Grains.GetGrain<IContainerGrain>(children[name]).Execute(Request(Operation.Delete));
            Assert.Equal(ResponseStatusCode.Deleted, response.StatusCode);
        }

        await parent.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var afterDeletes = await Resolvable(parent, children.Keys);

        // A name freed by a delete taken again by a new child (another ID, so most likely another page).
        var reused = deleted[0];
        var again = await parent.Execute(Request(Operation.Create, type: ResourceType.Container, root: "m2m:cnt",
            content: new() { ["rn"] = reused }));
        Assert.Equal(ResponseStatusCode.Created, again.StatusCode);
        await parent.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var reloaded = await parent.ResolveChild(reused);

        Assert.Equal(count, afterCreates.Count);
        Assert.Equal(children.Keys.Except(deleted).OrderBy(n => n, StringComparer.Ordinal),
            afterDeletes.OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal((string)Attributes(again, "m2m:cnt")["ri"]!, reloaded?.ResourceId);
    }
}
