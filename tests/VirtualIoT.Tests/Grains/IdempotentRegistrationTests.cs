using Orleans.Core.Internal;
using VirtualIoT.Grains.Domain;
using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// Creates directly under the CSEBase (AE registration, containers) repeated with the same originator, request
/// identifier and content return the original resource, also after the index shard holding the record and the
/// CSEBase were reloaded from storage; other repeats are answered as before, and the record is bounded.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IdempotentRegistrationTests(ClusterFixture fixture)
{
    private ICseBaseGrain Cse => fixture.Grains.GetGrain<ICseBaseGrain>("id-in");

    private static ResourceRequest Register(string aeId, string rqi) => RegisterAe(aeId, aeId) with { RequestIdentifier = rqi };

    private IChildIndexGrain ShardOf(string name) =>
        fixture.Grains.GetGrain<IChildIndexGrain>(Policies.IndexShardKey("id-in", name, new CseOptions().CseBaseIndexShards));

    [Fact]
    public async Task A_repeated_registration_returns_the_same_ae_also_after_reactivation()
    {
        var aeId = NewId("C");
        var first = await Cse.Execute(Register(aeId, "rq-reg"));
        var repeat = await Cse.Execute(Register(aeId, "rq-reg"));
        await ShardOf(aeId).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Cse.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var afterReload = await Cse.Execute(Register(aeId, "rq-reg"));

        Assert.Equal(ResponseStatusCode.Created, first.StatusCode);
        foreach (var answer in new[] { repeat, afterReload })
        {
            Assert.Equal(ResponseStatusCode.Created, answer.StatusCode);
            Assert.Equal(aeId, Attributes(answer, "m2m:ae")["aei"]);
            Assert.Equal(Attributes(first, "m2m:ae")["ct"], Attributes(answer, "m2m:ae")["ct"]);
            Assert.Equal(first.Location, answer.Location);
        }
    }

    [Fact]
    public async Task A_registration_with_another_request_identifier_or_content_is_refused_as_before()
    {
        var aeId = NewId("C");
        Assert.Equal(ResponseStatusCode.Created, (await Cse.Execute(Register(aeId, "rq-1"))).StatusCode);

        var otherRqi = await Cse.Execute(Register(aeId, "rq-2"));
        var otherContent = await Cse.Execute(RegisterAe(aeId, NewId("n")) with { RequestIdentifier = "rq-1" });

        Assert.Equal(ResponseStatusCode.OriginatorHasAlreadyRegistered, otherRqi.StatusCode);
        Assert.Equal(ResponseStatusCode.OriginatorHasAlreadyRegistered, otherContent.StatusCode);
    }

    [Fact]
    public async Task An_anonymous_registration_repeated_with_its_request_identifier_gets_the_same_AE()
    {
        var rqi = "rq-anon-" + Guid.NewGuid().ToString("N");
        var anonymous = Request(Operation.Create, "C", type: ResourceType.AE, root: "m2m:ae",
            content: new() { ["api"] = "Ntest", ["rr"] = false, ["srv"] = new List<object?> { "3" } }) with { RequestIdentifier = rqi };

        var first = await Cse.Execute(anonymous);
        var repeat = await Cse.Execute(anonymous);
        var otherRqi = await Cse.Execute(anonymous with { RequestIdentifier = rqi + "-2" });
        var asS = await Cse.Execute(anonymous with { Originator = "S" });

        Assert.Equal(ResponseStatusCode.Created, first.StatusCode);
        Assert.Equal(ResponseStatusCode.Created, repeat.StatusCode);
        Assert.Equal(Attributes(first, "m2m:ae")["aei"], Attributes(repeat, "m2m:ae")["aei"]);
        Assert.StartsWith("C", (string)Attributes(first, "m2m:ae")["aei"]!, StringComparison.Ordinal);
        Assert.NotEqual(Attributes(first, "m2m:ae")["aei"], Attributes(otherRqi, "m2m:ae")["aei"]);
        Assert.StartsWith("S", (string)Attributes(asS, "m2m:ae")["aei"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registration_repeated_after_deregistration_registers_again()
    {
        var aeId = NewId("C");
        await Cse.Execute(Register(aeId, "rq-1"));
        var ae = fixture.Grains.GetGrain<IAeGrain>(aeId);
        Assert.Equal(ResponseStatusCode.Deleted, (await ae.Execute(Request(Operation.Delete, aeId))).StatusCode);

        var again = await Cse.Execute(Register(aeId, "rq-1"));

        Assert.Equal(ResponseStatusCode.Created, again.StatusCode);
        Assert.True(await ae.IsRegistered());
    }

    [Fact]
    public async Task A_repeated_unnamed_container_create_under_the_cse_base_returns_the_original()
    {
        var create = Request(Operation.Create, type: ResourceType.Container, root: "m2m:cnt",
            content: new() { ["lbl"] = new List<object?> { "x" } }) with { RequestIdentifier = "rq-cnt" };

        var first = await Cse.Execute(create);
        var repeat = await Cse.Execute(create);
        var other = await Cse.Execute(create with { RequestIdentifier = "rq-cnt-2" });

        Assert.Equal(Attributes(first, "m2m:cnt")["ri"], Attributes(repeat, "m2m:cnt")["ri"]);
        Assert.Equal(first.Location, repeat.Location);
        Assert.NotEqual(Attributes(first, "m2m:cnt")["ri"], Attributes(other, "m2m:cnt")["ri"]);
    }

    [Fact]
    public async Task A_shard_remembers_only_the_newest_creates_per_originator()
    {
        var aeId = NewId("C");
        await Cse.Execute(Register(aeId, "rq-reg"));
        var shard = Policies.IndexShardKey("id-in", aeId, new CseOptions().CseBaseIndexShards);
        var perOriginator = new CseOptions().IdempotentCreatesPerOriginator;
        for (var created = 0; created < perOriginator;)
        {
            // Containers named into the same shard, created by the AE: each adds a record there.
            var name = NewId("n");
            if (Policies.IndexShardKey("id-in", name, new CseOptions().CseBaseIndexShards) == shard)
            {
                var container = await Cse.Execute(Request(Operation.Create, aeId, type: ResourceType.Container, root: "m2m:cnt",
                    content: new() { ["rn"] = name }));
                Assert.Equal(ResponseStatusCode.Created, container.StatusCode);
                created++;
            }
        }

        var forgotten = await Cse.Execute(Register(aeId, "rq-reg"));

        Assert.Equal(ResponseStatusCode.OriginatorHasAlreadyRegistered, forgotten.StatusCode);
    }
}
