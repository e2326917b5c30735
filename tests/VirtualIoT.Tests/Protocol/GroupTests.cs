using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// The group (ty 9, TS-0001 9.6.13, TS-0004 7.4.13/7.4.14) over HTTP: member validation (missing, duplicate, wrong type
/// by <c>csy</c>, <c>mnm</c>), the virtual <c>fopt</c> fanning a request out to every member (and below it) with an
/// aggregated <c>m2m:agr</c>, member access with the originator's rights and <c>macp</c>, and a group in an ACP's <c>acor</c>.
/// </summary>
[Collection(CseCollection.Name)]
public sealed class GroupTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    private static string GroupBody(string name, IEnumerable<string> members, string extra = "", int mnm = 10) =>
        $$$"""{"m2m:grp":{"rn":"{{{name}}}","mnm":{{{mnm}}},"mid":{{{new JsonArray(members.Select(m => (JsonNode?)m).ToArray()).ToJsonString()}}}{{{extra}}}}}""";

    private async Task<(string Ae, List<string> Paths, List<string> Ids)> AeWithContainers(int count)
    {
        var ae = await Client.RegisterAe();
        var paths = new List<string>();
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var path = await Client.CreateContainer("/cse-in/" + ae, ae);
            paths.Add(path);
            ids.Add((string)(await Client.Retrieve(path, ae)).Resource("m2m:cnt")["ri"]!);
        }

        return (ae, paths, ids);
    }

    private async Task<JsonObject> CreateGroup(string parent, string originator, string body)
    {
        var response = await Client.Create(parent, originator, 9, body);
        Answered(response, 2001);
        return response.Resource("m2m:grp");
    }

    private static JsonArray Responses(OneM2MResponse response) =>
        response.Json?["m2m:agr"]?["m2m:rsp"]?.AsArray() ?? throw new Xunit.Sdk.XunitException($"no m2m:agr/m2m:rsp in {response.Body}");

    [Fact]
    public async Task Create_group_stores_members_by_resource_ID_without_duplicates()
    {
        var (ae, paths, ids) = await AeWithContainers(2);
        var name = OneM2MClient.NewName("grp");

        // The first container twice (structured and unstructured), the second once.
        var group = await CreateGroup("/cse-in/" + ae, ae, GroupBody(name, [paths[0].TrimStart('/'), ids[0], ids[1]]));

        Assert.Equal(9, (int)group["ty"]!);
        Assert.Equal(2, (int)group["cnm"]!);
        Assert.True((bool)group["mtv"]!);
        Assert.Equal(0, (int)group["mt"]!);
        Assert.Equal(1, (int)group["csy"]!);
        Assert.Equal(ids, group["mid"]!.AsArray().Select(m => (string)m!).ToList());
        Assert.StartsWith("grp", (string)group["ri"]!, StringComparison.Ordinal);
        var retrieved = await Client.Retrieve($"/cse-in/{ae}/{name}", ae);
        Answered(retrieved, 2000);
        Assert.Equal(2, (int)retrieved.Resource("m2m:grp")["cnm"]!);
    }

    [Theory]
    [InlineData("""{"m2m:grp":{"mid":[]}}""")]
    [InlineData("""{"m2m:grp":{"mnm":5}}""")]
    [InlineData("""{"m2m:grp":{"mnm":0,"mid":[]}}""")]
    [InlineData("""{"m2m:grp":{"mnm":5,"mid":[],"cnm":0}}""")]
    [InlineData("""{"m2m:grp":{"mnm":5,"mid":[],"csy":4}}""")]
    [InlineData("""{"m2m:grp":{"mnm":5,"mid":[],"mt":77}}""")]
    [InlineData("""{"m2m:grp":{"mnm":"5","mid":[]}}""")]
    [InlineData("""{"m2m:grp":{"mnm":5,"mid":[7]}}""")]
    public async Task Create_group_with_bad_attributes_returns_4000(string body)
    {
        var ae = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + ae, ae, 9, body);

        Answered(response, 4000);
    }

    [Fact]
    public async Task More_members_than_mnm_returns_6010()
    {
        var (ae, _, ids) = await AeWithContainers(3);

        var response = await Client.Create("/cse-in/" + ae, ae, 9, GroupBody(OneM2MClient.NewName("grp"), ids, mnm: 2));

        Answered(response, 6010);
    }

    [Fact]
    public async Task A_member_that_does_not_exist_returns_4004()
    {
        var (ae, _, ids) = await AeWithContainers(1);

        var response = await Client.Create("/cse-in/" + ae, ae, 9, GroupBody(OneM2MClient.NewName("grp"), [ids[0], "cntnotexisting"]));

        Answered(response, 4004);
    }

    [Fact]
    public async Task A_member_the_originator_may_not_retrieve_returns_5105()
    {
        var (_, _, foreign) = await AeWithContainers(1);
        var ae = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + ae, ae, 9, GroupBody(OneM2MClient.NewName("grp"), foreign));

        Answered(response, 5105);
    }

    [Fact]
    public async Task Wrong_type_member_is_dropped_under_ABANDON_MEMBER()
    {
        var (ae, _, ids) = await AeWithContainers(1);

        var group = await CreateGroup("/cse-in/" + ae, ae, GroupBody(OneM2MClient.NewName("grp"), [ids[0], ae], ""","mt":3"""));

        Assert.Equal(1, (int)group["cnm"]!);
        Assert.Equal(ids[0], (string)group["mid"]![0]!);
        Assert.Equal(3, (int)group["mt"]!);
    }

    [Fact]
    public async Task Wrong_type_member_under_ABANDON_GROUP_returns_4110()
    {
        var (ae, _, ids) = await AeWithContainers(1);

        var response = await Client.Create("/cse-in/" + ae, ae, 9, GroupBody(OneM2MClient.NewName("grp"), [ids[0], ae], ""","mt":3,"csy":2"""));

        Answered(response, 4110);
    }

    [Fact]
    public async Task Wrong_type_member_under_SET_MIXED_makes_the_group_mixed()
    {
        var (ae, _, ids) = await AeWithContainers(1);

        var group = await CreateGroup("/cse-in/" + ae, ae, GroupBody(OneM2MClient.NewName("grp"), [ids[0], ae], ""","mt":3,"csy":3"""));

        Assert.Equal(2, (int)group["cnm"]!);
        Assert.Equal(0, (int)group["mt"]!);
    }

    [Fact]
    public async Task Update_of_mid_revalidates_and_mnm_below_cnm_returns_6010()
    {
        var (ae, _, ids) = await AeWithContainers(3);
        var name = OneM2MClient.NewName("grp");
        await CreateGroup("/cse-in/" + ae, ae, GroupBody(name, [ids[0]], mnm: 3));
        var path = $"/cse-in/{ae}/{name}";

        var grown = await Client.Update(path, ae, $$$"""{"m2m:grp":{"mid":["{{{ids[0]}}}","{{{ids[1]}}}","{{{ids[2]}}}","{{{ids[1]}}}"]}}""");
        var shrunk = await Client.Update(path, ae, """{"m2m:grp":{"mnm":2}}""");
        var missing = await Client.Update(path, ae, $$$"""{"m2m:grp":{"mid":["{{{ids[0]}}}","cntnotexisting"]}}""");
        var typeChange = await Client.Update(path, ae, """{"m2m:grp":{"mt":2}}""");

        Answered(grown, 2004);
        Assert.Equal(3, (int)grown.Resource("m2m:grp")["cnm"]!);
        Answered(shrunk, 6010);
        Answered(missing, 4004);
        Answered(typeChange, 4000);
        Assert.Equal(3, (int)(await Client.Retrieve(path, ae)).Resource("m2m:grp")["cnm"]!);
    }

    [Fact]
    public async Task Retrieve_through_fopt_aggregates_every_members_latest_instance()
    {
        var (ae, paths, ids) = await AeWithContainers(3);
        for (var i = 0; i < paths.Count; i++)
        {
            await Client.CreateInstance(paths[i], ae, "v" + i);
        }

        var name = OneM2MClient.NewName("grp");
        var group = await CreateGroup("/cse-in/" + ae, ae, GroupBody(name, ids));

        var structured = await Client.Retrieve($"/cse-in/{ae}/{name}/fopt/la", ae);
        var hybrid = await Client.Retrieve($"/{(string)group["ri"]!}/fopt/la", ae);

        foreach (var response in new[] { structured, hybrid })
        {
            Answered(response, 2000);
            var answers = Responses(response);
            Assert.Equal(3, answers.Count);
            for (var i = 0; i < answers.Count; i++)
            {
                Assert.Equal(2000, (int)answers[i]!["rsc"]!);
                Assert.Equal(response.SentRequestId, (string)answers[i]!["rqi"]!);
                Assert.Equal("v" + i, (string)answers[i]!["pc"]!["m2m:cin"]!["con"]!);
                Assert.Equal(ids[i] + "/la", (string)answers[i]!["to"]!);
            }
        }
    }

    [Fact]
    public async Task Create_update_and_delete_through_fopt_reach_every_member()
    {
        var (ae, paths, ids) = await AeWithContainers(2);
        var name = OneM2MClient.NewName("grp");
        await CreateGroup("/cse-in/" + ae, ae, GroupBody(name, ids));
        var fopt = $"/cse-in/{ae}/{name}/fopt";

        var created = await Client.Create(fopt, ae, 4, """{"m2m:cin":{"con":"on"}}""");
        var updated = await Client.Update(fopt, ae, """{"m2m:cnt":{"lbl":["switched"]}}""");

        Answered(created, 2000);
        Assert.All(Responses(created), answer => Assert.Equal(2001, (int)answer!["rsc"]!));
        Answered(updated, 2000);
        Assert.All(Responses(updated), answer => Assert.Equal(2004, (int)answer!["rsc"]!));
        foreach (var path in paths)
        {
            Assert.Equal("on", (string)(await Client.Retrieve(path + "/la", ae)).Resource("m2m:cin")["con"]!);
            Assert.Equal("switched", (string)(await Client.Retrieve(path, ae)).Resource("m2m:cnt")["lbl"]![0]!);
        }

        var deleted = await Client.Delete(fopt + "/la", ae);

        Answered(deleted, 2000);
        Assert.All(Responses(deleted), answer => Assert.Equal(2002, (int)answer!["rsc"]!));
        foreach (var path in paths)
        {
            Answered(await Client.Retrieve(path + "/la", ae), 4004);
        }
    }

    [Fact]
    public async Task A_deleted_member_leaves_mid_and_cnm_and_the_fan_out()
    {
        var (ae, paths, ids) = await AeWithContainers(3);
        var name = OneM2MClient.NewName("grp");
        var created = await CreateGroup("/cse-in/" + ae, ae, GroupBody(name, ids));
        Answered(await Client.Delete(paths[1], ae), 2002);

        // The group hears of the deletion right after it (one-way, so that a deletion never waits on a group).
        var group = await GroupOnceCounted($"/cse-in/{ae}/{name}", ae, 2);
        var response = await Client.Retrieve($"/cse-in/{ae}/{name}/fopt", ae);

        Assert.Equal(new[] { ids[0], ids[2] }, group["mid"]!.AsArray().Select(m => (string)m!));
        Assert.True(string.CompareOrdinal((string)group["lt"]!, (string)created["lt"]!) >= 0);
        Answered(response, 2000);
        var answers = Responses(response);
        Assert.Equal(2, answers.Count);
        Assert.All(answers, answer => Assert.Equal(2000, (int)answer!["rsc"]!));
    }

    [Fact]
    public async Task Members_deleted_with_their_parent_and_a_deleted_sub_group_leave_mid()
    {
        var (ae, _, ids) = await AeWithContainers(2);
        var (otherAe, _, otherIds) = await AeWithContainers(1);
        var inner = await CreateGroup("/cse-in/" + otherAe, otherAe, GroupBody(OneM2MClient.NewName("grp"), [otherIds[0]]));
        var name = OneM2MClient.NewName("grp");
        await CreateGroup("/cse-in", OneM2MClient.Admin, GroupBody(name, [ids[0], (string)inner["ri"]! + "/fopt", ids[1]]));

        // Deleting the AE deletes its containers with it; deleting the other AE deletes the sub-group.
        Answered(await Client.Delete("/cse-in/" + ae, ae), 2002);
        var withoutContainers = await GroupOnceCounted($"/cse-in/{name}", OneM2MClient.Admin, 1);
        Answered(await Client.Delete("/cse-in/" + otherAe, otherAe), 2002);
        var empty = await GroupOnceCounted($"/cse-in/{name}", OneM2MClient.Admin, 0);

        Assert.Equal(new[] { (string)inner["ri"]! + "/fopt" }, withoutContainers["mid"]!.AsArray().Select(m => (string)m!));
        Assert.Empty(empty["mid"]!.AsArray());
        Answered(await Client.Delete($"/cse-in/{name}", OneM2MClient.Admin), 2002);
    }

    [Fact]
    public async Task Content_instance_members_leave_mid_when_deleted_evicted_or_deleted_with_their_container()
    {
        var (ae, paths, _) = await AeWithContainers(3);
        Answered(await Client.Update(paths[1], ae, """{"m2m:cnt":{"mni":1}}"""), 2004);
        var deleted = (string)(await Client.CreateInstance(paths[0], ae, "deleted"))["ri"]!;
        var evicted = (string)(await Client.CreateInstance(paths[1], ae, "evicted"))["ri"]!;
        var withContainer = (string)(await Client.CreateInstance(paths[2], ae, "with its container"))["ri"]!;
        var kept = (string)(await Client.CreateInstance(paths[0], ae, "kept"))["ri"]!;
        var name = OneM2MClient.NewName("grp");
        var path = $"/cse-in/{ae}/{name}";
        await CreateGroup("/cse-in/" + ae, ae, GroupBody(name, [deleted, evicted, withContainer, kept]));

        Answered(await Client.Delete("/~/id-in/" + deleted, ae), 2002);
        var afterDelete = await GroupOnceCounted(path, ae, 3);
        await Client.CreateInstance(paths[1], ae, "evicts the first");
        var afterEviction = await GroupOnceCounted(path, ae, 2);
        Answered(await Client.Delete(paths[2], ae), 2002);
        var afterContainer = await GroupOnceCounted(path, ae, 1);

        Assert.Equal(new[] { evicted, withContainer, kept }, afterDelete["mid"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(new[] { withContainer, kept }, afterEviction["mid"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(new[] { kept }, afterContainer["mid"]!.AsArray().Select(m => (string)m!));
    }

    /// <summary>The group at <paramref name="path"/> once its <c>cnm</c> is <paramref name="members"/> (polled to a deadline).</summary>
    private async Task<JsonObject> GroupOnceCounted(string path, string originator, int members)
    {
        JsonObject? group = null;
        await M2MTime.WaitUntil(async () =>
        {
            group = (await Client.Retrieve(path, originator)).Resource("m2m:grp");
            return (int)group["cnm"]! == members;
        }, $"{path} counts {members} members (cnm)");
        return group!;
    }

    [Fact]
    public async Task Fan_out_by_another_originator_without_macp_is_refused_4103()
    {
        var (ae, _, ids) = await AeWithContainers(1);
        var name = OneM2MClient.NewName("grp");
        await CreateGroup("/cse-in/" + ae, ae, GroupBody(name, ids));
        var stranger = await Client.RegisterAe();

        var response = await Client.Retrieve($"/cse-in/{ae}/{name}/fopt", stranger);

        Answered(response, 4103);
    }

    [Fact]
    public async Task Macp_lets_another_originator_fan_out_but_each_member_checks_its_own_rights()
    {
        var (ae, paths, ids) = await AeWithContainers(1);
        var stranger = await Client.RegisterAe();
        var acp = await CreatePolicy(ae, stranger, 2);
        var name = OneM2MClient.NewName("grp");
        await CreateGroup("/cse-in/" + ae, ae, GroupBody(name, ids, $$$""","macp":["{{{acp}}}"]"""));

        var fanOut = await Client.Retrieve($"/cse-in/{ae}/{name}/fopt", stranger);
        var direct = await Client.Retrieve($"/cse-in/{ae}/{name}", stranger);

        Answered(fanOut, 2000);
        Assert.Equal(4103, (int)Responses(fanOut)[0]!["rsc"]!);
        Answered(direct, 4103);
        Answered(await Client.Retrieve(paths[0], stranger), 4103);
    }

    [Fact]
    public async Task A_group_in_acor_grants_its_members()
    {
        var owner = await Client.RegisterAe();
        var member = await Client.RegisterAe();
        var outsider = await Client.RegisterAe();
        var groupName = OneM2MClient.NewName("grp");
        var group = await CreateGroup("/cse-in", OneM2MClient.Admin, GroupBody(groupName, [member]));
        var acp = await CreatePolicy(owner, (string)group["ri"]!, 2);
        var container = await Client.CreateContainer("/cse-in/" + owner, owner, extra: $$$""","acpi":["{{{acp}}}"]""");

        var byMember = await Client.Retrieve(container, member);
        var byOutsider = await Client.Retrieve(container, outsider);

        Answered(byMember, 2000);
        Answered(byOutsider, 4103);
    }

    [Fact]
    public async Task A_sub_group_fopt_member_fans_out_again()
    {
        var (ae, paths, ids) = await AeWithContainers(2);
        await Client.CreateInstance(paths[0], ae, "inner");
        await Client.CreateInstance(paths[1], ae, "outer");
        var inner = await CreateGroup("/cse-in/" + ae, ae, GroupBody(OneM2MClient.NewName("grp"), [ids[0]], ""","mt":3"""));
        var outerName = OneM2MClient.NewName("grp");
        var outer = await CreateGroup("/cse-in/" + ae, ae,
            GroupBody(outerName, [(string)inner["ri"]! + "/fopt", ids[1]], ""","mt":3"""));

        var response = await Client.Retrieve($"/cse-in/{ae}/{outerName}/fopt/la", ae);

        Assert.Equal(2, (int)outer["cnm"]!);
        Answered(response, 2000);
        var answers = Responses(response);
        Assert.Equal(2000, (int)answers[0]!["rsc"]!);
        Assert.Equal("inner", (string)answers[0]!["pc"]!["m2m:agr"]!["m2m:rsp"]![0]!["pc"]!["m2m:cin"]!["con"]!);
        Assert.Equal("outer", (string)answers[1]!["pc"]!["m2m:cin"]!["con"]!);
    }

    [Fact]
    public async Task A_group_under_the_CSEBase_is_addressable_and_deletable()
    {
        var name = OneM2MClient.NewName("grp");
        await CreateGroup("/cse-in", OneM2MClient.Admin, GroupBody(name, []));

        var fanOut = await Client.Retrieve($"/cse-in/{name}/fopt", OneM2MClient.Admin);
        var deleted = await Client.Delete($"/cse-in/{name}", OneM2MClient.Admin);

        Answered(fanOut, 2000);
        Assert.Empty(Responses(fanOut));
        Answered(deleted, 2002);
        Answered(await Client.Retrieve($"/cse-in/{name}", OneM2MClient.Admin), 4004);
    }

    /// <summary>An ACP under <paramref name="owner"/> granting <paramref name="originator"/> the operations <paramref name="acop"/>; returns its ri.</summary>
    private async Task<string> CreatePolicy(string owner, string originator, int acop)
    {
        var response = await Client.Create("/cse-in/" + owner, owner, 1,
            $$$$"""{"m2m:acp":{"rn":"{{{{OneM2MClient.NewName("acp")}}}}","pv":{"acr":[{"acor":["{{{{originator}}}}"],"acop":{{{{acop}}}}}]},"pvs":{"acr":[{"acor":["{{{{owner}}}}"],"acop":63}]}}}""");
        Answered(response, 2001);
        return (string)response.Resource("m2m:acp")["ri"]!;
    }
}
