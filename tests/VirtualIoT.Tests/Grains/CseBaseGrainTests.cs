using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class CseBaseGrainTests(ClusterFixture fixture)
{
    private ICseBaseGrain Cse => fixture.Grains.GetGrain<ICseBaseGrain>("id-in");

    [Fact]
    public async Task Concurrent_registrations_of_one_name_admit_exactly_one()
    {
        var name = NewId("race");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Cse.Execute(RegisterAe(NewId("C"), name)).AsTask()));

        Assert.Single(results, r => r.StatusCode == ResponseStatusCode.Created);
        Assert.All(results.Where(r => r.StatusCode != ResponseStatusCode.Created), r => Assert.Equal(ResponseStatusCode.Conflict, r.StatusCode));
    }

    [Fact]
    public async Task Registered_names_resolve_through_the_index_shards()
    {
        var aeId = NewId("C");
        var name = NewId("ae");
        await Cse.Execute(RegisterAe(aeId, name));

        var child = await Cse.ResolveChild(name);

        Assert.NotNull(child);
        Assert.Equal(aeId, child.ResourceId);
        Assert.Equal(ResourceType.AE, child.Type);
    }

    [Fact]
    public async Task Discovery_pages_over_many_shards_with_offset_and_limit()
    {
        var label = NewId("batch:");
        var ids = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            var aeId = NewId("C");
            var created = await Cse.Execute(RegisterAe(aeId, aeId) with
            {
                Content = new() { ["rn"] = aeId, ["api"] = "Ntest", ["rr"] = false, ["srv"] = new List<object?> { "3" }, ["lbl"] = new List<object?> { label } },
            });
            Assert.Equal(ResponseStatusCode.Created, created.StatusCode);
            ids.Add(aeId);
        }

        var discovery = fixture.Grains.GetGrain<IDiscoveryGrain>(0);
        var all = await discovery.Discover("id-in", Request(Operation.Retrieve, filter: new FilterCriteria { Usage = FilterUsage.Discovery, Labels = [label] }));
        var page = await discovery.Discover("id-in", Request(Operation.Retrieve,
            filter: new FilterCriteria { Usage = FilterUsage.Discovery, Labels = [label], Offset = 11, Limit = 15 }));

        var allUris = UriList(all).Cast<string>().ToList();
        Assert.Equal(40, allUris.Count);
        Assert.Equal(ids.Select(id => "cse-in/" + id).Order(), allUris.Order());
        Assert.Equal(allUris.Skip(10).Take(15), UriList(page).Cast<string>());
    }

    [Fact]
    public async Task Deregistration_removes_every_descendant()
    {
        var aeId = NewId("C");
        await Cse.Execute(RegisterAe(aeId, aeId));
        var ae = fixture.Grains.GetGrain<IAeGrain>(aeId);
        var container = await ae.Execute(Request(Operation.Create, aeId, type: ResourceType.Container, root: "m2m:cnt", content: new() { ["rn"] = "c" }));
        var containerId = (string)Attributes(container, "m2m:cnt")["ri"]!;
        var nested = await fixture.Grains.GetGrain<IContainerGrain>(containerId).Execute(
            Request(Operation.Create, aeId, type: ResourceType.Container, root: "m2m:cnt", content: new() { ["rn"] = "n" }));
        var nestedId = (string)Attributes(nested, "m2m:cnt")["ri"]!;

        var deleted = await ae.Execute(Request(Operation.Delete, aeId));

        Assert.Equal(ResponseStatusCode.Deleted, deleted.StatusCode);
        Assert.True((await fixture.Grains.GetGrain<IContainerGrain>(containerId).Retrieve(Request(Operation.Retrieve))).TargetMissing);
        Assert.True((await fixture.Grains.GetGrain<IContainerGrain>(nestedId).Retrieve(Request(Operation.Retrieve))).TargetMissing);
        Assert.Null(await Cse.ResolveChild(aeId));
        Assert.False(await ae.IsRegistered());
    }

    [Fact]
    public async Task An_expired_ae_frees_its_id_for_a_new_registration()
    {
        var aeId = NewId("C");
        var lifetime = TimeSpan.FromMinutes(10);
        var soon = OneM2MTime.Format(fixture.Clock.GetUtcNow().UtcDateTime + lifetime);
        var first = await Cse.Execute(RegisterAe(aeId, aeId) with
        {
            Content = new() { ["rn"] = aeId, ["api"] = "Ntest", ["rr"] = false, ["srv"] = new List<object?> { "3" }, ["et"] = soon },
        });
        Assert.Equal(ResponseStatusCode.Created, first.StatusCode);
        Assert.Equal(ResponseStatusCode.OriginatorHasAlreadyRegistered, (await Cse.Execute(RegisterAe(aeId, aeId))).StatusCode);

        // Past et by the silo's clock, not by waiting: no load can make the first registration land after it.
        using var later = fixture.Clock.Advance(lifetime + TimeSpan.FromMinutes(1));
        var again = await Cse.Execute(RegisterAe(aeId, aeId));

        Assert.Equal(ResponseStatusCode.Created, again.StatusCode);
    }
}
