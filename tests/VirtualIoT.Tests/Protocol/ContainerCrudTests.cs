using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>Create, retrieve, update and delete of containers, and the address forms (docs/protocol.md §2.4, §5, §6).</summary>
[Collection(CseCollection.Name)]
public class ContainerCrudTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    private async Task<(string AeId, string Path, JsonObject Container)> NewContainer(string extra = "")
    {
        var aeId = await Client.RegisterAe();
        var name = OneM2MClient.NewName("cnt");
        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, $$$"""{"m2m:cnt":{"rn":"{{{name}}}"{{{extra}}}}}""");
        Answered(response, 2001);
        return (aeId, "/cse-in/" + aeId + "/" + name, response.Resource("m2m:cnt"));
    }

    [Fact]
    public async Task Create_with_every_attribute_returns_them_with_all_assigned_ones()
    {
        var aeId = await Client.RegisterAe();
        var et = M2MTime.FromNow(TimeSpan.FromDays(30));

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3,
            $$$"""{"m2m:cnt":{"rn":"temp","mni":100,"mbs":10000,"mia":3600,"lbl":["room:kitchen","x"],"or":"http://onto","disr":false,"et":"{{{et}}}","cr":null}}""");

        Answered(response, 2001);
        var cnt = response.Resource("m2m:cnt");
        Assert.Equal(3, Number(cnt, "ty"));
        Assert.Equal("temp", Text(cnt, "rn"));
        Assert.Equal(aeId, Text(cnt, "pi"));
        Assert.False(string.IsNullOrEmpty(Text(cnt, "ri")));
        Assert.Equal(Text(cnt, "ct"), Text(cnt, "lt"));
        Assert.Equal(M2MTime.Parse(et), M2MTime.Parse(Text(cnt, "et")));
        Assert.Equal(0, Number(cnt, "st"));
        Assert.Equal(0, Number(cnt, "cni"));
        Assert.Equal(0, Number(cnt, "cbs"));
        Assert.Equal(100, Number(cnt, "mni"));
        Assert.Equal(10000, Number(cnt, "mbs"));
        Assert.Equal(3600, Number(cnt, "mia"));
        Assert.Equal(["room:kitchen", "x"], cnt["lbl"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal("http://onto", Text(cnt, "or"));
        Assert.False(cnt["disr"]!.GetValue<bool>());
        Assert.Equal(aeId, Text(cnt, "cr"));
    }

    [Fact]
    public async Task Create_without_et_gets_a_future_expiration_time()
    {
        var (_, _, cnt) = await NewContainer();

        Assert.True(M2MTime.Parse(Text(cnt, "et")) > DateTime.UtcNow.AddDays(1), Text(cnt, "et"));
    }

    [Fact]
    public async Task Create_without_rn_gets_a_generated_name()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{}}""");

        Answered(response, 2001);
        var rn = Text(response.Resource("m2m:cnt"), "rn");
        Assert.Matches("^[A-Za-z0-9][A-Za-z0-9._-]*$", rn);
        Answered(await Client.Retrieve($"/cse-in/{aeId}/{rn}", aeId), 2000);
    }

    [Fact]
    public async Task Create_sends_a_Content_Location_that_addresses_the_new_resource()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"loc"}}""");

        Answered(response, 2001);
        Assert.NotNull(response.ContentLocation);
        var retrieved = await Client.Retrieve("/" + response.ContentLocation!.TrimStart('/'), aeId);
        Answered(retrieved, 2000);
        Assert.Equal(Text(response.Resource("m2m:cnt"), "ri"), Text(retrieved.Resource("m2m:cnt"), "ri"));
    }

    [Fact]
    public async Task Response_echoes_the_release_version()
    {
        var (aeId, path, _) = await NewContainer();

        var response = await Client.Retrieve(path, aeId);

        Answered(response, 2000);
        Assert.Equal("3", response.Headers["X-M2M-RVI"]);
    }

    [Fact]
    public async Task Nested_container_has_its_parent_container_as_pi()
    {
        var (aeId, path, parent) = await NewContainer();

        var response = await Client.Create(path, aeId, 3, """{"m2m:cnt":{"rn":"inner"}}""");

        Answered(response, 2001);
        Assert.Equal(Text(parent, "ri"), Text(response.Resource("m2m:cnt"), "pi"));
    }

    [Theory]
    [InlineData("/cse-in/{ae}/{cnt}")]
    [InlineData("/-/{ae}/{cnt}")]
    [InlineData("/{ri}")]
    [InlineData("/{ae}/{cnt}")]
    [InlineData("/~/id-in/{ri}")]
    [InlineData("/~/id-in/cse-in/{ae}/{cnt}")]
    [InlineData("/~/id-in/-/{ae}/{cnt}")]
    [InlineData("/_/virtualiot.example.com/id-in/{ri}")]
    [InlineData("/_/virtualiot.example.com/id-in/cse-in/{ae}/{cnt}")]
    public async Task Container_is_retrievable_by_every_address_form(string template)
    {
        var (aeId, path, cnt) = await NewContainer();
        var address = template.Replace("{ae}", aeId, StringComparison.Ordinal)
            .Replace("{cnt}", path[(path.LastIndexOf('/') + 1)..], StringComparison.Ordinal)
            .Replace("{ri}", Text(cnt, "ri"), StringComparison.Ordinal);

        var response = await Client.Retrieve(address, aeId);

        Answered(response, 2000);
        Assert.Equal(Text(cnt, "ri"), Text(response.Resource("m2m:cnt"), "ri"));
    }

    [Theory]
    [InlineData("/cse-in")]
    [InlineData("/-")]
    [InlineData("/id-in")]
    [InlineData("/~/id-in/cse-in")]
    [InlineData("/~/id-in/id-in")]
    [InlineData("/_/virtualiot.example.com/id-in/cse-in")]
    public async Task CSEBase_is_retrievable_by_every_address_form(string address)
    {
        var response = await Client.Retrieve(address, OneM2MClient.Admin);

        Answered(response, 2000);
        var cb = response.Resource("m2m:cb");
        Assert.Equal("id-in", Text(cb, "ri"));
        Assert.Equal("cse-in", Text(cb, "rn"));
        Assert.Equal("/id-in", Text(cb, "csi"));
        Assert.Equal(5, Number(cb, "ty"));
        Assert.Equal(1, Number(cb, "cst"));
        Assert.False(cb.ContainsKey("et"), "CSEBase has no et");
    }

    [Theory]
    [InlineData("/cse-in/{ae}/nothere")]
    [InlineData("/cse-in/nothere{ae}")]
    [InlineData("/cnt-does-not-exist-{ae}")]
    [InlineData("/{ae}/nothere")]
    [InlineData("/~/id-in/cse-in/{ae}/nothere")]
    [InlineData("/~/id-other/cse-in/{ae}")]
    [InlineData("/~/id-other/{ae}")]
    [InlineData("/_/other.example.com/id-in/cse-in/{ae}")]
    [InlineData("/_/virtualiot.example.com/id-other/cse-in/{ae}")]
    [InlineData("/other-base/{ae}")]
    public async Task Retrieve_of_an_unknown_target_answers_4004(string template)
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Retrieve(template.Replace("{ae}", aeId, StringComparison.Ordinal), aeId);

        Answered(response, 4004);
    }

    [Fact]
    public async Task Update_of_an_unknown_target_answers_4004()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Update($"/cse-in/{aeId}/nothere", aeId, """{"m2m:cnt":{"lbl":["a"]}}""");

        Answered(response, 4004);
    }

    [Fact]
    public async Task Delete_of_an_unknown_target_answers_4004()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Delete($"/cse-in/{aeId}/nothere", aeId);

        Answered(response, 4004);
    }

    [Fact]
    public async Task Create_under_an_unknown_parent_answers_4004()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create($"/cse-in/{aeId}/nothere", aeId, 3, """{"m2m:cnt":{}}""");

        Answered(response, 4004);
    }

    [Fact]
    public async Task Create_with_a_sibling_name_answers_4105()
    {
        var (aeId, path, _) = await NewContainer();
        var name = path[(path.LastIndexOf('/') + 1)..];

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, $$$"""{"m2m:cnt":{"rn":"{{{name}}}"}}""");

        Answered(response, 4105);
    }

    [Fact]
    public async Task Same_name_under_different_parents_is_allowed()
    {
        var first = await Client.RegisterAe();
        var second = await Client.RegisterAe();
        await Client.CreateContainer("/cse-in/" + first, first, "same");

        var response = await Client.Create("/cse-in/" + second, second, 3, """{"m2m:cnt":{"rn":"same"}}""");

        Answered(response, 2001);
    }

    [Theory]
    [InlineData(""","mni":-1""")]
    [InlineData(",\"mni\":\"10\"")]
    [InlineData(""","mbs":1.5""")]
    [InlineData(""","mia":true""")]
    [InlineData(",\"lbl\":\"a\"")]
    [InlineData(""","lbl":[1]""")]
    [InlineData(",\"disr\":\"true\"")]
    [InlineData(",\"et\":\"tomorrow\"")]
    [InlineData(""","cni":0""")]
    [InlineData(""","cbs":0""")]
    [InlineData(""","st":0""")]
    [InlineData(",\"ri\":\"cntMine\"")]
    [InlineData(",\"pi\":\"id-in\"")]
    [InlineData(",\"ct\":\"20250101T000000\"")]
    [InlineData(""","ty":3""")]
    [InlineData(",\"cr\":\"Cother\"")]
    [InlineData(""","acpi":[]""")]
    [InlineData(""","unknownAttr":1""")]
    [InlineData(",\"con\":\"x\"")]
    [InlineData(",\"rn\":\"bad name\"")]
    public async Task Create_with_an_invalid_attribute_answers_4000_and_creates_nothing(string extra)
    {
        var aeId = await Client.RegisterAe();
        var name = OneM2MClient.NewName("cnt");

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, $$$"""{"m2m:cnt":{"rn":"{{{name}}}"{{{extra}}}}}""");

        Answered(response, 4000);
        Answered(await Client.Retrieve($"/cse-in/{aeId}/{name}", aeId), 4004);
    }

    [Fact]
    public async Task Create_with_an_expiration_time_in_the_past_answers_4000()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3,
            $$$"""{"m2m:cnt":{"et":"{{{M2MTime.FromNow(TimeSpan.FromHours(-1))}}}"}}""");

        Answered(response, 4000);
    }

    [Fact]
    public async Task Create_with_an_expiration_time_after_the_parents_is_clamped_to_the_parents()
    {
        var parentEt = M2MTime.FromNow(TimeSpan.FromHours(1));
        var (aeId, path, parent) = await NewContainer($$$""","et":"{{{parentEt}}}" """);

        var response = await Client.Create(path, aeId, 3, $$$"""{"m2m:cnt":{"et":"{{{M2MTime.FromNow(TimeSpan.FromDays(2))}}}"}}""");

        Answered(response, 2001);
        Assert.Equal(M2MTime.Parse(Text(parent, "et")), M2MTime.Parse(Text(response.Resource("m2m:cnt"), "et")));
    }

    [Fact]
    public async Task Update_refreshes_lt_and_increments_st()
    {
        var (aeId, path, before) = await NewContainer();

        var response = await Client.Update(path, aeId, """{"m2m:cnt":{"lbl":["changed"]}}""");

        Answered(response, 2004);
        var after = response.Resource("m2m:cnt");
        Assert.True(M2MTime.Parse(Text(after, "lt")) > M2MTime.Parse(Text(before, "lt")), $"{Text(after, "lt")} not after {Text(before, "lt")}");
        Assert.Equal(Text(before, "ct"), Text(after, "ct"));
        Assert.Equal(Number(before, "st") + 1, Number(after, "st"));
        Assert.Equal("changed", after["lbl"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_is_visible_to_a_later_retrieve()
    {
        var (aeId, path, _) = await NewContainer();
        Answered(await Client.Update(path, aeId, """{"m2m:cnt":{"mni":7}}"""), 2004);

        var response = await Client.Retrieve(path, aeId);

        Answered(response, 2000);
        Assert.Equal(7, Number(response.Resource("m2m:cnt"), "mni"));
        Assert.Equal(1, Number(response.Resource("m2m:cnt"), "st"));
    }

    [Fact]
    public async Task Update_with_null_deletes_an_optional_attribute()
    {
        var (aeId, path, _) = await NewContainer(""","mni":10,"lbl":["a"]""");

        var response = await Client.Update(path, aeId, """{"m2m:cnt":{"mni":null}}""");

        Answered(response, 2004);
        var retrieved = (await Client.Retrieve(path, aeId)).Resource("m2m:cnt");
        Assert.False(retrieved.ContainsKey("mni"), retrieved.ToJsonString());
        Assert.True(retrieved.ContainsKey("lbl"));
    }

    [Theory]
    [InlineData("""{"m2m:cnt":{"rn":"renamed"}}""")]
    [InlineData("""{"m2m:cnt":{"ri":"cntOther"}}""")]
    [InlineData("""{"m2m:cnt":{"pi":"id-in"}}""")]
    [InlineData("""{"m2m:cnt":{"ct":"20250101T000000"}}""")]
    [InlineData("""{"m2m:cnt":{"lt":"20250101T000000"}}""")]
    [InlineData("""{"m2m:cnt":{"st":5}}""")]
    [InlineData("""{"m2m:cnt":{"cni":5}}""")]
    [InlineData("""{"m2m:cnt":{"cbs":5}}""")]
    [InlineData("""{"m2m:cnt":{"ty":3}}""")]
    [InlineData("""{"m2m:cnt":{"cr":null}}""")]
    [InlineData("""{"m2m:cnt":{"unknownAttr":1}}""")]
    [InlineData("""{"m2m:cnt":{"mni":"10"}}""")]
    [InlineData("""{"m2m:cnt":{"mni":-1}}""")]
    [InlineData("""{"m2m:cnt":{"lbl":"a"}}""")]
    [InlineData("""{"m2m:cnt":{"disr":1}}""")]
    [InlineData("""{"m2m:cnt":{"acpi":[]}}""")]
    [InlineData("""{"m2m:cin":{"lbl":["a"]}}""")]
    [InlineData("""{"m2m:ae":{"lbl":["a"]}}""")]
    public async Task Update_with_an_invalid_attribute_answers_4000(string body)
    {
        var (aeId, path, _) = await NewContainer();

        var response = await Client.Update(path, aeId, body);

        Answered(response, 4000);
    }

    [Fact]
    public async Task Rejected_update_changes_nothing()
    {
        var (aeId, path, before) = await NewContainer(""","mni":10""");

        var response = await Client.Update(path, aeId, """{"m2m:cnt":{"mni":20,"cni":3}}""");

        Answered(response, 4000);
        var after = (await Client.Retrieve(path, aeId)).Resource("m2m:cnt");
        Assert.Equal(10, Number(after, "mni"));
        Assert.Equal(Text(before, "lt"), Text(after, "lt"));
        Assert.Equal(Number(before, "st"), Number(after, "st"));
    }

    [Fact]
    public async Task Update_with_an_expiration_time_in_the_past_answers_4000()
    {
        var (aeId, path, _) = await NewContainer();

        var response = await Client.Update(path, aeId, $$$"""{"m2m:cnt":{"et":"{{{M2MTime.FromNow(TimeSpan.FromHours(-1))}}}"}}""");

        Answered(response, 4000);
    }

    [Theory]
    [InlineData("""{"m2m:ae":{"api":"Nother"}}""")]
    [InlineData("""{"m2m:ae":{"aei":"Cother"}}""")]
    [InlineData("""{"m2m:ae":{"rr":null}}""")]
    [InlineData("""{"m2m:ae":{"rr":"false"}}""")]
    public async Task Update_of_an_AE_with_an_invalid_attribute_answers_4000(string body)
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Update("/cse-in/" + aeId, aeId, body);

        Answered(response, 4000);
    }

    [Fact]
    public async Task Update_of_an_AE_changes_its_point_of_access()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Update("/cse-in/" + aeId, aeId, """{"m2m:ae":{"poa":["http://127.0.0.1:9/n"],"rr":false}}""");

        Answered(response, 2004);
        var ae = response.Resource("m2m:ae");
        Assert.Equal("http://127.0.0.1:9/n", ae["poa"]![0]!.GetValue<string>());
        Assert.False(ae["rr"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Update_of_the_CSEBase_answers_4005()
    {
        var response = await Client.Update("/cse-in", OneM2MClient.Admin, """{"m2m:cb":{"lbl":["x"]}}""");

        Answered(response, 4005);
    }

    [Fact]
    public async Task Delete_of_the_CSEBase_answers_4005()
    {
        var response = await Client.Delete("/cse-in", OneM2MClient.Admin);

        Answered(response, 4005);
        Answered(await Client.Retrieve("/cse-in", OneM2MClient.Admin), 2000);
    }

    [Fact]
    public async Task Create_of_a_CSEBase_answers_4005()
    {
        var response = await Client.Create("/cse-in", OneM2MClient.Admin, 5, """{"m2m:cb":{"rn":"another"}}""");

        Answered(response, 4005);
    }

    [Fact]
    public async Task Delete_answers_2002_without_a_body_and_the_container_is_gone()
    {
        var (aeId, path, cnt) = await NewContainer();

        var response = await Client.Delete(path, aeId);

        Answered(response, 2002);
        Assert.Equal("", response.Body);
        Answered(await Client.Retrieve(path, aeId), 4004);
        Answered(await Client.Retrieve("/" + Text(cnt, "ri"), aeId), 4004);
    }

    [Fact]
    public async Task Delete_by_resource_ID_frees_the_name()
    {
        var (aeId, path, cnt) = await NewContainer();
        var name = path[(path.LastIndexOf('/') + 1)..];
        Answered(await Client.Delete("/" + Text(cnt, "ri"), aeId), 2002);

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, $$$"""{"m2m:cnt":{"rn":"{{{name}}}"}}""");

        Answered(response, 2001);
        Assert.NotEqual(Text(cnt, "ri"), Text(response.Resource("m2m:cnt"), "ri"));
        Assert.Equal(Text(response.Resource("m2m:cnt"), "ri"), Text((await Client.Retrieve(path, aeId)).Resource("m2m:cnt"), "ri"));
    }

    [Fact]
    public async Task Delete_of_a_container_deletes_its_nested_containers_and_instances()
    {
        var (aeId, path, _) = await NewContainer();
        var nested = await Client.CreateContainer(path, aeId);
        var nestedId = Text((await Client.Retrieve(nested, aeId)).Resource("m2m:cnt"), "ri");
        var instanceId = Text(await Client.CreateInstance(nested, aeId), "ri");

        Answered(await Client.Delete(path, aeId), 2002);

        Answered(await Client.Retrieve(nested, aeId), 4004);
        Answered(await Client.Retrieve("/" + nestedId, aeId), 4004);
        Answered(await Client.Retrieve("/" + instanceId, aeId), 4004);
    }
}
