using System.Text;
using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// contentInstance semantics (docs/protocol.md §2.5, §10, §12): sizes, state tags, counters, eviction, <c>la</c>/<c>ol</c>,
/// <c>disr</c>, expiration.
/// </summary>
[Collection(CseCollection.Name)]
public class ContentInstanceTests(CseFixture fixture)
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

    private async Task<JsonObject> Container(string path, string aeId)
    {
        var response = await Client.Retrieve(path, aeId);
        Answered(response, 2000);
        return response.Resource("m2m:cnt");
    }

    [Fact]
    public async Task Create_returns_all_assigned_attributes()
    {
        var (aeId, path, cnt) = await NewContainer();

        var response = await Client.Create(path, aeId, 4, """{"m2m:cin":{"cnf":"text/plain:0","con":"21.5","lbl":["a"]}}""");

        Answered(response, 2001);
        var cin = response.Resource("m2m:cin");
        Assert.Equal(4, Number(cin, "ty"));
        Assert.Equal(Text(cnt, "ri"), Text(cin, "pi"));
        foreach (var attribute in new[] { "ri", "rn", "ct", "lt", "et" })
        {
            Assert.False(string.IsNullOrEmpty(Text(cin, attribute)));
        }

        Assert.Equal(4, Number(cin, "cs"));
        Assert.Equal(1, Number(cin, "st"));
        Assert.Equal("21.5", Text(cin, "con"));
        Assert.Equal("text/plain:0", Text(cin, "cnf"));
        Assert.NotNull(response.ContentLocation);
    }

    [Theory]
    [InlineData("abc", 3)]
    [InlineData("héllo", 6)]
    [InlineData("€", 3)]
    [InlineData("😀", 4)]
    [InlineData("", 0)]
    public async Task Content_size_is_the_UTF8_byte_count_of_con(string con, long expected)
    {
        var (aeId, path, _) = await NewContainer();

        var cin = await Client.CreateInstance(path, aeId, con);

        Assert.Equal(expected, Number(cin, "cs"));
        Assert.Equal(Encoding.UTF8.GetByteCount(con), expected);
    }

    [Fact]
    public async Task Instance_state_tag_is_the_containers_incremented_state_tag()
    {
        var (aeId, path, _) = await NewContainer();

        var first = await Client.CreateInstance(path, aeId);
        var second = await Client.CreateInstance(path, aeId);

        Assert.Equal(1, Number(first, "st"));
        Assert.Equal(2, Number(second, "st"));
        Assert.Equal(2, Number(await Container(path, aeId), "st"));
    }

    [Fact]
    public async Task Instance_state_tag_follows_a_container_update()
    {
        var (aeId, path, _) = await NewContainer();
        Answered(await Client.Update(path, aeId, """{"m2m:cnt":{"lbl":["x"]}}"""), 2004);

        var cin = await Client.CreateInstance(path, aeId);

        Assert.Equal(2, Number(cin, "st"));
    }

    [Fact]
    public async Task Container_counts_instances_and_bytes()
    {
        var (aeId, path, _) = await NewContainer();

        await Client.CreateInstance(path, aeId, "1234");
        await Client.CreateInstance(path, aeId, "123456");

        var cnt = await Container(path, aeId);
        Assert.Equal(2, Number(cnt, "cni"));
        Assert.Equal(10, Number(cnt, "cbs"));
    }

    [Fact]
    public async Task Deleting_an_instance_updates_the_counts()
    {
        var (aeId, path, _) = await NewContainer();
        var first = await Client.CreateInstance(path, aeId, "1234");
        await Client.CreateInstance(path, aeId, "123456");

        Answered(await Client.Delete($"{path}/{Text(first, "rn")}", aeId), 2002);

        var cnt = await Container(path, aeId);
        Assert.Equal(1, Number(cnt, "cni"));
        Assert.Equal(6, Number(cnt, "cbs"));
    }

    [Fact]
    public async Task Instance_is_retrievable_by_name_and_by_resource_ID()
    {
        var (aeId, path, _) = await NewContainer();
        var cin = await Client.CreateInstance(path, aeId, "v");

        var byName = await Client.Retrieve($"{path}/{Text(cin, "rn")}", aeId);
        var byId = await Client.Retrieve("/" + Text(cin, "ri"), aeId);
        var spRelative = await Client.Retrieve("/~/id-in/" + Text(cin, "ri"), aeId);

        foreach (var response in new[] { byName, byId, spRelative })
        {
            Answered(response, 2000);
            Assert.Equal(Text(cin, "ri"), Text(response.Resource("m2m:cin"), "ri"));
            Assert.Equal("v", Text(response.Resource("m2m:cin"), "con"));
        }
    }

    [Fact]
    public async Task Mni_evicts_the_oldest_instances()
    {
        var (aeId, path, _) = await NewContainer(""","mni":2""");
        var oldest = await Client.CreateInstance(path, aeId, "a");
        var second = await Client.CreateInstance(path, aeId, "b");

        await Client.CreateInstance(path, aeId, "c");

        var cnt = await Container(path, aeId);
        Assert.Equal(2, Number(cnt, "cni"));
        Assert.Equal(2, Number(cnt, "cbs"));
        Answered(await Client.Retrieve("/" + Text(oldest, "ri"), aeId), 4004);
        Assert.Equal(Text(second, "ri"), Text((await Client.Retrieve(path + "/ol", aeId)).Resource("m2m:cin"), "ri"));
    }

    [Fact]
    public async Task Mbs_evicts_the_oldest_instances_until_the_bytes_fit()
    {
        var (aeId, path, _) = await NewContainer(""","mbs":10""");
        var oldest = await Client.CreateInstance(path, aeId, "aaaa");
        await Client.CreateInstance(path, aeId, "bbbb");

        await Client.CreateInstance(path, aeId, "cccc");

        var cnt = await Container(path, aeId);
        Assert.Equal(2, Number(cnt, "cni"));
        Assert.Equal(8, Number(cnt, "cbs"));
        Answered(await Client.Retrieve("/" + Text(oldest, "ri"), aeId), 4004);
        Assert.Equal("bbbb", Text((await Client.Retrieve(path + "/ol", aeId)).Resource("m2m:cin"), "con"));
    }

    [Fact]
    public async Task Lowering_mni_evicts_the_oldest_instances()
    {
        var (aeId, path, _) = await NewContainer();
        for (var i = 0; i < 4; i++)
        {
            await Client.CreateInstance(path, aeId, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Answered(await Client.Update(path, aeId, """{"m2m:cnt":{"mni":1}}"""), 2004);

        var cnt = await Container(path, aeId);
        Assert.Equal(1, Number(cnt, "cni"));
        Assert.Equal("3", Text((await Client.Retrieve(path + "/ol", aeId)).Resource("m2m:cin"), "con"));
    }

    [Fact]
    public async Task Instance_larger_than_mbs_answers_5207_and_is_not_stored()
    {
        var (aeId, path, _) = await NewContainer(""","mbs":3""");

        var response = await Client.Create(path, aeId, 4, """{"m2m:cin":{"con":"toolong"}}""");

        Answered(response, 5207);
        var cnt = await Container(path, aeId);
        Assert.Equal(0, Number(cnt, "cni"));
        Assert.Equal(0, Number(cnt, "st"));
        Answered(await Client.Retrieve(path + "/la", aeId), 4004);
    }

    [Fact]
    public async Task Mia_caps_the_instance_expiration_time()
    {
        var (aeId, path, _) = await NewContainer(""","mia":60""");

        var cin = await Client.CreateInstance(path, aeId, extra: $$$""","et":"{{{M2MTime.FromNow(TimeSpan.FromDays(1))}}}" """);

        var ct = M2MTime.Parse(Text(cin, "ct"));
        var et = M2MTime.Parse(Text(cin, "et"));
        // Counted from the instance's own creation time, not from whenever the container got to it.
        Assert.Equal(ct.AddSeconds(60), et);
    }

    [Fact]
    public async Task Instance_expiration_time_later_than_the_containers_is_clamped()
    {
        var (aeId, path, cnt) = await NewContainer($$$""","et":"{{{M2MTime.FromNow(TimeSpan.FromHours(1))}}}" """);

        var cin = await Client.CreateInstance(path, aeId, extra: $$$""","et":"{{{M2MTime.FromNow(TimeSpan.FromDays(1))}}}" """);

        Assert.Equal(M2MTime.Parse(Text(cnt, "et")), M2MTime.Parse(Text(cin, "et")));
    }

    [Fact]
    public async Task Instance_expiration_time_in_the_past_answers_4000()
    {
        var (aeId, path, _) = await NewContainer();

        var response = await Client.Create(path, aeId, 4,
            $$$"""{"m2m:cin":{"con":"x","et":"{{{M2MTime.FromNow(TimeSpan.FromMinutes(-5))}}}"}}""");

        Answered(response, 4000);
        Assert.Equal(0, Number(await Container(path, aeId), "cni"));
    }

    [Theory]
    [InlineData("""{"m2m:cin":{"cnf":"text/plain:0"}}""")]
    [InlineData("""{"m2m:cin":{"con":"x","cs":1}}""")]
    [InlineData("""{"m2m:cin":{"con":"x","st":1}}""")]
    [InlineData("""{"m2m:cin":{"con":"x","ri":"cinMine"}}""")]
    [InlineData("""{"m2m:cin":{"con":"x","acpi":["acp1"]}}""")]
    [InlineData("""{"m2m:cin":{"con":"x","mni":1}}""")]
    [InlineData("""{"m2m:cin":{"con":"x","unknownAttr":1}}""")]
    [InlineData("""{"m2m:cin":{"con":"x","cnf":"text/plain:7"}}""")]
    [InlineData("""{"m2m:cin":{"con":"x","lbl":"a"}}""")]
    public async Task Create_with_a_missing_or_invalid_attribute_answers_4000(string body)
    {
        var (aeId, path, _) = await NewContainer();

        var response = await Client.Create(path, aeId, 4, body);

        Answered(response, 4000);
        Assert.Equal(0, Number(await Container(path, aeId), "cni"));
    }

    [Fact]
    public async Task Instance_under_the_CSEBase_answers_4108()
    {
        var response = await Client.Create("/cse-in", OneM2MClient.Admin, 4, """{"m2m:cin":{"con":"x"}}""");

        Answered(response, 4108);
    }

    [Fact]
    public async Task Instance_under_an_AE_answers_4108()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + aeId, aeId, 4, """{"m2m:cin":{"con":"x"}}""");

        Answered(response, 4108);
    }

    [Fact]
    public async Task Child_of_an_instance_answers_4108()
    {
        var (aeId, path, _) = await NewContainer();
        var cin = await Client.CreateInstance(path, aeId);

        var response = await Client.Create($"{path}/{Text(cin, "rn")}", aeId, 3, """{"m2m:cnt":{}}""");

        Answered(response, 4108);
    }

    [Fact]
    public async Task Update_of_an_instance_answers_4005()
    {
        var (aeId, path, _) = await NewContainer();
        var cin = await Client.CreateInstance(path, aeId, "orig");

        var response = await Client.Update($"{path}/{Text(cin, "rn")}", aeId, """{"m2m:cin":{"lbl":["x"]}}""");

        Answered(response, 4005);
        Assert.Equal("orig", Text((await Client.Retrieve("/" + Text(cin, "ri"), aeId)).Resource("m2m:cin"), "con"));
    }

    [Theory]
    [InlineData("la")]
    [InlineData("ol")]
    public async Task Update_of_a_virtual_resource_answers_4005(string virtualName)
    {
        var (aeId, path, _) = await NewContainer();
        await Client.CreateInstance(path, aeId);

        var response = await Client.Update($"{path}/{virtualName}", aeId, """{"m2m:cin":{"lbl":["x"]}}""");

        Answered(response, 4005);
    }

    [Theory]
    [InlineData("la")]
    [InlineData("ol")]
    public async Task Child_named_like_a_virtual_resource_is_refused(string virtualName)
    {
        var (aeId, path, _) = await NewContainer();

        var response = await Client.Create(path, aeId, 3, $$$"""{"m2m:cnt":{"rn":"{{{virtualName}}}"}}""");

        // docs/protocol.md §10: the old ATS expects 4005, tinyIoT answers 4105; either keeps la/ol addressable.
        AnsweredOneOf(response, 4005, 4105);
    }

    [Fact]
    public async Task Latest_returns_the_newest_instance()
    {
        var (aeId, path, _) = await NewContainer();
        await Client.CreateInstance(path, aeId, "first");
        var newest = await Client.CreateInstance(path, aeId, "second");

        var response = await Client.Retrieve(path + "/la", aeId);

        Answered(response, 2000);
        Assert.Equal(Text(newest, "ri"), Text(response.Resource("m2m:cin"), "ri"));
        Assert.Equal("second", Text(response.Resource("m2m:cin"), "con"));
    }

    [Fact]
    public async Task Oldest_returns_the_first_instance()
    {
        var (aeId, path, _) = await NewContainer();
        var oldest = await Client.CreateInstance(path, aeId, "first");
        await Client.CreateInstance(path, aeId, "second");

        var response = await Client.Retrieve(path + "/ol", aeId);

        Answered(response, 2000);
        Assert.Equal(Text(oldest, "ri"), Text(response.Resource("m2m:cin"), "ri"));
    }

    [Theory]
    [InlineData("/{ri}/la")]
    [InlineData("/~/id-in/{ri}/la")]
    [InlineData("/_/virtualiot.example.com/id-in/{ri}/la")]
    [InlineData("/-/{ae}/{cnt}/la")]
    [InlineData("/{ae}/{cnt}/la")]
    public async Task Latest_is_addressable_in_hybrid_and_alias_forms(string template)
    {
        var (aeId, path, cnt) = await NewContainer();
        var newest = await Client.CreateInstance(path, aeId, "v");
        var address = template.Replace("{ri}", Text(cnt, "ri"), StringComparison.Ordinal)
            .Replace("{ae}", aeId, StringComparison.Ordinal)
            .Replace("{cnt}", path[(path.LastIndexOf('/') + 1)..], StringComparison.Ordinal);

        var response = await Client.Retrieve(address, aeId);

        Answered(response, 2000);
        Assert.Equal(Text(newest, "ri"), Text(response.Resource("m2m:cin"), "ri"));
    }

    [Theory]
    [InlineData("la")]
    [InlineData("ol")]
    public async Task Virtual_resource_of_an_empty_container_answers_4004(string virtualName)
    {
        var (aeId, path, _) = await NewContainer();

        var response = await Client.Retrieve($"{path}/{virtualName}", aeId);

        Answered(response, 4004);
    }

    [Fact]
    public async Task Delete_of_latest_removes_the_newest_instance()
    {
        var (aeId, path, _) = await NewContainer();
        var older = await Client.CreateInstance(path, aeId, "older");
        var newest = await Client.CreateInstance(path, aeId, "newer");

        var response = await Client.Delete(path + "/la", aeId);

        Answered(response, 2002);
        Answered(await Client.Retrieve("/" + Text(newest, "ri"), aeId), 4004);
        Assert.Equal(Text(older, "ri"), Text((await Client.Retrieve(path + "/la", aeId)).Resource("m2m:cin"), "ri"));
        Assert.Equal(1, Number(await Container(path, aeId), "cni"));
    }

    [Fact]
    public async Task Delete_of_oldest_removes_the_first_instance()
    {
        var (aeId, path, _) = await NewContainer();
        var oldest = await Client.CreateInstance(path, aeId, "older");
        var newer = await Client.CreateInstance(path, aeId, "newer");

        Answered(await Client.Delete(path + "/ol", aeId), 2002);

        Answered(await Client.Retrieve("/" + Text(oldest, "ri"), aeId), 4004);
        Assert.Equal(Text(newer, "ri"), Text((await Client.Retrieve(path + "/ol", aeId)).Resource("m2m:cin"), "ri"));
    }

    [Fact]
    public async Task Delete_of_latest_in_an_empty_container_answers_4004()
    {
        var (aeId, path, _) = await NewContainer();

        var response = await Client.Delete(path + "/la", aeId);

        Answered(response, 4004);
    }

    [Theory]
    [InlineData("GET", "la")]
    [InlineData("GET", "ol")]
    [InlineData("GET", "{cin}")]
    [InlineData("DELETE", "la")]
    [InlineData("DELETE", "ol")]
    [InlineData("DELETE", "{cin}")]
    public async Task Disable_retrieval_forbids_access_to_instances_with_4005(string method, string target)
    {
        var (aeId, path, _) = await NewContainer(""","disr":true""");
        var cin = await Client.CreateInstance(path, aeId);
        var address = $"{path}/{target.Replace("{cin}", Text(cin, "rn"), StringComparison.Ordinal)}";

        var response = method == "GET" ? await Client.Retrieve(address, aeId) : await Client.Delete(address, aeId);

        Answered(response, 4005);
        Assert.Equal(1, Number(await Container(path, aeId), "cni"));
    }

    [Fact]
    public async Task Disable_retrieval_forbids_retrieve_of_an_instance_by_resource_ID()
    {
        var (aeId, path, _) = await NewContainer(""","disr":true""");
        var cin = await Client.CreateInstance(path, aeId);

        var response = await Client.Retrieve("/" + Text(cin, "ri"), aeId);

        Answered(response, 4005);
    }

    [Fact]
    public async Task Expired_instance_is_no_longer_latest_nor_counted()
    {
        var (aeId, path, _) = await NewContainer();
        var cin = await Client.CreateInstance(path, aeId, "soon gone", $$$""","et":"{{{M2MTime.FromNow(fixture.Clock, TimeSpan.FromMinutes(10))}}}" """);

        // Past et by the platform's clock, not by waiting (no load can make the create land after it).
        using var later = fixture.Clock.Advance(TimeSpan.FromMinutes(11));

        Answered(await Client.Retrieve(path + "/la", aeId), 4004);
        Answered(await Client.Retrieve("/" + Text(cin, "ri"), aeId), 4004);
        var cnt = await Container(path, aeId);
        Assert.Equal(0, Number(cnt, "cni"));
        Assert.Equal(0, Number(cnt, "cbs"));
    }
}
