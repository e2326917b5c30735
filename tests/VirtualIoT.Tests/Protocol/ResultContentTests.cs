using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>Result content (<c>rcn</c>, docs/protocol.md §3.2), <c>drt</c> and partial retrieve (<c>atrl</c>, §5).</summary>
[Collection(CseCollection.Name)]
public sealed class ResultContentTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    private async Task<(string AeId, string Path, string Ri)> NewContainer(string extra = "")
    {
        var aeId = await Client.RegisterAe();
        var name = OneM2MClient.NewName("cnt");
        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, $$$"""{"m2m:cnt":{"rn":"{{{name}}}"{{{extra}}}}}""");
        Answered(response, 2001);
        return (aeId, $"/cse-in/{aeId}/{name}", Text(response.Resource("m2m:cnt"), "ri"));
    }

    // A container with two instances and a nested container: the children every rcn 4/5/6/8 answer must list.
    private async Task<(string AeId, string Path, List<JsonObject> Instances, string NestedName)> ContainerWithChildren()
    {
        var (aeId, path, _) = await NewContainer();
        var first = await Client.CreateInstance(path, aeId, "one");
        var second = await Client.CreateInstance(path, aeId, "two");
        var nestedName = OneM2MClient.NewName("sub");
        await Client.CreateContainer(path, aeId, nestedName);
        return (aeId, path, [first, second], nestedName);
    }

    [Fact]
    public async Task Create_with_rcn_0_answers_2001_without_a_body()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"r0"}}""", "?rcn=0");

        Answered(response, 2001);
        Assert.Equal("", response.Body);
        Answered(await Client.Retrieve($"/cse-in/{aeId}/r0", aeId), 2000);
    }

    [Fact]
    public async Task Create_with_rcn_1_returns_the_attributes()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"r1"}}""", "?rcn=1");

        Answered(response, 2001);
        Assert.Equal("r1", Text(response.Resource("m2m:cnt"), "rn"));
    }

    [Fact]
    public async Task Create_with_rcn_2_returns_the_structured_address_as_m2m_uri()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"r2"}}""", "?rcn=2");

        Answered(response, 2001);
        Assert.Equal($"cse-in/{aeId}/r2", response.Json?["m2m:uri"]?.GetValue<string>());
        Assert.Null(response.Json?["m2m:cnt"]);
    }

    [Fact]
    public async Task Create_with_rcn_2_sends_the_same_address_in_Content_Location()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"loc2"}}""", "?rcn=2");

        Answered(response, 2001);
        Assert.Equal(response.Json?["m2m:uri"]?.GetValue<string>(), response.ContentLocation);
    }

    [Fact]
    public async Task Create_with_rcn_3_returns_m2m_rce_with_address_and_attributes()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"r3"}}""", "?rcn=3");

        Answered(response, 2001);
        var rce = response.Resource("m2m:rce");
        Assert.Equal($"cse-in/{aeId}/r3", rce["uri"]?.GetValue<string>());
        Assert.Equal("r3", Text(rce["m2m:cnt"]!.AsObject(), "rn"));
    }

    [Fact]
    public async Task Create_with_rcn_9_returns_the_attributes_the_CSE_assigned_but_not_those_given()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"r9","lbl":["given"]}}""", "?rcn=9");

        Answered(response, 2001);
        var cnt = response.Resource("m2m:cnt");
        Assert.True(cnt.ContainsKey("ri"), cnt.ToJsonString());
        Assert.True(cnt.ContainsKey("ct"), cnt.ToJsonString());
        Assert.False(cnt.ContainsKey("lbl"), cnt.ToJsonString());
    }

    [Fact]
    public async Task Update_with_rcn_0_answers_2004_without_a_body()
    {
        var (aeId, path, _) = await NewContainer();

        var response = await Client.Update(path + "?rcn=0", aeId, """{"m2m:cnt":{"lbl":["x"]}}""");

        Answered(response, 2004);
        Assert.Equal("", response.Body);
    }

    [Fact]
    public async Task Update_with_rcn_9_returns_the_modified_attributes()
    {
        var (aeId, path, _) = await NewContainer(""","mbs":5""");

        var response = await Client.Update(path + "?rcn=9", aeId, """{"m2m:cnt":{"mni":3}}""");

        Answered(response, 2004);
        var cnt = response.Resource("m2m:cnt");
        Assert.True(cnt.ContainsKey("lt"), cnt.ToJsonString());
        Assert.False(cnt.ContainsKey("mbs"), cnt.ToJsonString());
    }

    [Fact]
    public async Task Delete_with_rcn_1_returns_the_deleted_resource()
    {
        var (aeId, path, ri) = await NewContainer();

        var response = await Client.Delete(path + "?rcn=1", aeId);

        Answered(response, 2002);
        Assert.Equal(ri, Text(response.Resource("m2m:cnt"), "ri"));
        Answered(await Client.Retrieve(path, aeId), 4004);
    }

    [Fact]
    public async Task Retrieve_with_rcn_4_nests_the_child_resources()
    {
        var (aeId, path, instances, nestedName) = await ContainerWithChildren();

        var response = await Client.Retrieve(path + "?rcn=4", aeId);

        Answered(response, 2000);
        var cnt = response.Resource("m2m:cnt");
        Assert.Equal(2, Number(cnt, "cni"));
        var cins = cnt["m2m:cin"]!.AsArray().Select(c => Text(c!.AsObject(), "ri")).ToHashSet();
        Assert.Equal(instances.Select(c => Text(c, "ri")).ToHashSet(), cins);
        Assert.Equal(nestedName, Text(cnt["m2m:cnt"]!.AsArray().Single()!.AsObject(), "rn"));
    }

    [Fact]
    public async Task Retrieve_with_rcn_5_adds_child_references()
    {
        var (aeId, path, instances, nestedName) = await ContainerWithChildren();

        var response = await Client.Retrieve(path + "?rcn=5", aeId);

        Answered(response, 2000);
        var cnt = response.Resource("m2m:cnt");
        Assert.True(cnt.ContainsKey("ri"));
        var references = cnt["ch"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(3, references.Count);
        var nested = references.Single(r => Text(r, "nm") == nestedName);
        Assert.Equal(3, Number(nested, "typ"));
        Assert.Equal(path.TrimStart('/') + "/" + nestedName, Text(nested, "val"));
        Assert.Equal(2, references.Count(r => Number(r, "typ") == 4));
        Assert.Contains(references, r => Text(r, "nm") == Text(instances[0], "rn"));
    }

    [Fact]
    public async Task Retrieve_with_rcn_6_returns_only_child_references_as_m2m_rrl()
    {
        var (aeId, path, instances, nestedName) = await ContainerWithChildren();

        var response = await Client.Retrieve(path + "?rcn=6", aeId);

        Answered(response, 2000);
        Assert.Null(response.Json?["m2m:cnt"]);
        var references = response.Resource("m2m:rrl")["rrf"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(3, references.Count);
        Assert.Contains(references, r => Text(r, "nm") == nestedName && Number(r, "typ") == 3);
        Assert.Contains(references, r => Text(r, "val") == $"{path.TrimStart('/')}/{Text(instances[1], "rn")}");
    }

    [Fact]
    public async Task Retrieve_with_rcn_8_returns_only_the_child_resources()
    {
        var (aeId, path, instances, _) = await ContainerWithChildren();

        var response = await Client.Retrieve(path + "?rcn=8", aeId);

        Answered(response, 2000);
        var cnt = response.Resource("m2m:cnt");
        Assert.False(cnt.ContainsKey("ri"), cnt.ToJsonString());
        Assert.False(cnt.ContainsKey("cni"), cnt.ToJsonString());
        Assert.Equal(instances.Count, cnt["m2m:cin"]!.AsArray().Count);
        Assert.Single(cnt["m2m:cnt"]!.AsArray());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(8)]
    public async Task Child_listings_never_include_virtual_resources(int rcn)
    {
        var (aeId, path, _, _) = await ContainerWithChildren();

        var response = await Client.Retrieve($"{path}?rcn={rcn}", aeId);

        Answered(response, 2000);
        Assert.DoesNotContain("\"la\"", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"ol\"", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("/la\"", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("/ol\"", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retrieve_with_rcn_6_and_drt_2_references_children_by_resource_ID()
    {
        var (aeId, path, instances, _) = await ContainerWithChildren();

        var response = await Client.Retrieve(path + "?rcn=6&drt=2", aeId);

        Answered(response, 2000);
        var values = response.Resource("m2m:rrl")["rrf"]!.AsArray().Select(c => Text(c!.AsObject(), "val")).ToList();
        Assert.Contains(Text(instances[0], "ri"), values);
        Assert.Contains(Text(instances[1], "ri"), values);
    }

    [Fact]
    public async Task Retrieve_of_an_AE_with_rcn_6_lists_its_containers()
    {
        var aeId = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);

        var response = await Client.Retrieve($"/cse-in/{aeId}?rcn=6", aeId);

        Answered(response, 2000);
        var reference = response.Resource("m2m:rrl")["rrf"]!.AsArray().Single()!.AsObject();
        Assert.Equal(container.TrimStart('/'), Text(reference, "val"));
        Assert.Equal(3, Number(reference, "typ"));
    }

    [Theory]
    [InlineData("GET", 0)]
    [InlineData("GET", 2)]
    [InlineData("GET", 3)]
    [InlineData("GET", 9)]
    [InlineData("POST", 4)]
    [InlineData("POST", 5)]
    [InlineData("POST", 6)]
    [InlineData("POST", 8)]
    [InlineData("PUT", 2)]
    [InlineData("PUT", 4)]
    [InlineData("PUT", 6)]
    [InlineData("DELETE", 2)]
    [InlineData("DELETE", 9)]
    [InlineData("GET", 99)]
    [InlineData("GET", -1)]
    public async Task Result_content_not_valid_for_the_operation_answers_4000(string method, int rcn)
    {
        var (aeId, path, _) = await NewContainer();
        var query = $"?rcn={rcn}";

        var response = method switch
        {
            "GET" => await Client.Retrieve(path + query, aeId),
            "POST" => await Client.Create(path, aeId, 4, """{"m2m:cin":{"con":"x"}}""", query),
            "PUT" => await Client.Update(path + query, aeId, """{"m2m:cnt":{"lbl":["x"]}}"""),
            _ => await Client.Delete(path + query, aeId),
        };

        Answered(response, 4000);
        Answered(await Client.Retrieve(path, aeId), 2000);
    }

    [Fact]
    public async Task Partial_retrieve_returns_only_the_listed_attributes()
    {
        var (aeId, path, _) = await NewContainer(""","lbl":["a"],"mni":5""");

        var response = await Client.Retrieve(path + "?atrl=lbl+mni", aeId);

        Answered(response, 2000);
        var cnt = response.Resource("m2m:cnt");
        Assert.Equal(["lbl", "mni"], cnt.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Partial_retrieve_with_repeated_atrl_fields_merges_them()
    {
        var (aeId, path, _) = await NewContainer(""","lbl":["a"],"mni":5""");

        var response = await Client.Retrieve(path + "?atrl=ri&atrl=mni", aeId);

        Answered(response, 2000);
        Assert.Equal(["mni", "ri"], response.Resource("m2m:cnt").Select(p => p.Key).Order(StringComparer.Ordinal));
    }
}
