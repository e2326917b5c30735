using Orleans.Core.Internal;
using VirtualIoT.Grains.Resources;
using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// A create repeated with the same originator and request identifier (a retry after a silo died with the answer on
/// its way) returns the resource the first attempt made, also after the parent was reloaded from storage, and makes
/// no second one; the record behind it is bounded.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IdempotentCreateTests(ClusterFixture fixture)
{
    private async Task<IContainerGrain> NewContainer()
    {
        var cse = fixture.Grains.GetGrain<ICseBaseGrain>("id-in");
        var created = await cse.Execute(Request(Operation.Create, type: ResourceType.Container, root: "m2m:cnt",
            content: new() { ["rn"] = NewId("c") }));
        Assert.Equal(ResponseStatusCode.Created, created.StatusCode);
        return fixture.Grains.GetGrain<IContainerGrain>((string)Attributes(created, "m2m:cnt")["ri"]!);
    }

    private static ResourceRequest Instance(string rqi, string content) =>
        Request(Operation.Create, type: ResourceType.ContentInstance, root: "m2m:cin",
            content: new() { ["con"] = content }) with { RequestIdentifier = rqi, Originator = Admin };

    private static async Task<long> InstanceCount(IContainerGrain container) =>
        (long)Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt")["cni"]!;

    [Fact]
    public async Task A_repeated_instance_create_returns_the_original_and_adds_nothing()
    {
        var container = await NewContainer();

        var first = await container.Execute(Instance("rq-1", "21.5"));
        var repeat = await container.Execute(Instance("rq-1", "21.5"));

        Assert.Equal(ResponseStatusCode.Created, repeat.StatusCode);
        Assert.Equal(Attributes(first, "m2m:cin")["ri"], Attributes(repeat, "m2m:cin")["ri"]);
        Assert.Equal(Attributes(first, "m2m:cin")["ct"], Attributes(repeat, "m2m:cin")["ct"]);
        Assert.Equal(first.Location, repeat.Location);
        Assert.Equal(1L, await InstanceCount(container));
    }

    [Fact]
    public async Task The_record_is_stored_with_the_instance_and_survives_reactivation()
    {
        var container = await NewContainer();
        var first = await container.Execute(Instance("rq-1", "a"));

        await container.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var repeat = await container.Execute(Instance("rq-1", "a"));

        Assert.Equal(Attributes(first, "m2m:cin")["ri"], Attributes(repeat, "m2m:cin")["ri"]);
        Assert.Equal(1L, await InstanceCount(container));
    }

    [Fact]
    public async Task The_same_request_identifier_with_other_content_is_a_new_create()
    {
        var container = await NewContainer();

        var first = await container.Execute(Instance("rq-1", "a"));
        var otherContent = await container.Execute(Instance("rq-1", "b"));

        Assert.Equal(ResponseStatusCode.Created, otherContent.StatusCode);
        Assert.NotEqual(Attributes(first, "m2m:cin")["ri"], Attributes(otherContent, "m2m:cin")["ri"]);
        Assert.Equal(2L, await InstanceCount(container));
    }

    [Fact]
    public async Task Only_the_newest_creates_per_originator_are_remembered()
    {
        var container = await NewContainer();
        var perOriginator = new CseOptions().IdempotentCreatesPerOriginator;
        var answers = new List<ResourceResponse>();
        for (var i = 0; i <= perOriginator; i++)
        {
            answers.Add(await container.Execute(Instance("rq-" + i, "v")));
        }

        var newest = await container.Execute(Instance("rq-" + perOriginator, "v"));
        var forgotten = await container.Execute(Instance("rq-0", "v"));

        Assert.Equal(Attributes(answers[^1], "m2m:cin")["ri"], Attributes(newest, "m2m:cin")["ri"]);
        Assert.NotEqual(Attributes(answers[0], "m2m:cin")["ri"], Attributes(forgotten, "m2m:cin")["ri"]);
        Assert.Equal(perOriginator + 2L, await InstanceCount(container));
    }

    [Fact]
    public async Task A_repeated_container_create_under_an_ae_returns_the_original_also_after_reactivation()
    {
        var aeId = NewId("C");
        var registered = await fixture.Grains.GetGrain<ICseBaseGrain>("id-in").Execute(RegisterAe(aeId, aeId));
        Assert.Equal(ResponseStatusCode.Created, registered.StatusCode);
        var ae = fixture.Grains.GetGrain<IAeGrain>(aeId);
        var create = Request(Operation.Create, type: ResourceType.Container, root: "m2m:cnt",
            content: new() { ["lbl"] = new List<object?> { "x" } }) with { RequestIdentifier = "rq-cnt" };

        var first = await ae.Execute(create);
        var repeat = await ae.Execute(create);
        await ae.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var afterReload = await ae.Execute(create);
        var children = await ae.Retrieve(Request(Operation.Retrieve, rcn: ResultContent.ChildResourceReferences));

        var ri = Attributes(first, "m2m:cnt")["ri"];
        Assert.Equal(ri, Attributes(repeat, "m2m:cnt")["ri"]);
        Assert.Equal(ri, Attributes(afterReload, "m2m:cnt")["ri"]);
        var references = (Dictionary<string, object?>)((Dictionary<string, object?>)children.Content!)["m2m:rrl"]!;
        Assert.Single((List<object?>)references["rrf"]!);
    }

    [Fact]
    public void Entries_older_than_the_window_and_beyond_the_total_are_dropped()
    {
        var options = new CseOptions { IdempotencyWindow = TimeSpan.FromMinutes(1), IdempotentCreatesPerParent = 3 };
        var request = Instance("rq-old", "v");
        var old = new CompletedCreate(Admin, "rq-old", RequestLedger.Fingerprint(request), "cin1", "n1",
            DateTime.UtcNow.AddMinutes(-2).Ticks);
        var ledger = new List<CompletedCreate> { old };

        Assert.Null(RequestLedger.Find(ledger, request, options));
        for (var i = 0; i < 5; i++)
        {
            RequestLedger.Record(ledger, Instance("rq-" + i, "v") with { Originator = "C" + i }, "cin" + i, "n" + i, options);
        }

        Assert.Equal(["rq-2", "rq-3", "rq-4"], ledger.Select(e => e.RequestId));
        Assert.NotNull(RequestLedger.Find(ledger, Instance("rq-4", "v") with { Originator = "C4" }, options));
    }
}
