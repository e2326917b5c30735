using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// AE registrations carried out by the AE's own grain (<see cref="IAeGrain.Register"/>, as the bindings send a
/// registration by an AE-ID): what is stored and answered is what the CSEBase stores and answers.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AeRegistrationRoutingTests(ClusterFixture fixture)
{
    private ICseBaseGrain Cse => fixture.Grains.GetGrain<ICseBaseGrain>("id-in");

    /// <summary>As the bindings register: the AE's grain, and the CSEBase for what that grain does not carry out (null).</summary>
    private async Task<ResourceResponse> Register(string aeId, ResourceRequest request) =>
        await fixture.Grains.GetGrain<IAeGrain>(aeId).Register(request) ?? await Cse.Execute(request);

    [Fact]
    public async Task A_registration_by_the_AE_grain_answers_and_stores_as_the_CSEBase_does()
    {
        var byAe = NewId("C");
        var byCse = NewId("C");

        var direct = await Register(byAe, RegisterAe(byAe, byAe));
        var through = await Cse.Execute(RegisterAe(byCse, byCse));

        Assert.Equal(ResponseStatusCode.Created, direct.StatusCode);
        var attributes = Attributes(direct, "m2m:ae");
        var expected = Attributes(through, "m2m:ae");
        Assert.Equal(expected.Keys.Order(), attributes.Keys.Order());
        Assert.Equal(byAe, attributes["ri"]);
        Assert.Equal(byAe, attributes["aei"]);
        Assert.Equal("id-in", attributes["pi"]);
        Assert.Equal((long)ResourceType.AE, attributes["ty"]);
        Assert.Equal(byAe, (await Cse.ResolveChild(byAe))?.ResourceId);
        Assert.True(await fixture.Grains.GetGrain<IAeGrain>(byAe).IsRegistered());
    }

    [Fact]
    public async Task A_repeated_registration_is_answered_with_the_AE_first_registered()
    {
        var aeId = NewId("C");
        var request = RegisterAe(aeId, aeId);

        var first = await Register(aeId, request);
        var repeat = await Register(aeId, request);

        Assert.Equal(ResponseStatusCode.Created, first.StatusCode);
        Assert.Equal(ResponseStatusCode.Created, repeat.StatusCode);
        Assert.Equal(Attributes(first, "m2m:ae")["ct"], Attributes(repeat, "m2m:ae")["ct"]);
    }

    [Fact]
    public async Task A_registered_AE_ID_a_taken_name_and_bad_content_are_refused_as_the_CSEBase_refuses_them()
    {
        var aeId = NewId("C");
        var name = NewId("ae");
        var other = NewId("C");
        Assert.Equal(ResponseStatusCode.Created, (await Register(aeId, RegisterAe(aeId, name))).StatusCode);

        var again = await Register(aeId, RegisterAe(aeId, NewId("ae")));
        var taken = await Register(other, RegisterAe(other, name));
        var noApi = RegisterAe(other, NewId("ae")) with { Content = new() { ["rr"] = false, ["srv"] = new List<object?> { "3" } } };
        var bad = await Register(other, noApi);

        Assert.Equal(ResponseStatusCode.OriginatorHasAlreadyRegistered, again.StatusCode);
        Assert.Equal(ResponseStatusCode.Conflict, taken.StatusCode);
        Assert.Equal(ResponseStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal((await Cse.Execute(noApi)).StatusCode, bad.StatusCode);
        Assert.False(await fixture.Grains.GetGrain<IAeGrain>(other).IsRegistered());
    }
}

/// <summary>
/// Whether the CSEBase listens to its children's creation (<see cref="ICseBaseGrain.Listens"/>), as its index shards
/// tell AEs registered by their own grains: false until its first subscription, and known to every shard before that
/// subscription's create is answered. A cluster of its own, so that no other test's subscription is on its CSEBase.
/// </summary>
public sealed class CseBaseListeningTests
{
    [Fact]
    public async Task Index_shards_know_the_CSEBase_listens_before_its_first_subscription_is_answered()
    {
        var fixture = new ClusterFixture();
        await fixture.InitializeAsync();
        try
        {
            var cse = fixture.Grains.GetGrain<ICseBaseGrain>("id-in");
            var aeId = NewId("C");
            Assert.Equal(ResponseStatusCode.Created, (await fixture.Grains.GetGrain<IAeGrain>(aeId).Register(RegisterAe(aeId, aeId)))?.StatusCode);
            Assert.False(await cse.Listens());
            var shards = new[] { "id-in/0", "id-in/255" }.Select(key => fixture.Grains.GetGrain<IChildIndexGrain>(key)).ToList();

            // A shard asks the CSEBase once activated, outside the claim's turn; until the answer is in, a claim counts it as listening.
            foreach (var shard in shards)
            {
                Assert.False((await ClaimUntilSilent(shard)).ParentListens);
            }

            // A name released while the CSEBase does not listen: its holder does not tell the CSEBase (ForgetChild).
            var released = NewChild();
            await shards[0].ClaimNew(released, null);
            Assert.False(await shards[0].Release(released.Name, released.ResourceId));

            var subscribed = await cse.Execute(Request(Operation.Create, aeId, type: ResourceType.Subscription, root: "m2m:sub",
                content: new() { ["rn"] = "children", ["nu"] = new List<object?> { aeId } }));

            Assert.Equal(ResponseStatusCode.Created, subscribed.StatusCode);
            Assert.True(await cse.Listens());
            foreach (var shard in shards)
            {
                var claim = await shard.ClaimNew(NewChild(), null);
                Assert.Equal(NameClaim.Claimed, claim.Outcome);
                Assert.True(claim.ParentListens);
                Assert.True(await shard.Release(NewChild().Name, "Cnobody"));
            }
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    private static ChildReference NewChild()
    {
        var id = NewId("C");
        return new ChildReference(id, id, ResourceType.AE, null);
    }

    /// <summary>Claims new names until the shard's claim says its parent does not listen (its answer came), for at most 30 s.</summary>
    private static async Task<NewNameClaim> ClaimUntilSilent(IChildIndexGrain shard)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var claim = await shard.ClaimNew(NewChild(), null);
            Assert.Equal(NameClaim.Claimed, claim.Outcome);
            if (!claim.ParentListens || DateTime.UtcNow > deadline)
            {
                return claim;
            }

            await Task.Delay(20);
        }
    }
}
