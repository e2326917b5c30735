using System.Text.Json;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Smaller attribute and parameter rules of TS-0001/TS-0004 over HTTP: partial retrieve (<c>atrl</c>) only on a
/// retrieve and only of attributes the type has, labels as tokens, <c>cnf</c> with its encoding, <c>dgt</c>, and the
/// CSEBase's <c>ctm</c>.
/// </summary>
[Collection(CseCollection.Name)]
public sealed class AttributeRuleTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    private async Task<(string AeId, string Path)> NewContainer()
    {
        var aeId = await Client.RegisterAe();
        return (aeId, await Client.CreateContainer("/cse-in/" + aeId, aeId, extra: ""","lbl":["k:v"]"""));
    }

    [Fact]
    public async Task Delete_with_atrl_answers_4000_and_deletes_nothing()
    {
        var (aeId, path) = await NewContainer();

        var response = await Client.Delete(path + "?atrl=lbl", aeId);

        Answered(response, 4000);
        Answered(await Client.Retrieve(path, aeId), 2000);
    }

    [Fact]
    public async Task Delete_of_latest_with_atrl_answers_4000_and_keeps_the_instance()
    {
        var (aeId, path) = await NewContainer();
        await Client.CreateInstance(path, aeId);

        var response = await Client.Delete(path + "/la?atrl=con", aeId);

        Answered(response, 4000);
        Answered(await Client.Retrieve(path + "/la", aeId), 2000);
    }

    [Fact]
    public async Task Update_with_atrl_answers_4000_and_changes_nothing()
    {
        var (aeId, path) = await NewContainer();

        var response = await Client.Update(path + "?atrl=lbl", aeId, """{"m2m:cnt":{"lbl":["changed"]}}""");

        Answered(response, 4000);
        var stored = (await Client.Retrieve(path, aeId)).Resource("m2m:cnt");
        Assert.Equal("k:v", stored["lbl"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Retrieve_with_atrl_and_rcn_4_answers_4000()
    {
        var (aeId, path) = await NewContainer();

        Answered(await Client.Retrieve(path + "?atrl=lbl&rcn=4", aeId), 4000);
    }

    [Fact]
    public async Task Partial_retrieve_returns_only_the_named_attributes()
    {
        var (aeId, path) = await NewContainer();

        var response = await Client.Retrieve(path + "?atrl=lbl+cni", aeId);

        Answered(response, 2000);
        var cnt = response.Resource("m2m:cnt");
        Assert.Equal(["cni", "lbl"], cnt.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("?atrl=nosuch")]
    [InlineData("?atrl=lbl+api")]
    [InlineData("?atrl=con")]
    public async Task Partial_retrieve_naming_an_attribute_the_type_lacks_answers_4000(string query)
    {
        var (aeId, path) = await NewContainer();

        var response = await Client.Retrieve(path + query, aeId);

        Answered(response, 4000);
        Assert.Contains("is not an attribute of m2m:cnt", response.Json!["m2m:dbg"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Partial_retrieve_of_an_instance_checks_the_instance_attributes()
    {
        var (aeId, path) = await NewContainer();
        await Client.CreateInstance(path, aeId, "7");

        var known = await Client.Retrieve(path + "/la?atrl=con", aeId);
        var unknown = await Client.Retrieve(path + "/la?atrl=mni", aeId);

        Answered(known, 2000);
        Assert.Equal("7", Text(known.Resource("m2m:cin"), "con"));
        Assert.Single(known.Resource("m2m:cin"));
        Answered(unknown, 4000);
    }

    [Theory]
    [InlineData("a  b")]
    [InlineData("a\tb")]
    [InlineData("a\nb")]
    [InlineData("a\r\nb")]
    [InlineData("")]
    [InlineData(" a")]
    [InlineData("a ")]
    public async Task A_label_that_is_not_a_token_answers_4000_on_create_and_update(string label)
    {
        var (aeId, path) = await NewContainer();
        var labels = JsonSerializer.Serialize(new[] { "ok", label });

        var created = await Client.Create(path, aeId, 3, $$$"""{"m2m:cnt":{"rn":"{{{OneM2MClient.NewName()}}}","lbl":{{{labels}}}}}""");
        var updated = await Client.Update(path, aeId, $$$"""{"m2m:cnt":{"lbl":{{{labels}}}}}""");

        Answered(created, 4000);
        Answered(updated, 4000);
        Assert.Equal("k:v", (await Client.Retrieve(path, aeId)).Resource("m2m:cnt")["lbl"]![0]!.GetValue<string>());
    }

    [Theory]
    [InlineData("key:value")]
    [InlineData("a b c")]
    public async Task A_label_token_with_single_spaces_is_kept(string label)
    {
        var (aeId, path) = await NewContainer();

        var updated = await Client.Update(path, aeId, $$$"""{"m2m:cnt":{"lbl":[{{{JsonSerializer.Serialize(label)}}}]}}""");

        Answered(updated, 2004);
        Assert.Equal(label, updated.Resource("m2m:cnt")["lbl"]![0]!.GetValue<string>());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text:0")]
    [InlineData("/plain:0")]
    [InlineData("text/:0")]
    [InlineData("text/plain:3")]
    [InlineData("text/plain:0:6")]
    [InlineData("text/plain/x:0")]
    [InlineData("text/plain:0:1:2")]
    public async Task Content_info_without_a_valid_encoding_answers_4000(string cnf)
    {
        var (aeId, path) = await NewContainer();

        var response = await Client.Create(path, aeId, 4, $$$"""{"m2m:cin":{"con":"x","cnf":"{{{cnf}}}"}}""");

        Answered(response, 4000);
        Assert.Equal(0, Number((await Client.Retrieve(path, aeId)).Resource("m2m:cnt"), "cni"));
    }

    [Theory]
    [InlineData("text/plain:0")]
    [InlineData("application/json:1")]
    [InlineData("image/png:2:5")]
    public async Task Content_info_with_an_encoding_is_accepted(string cnf)
    {
        var (aeId, path) = await NewContainer();

        var response = await Client.Create(path, aeId, 4, $$$"""{"m2m:cin":{"con":"x","cnf":"{{{cnf}}}"}}""");

        Answered(response, 2001);
        Assert.Equal(cnf, Text(response.Resource("m2m:cin"), "cnf"));
    }

    [Fact]
    public async Task Data_generation_time_is_kept_in_canonical_form()
    {
        var (aeId, path) = await NewContainer();

        var response = await Client.Create(path, aeId, 4, """{"m2m:cin":{"con":"x","dgt":"20250301T101500"}}""");
        var invalid = await Client.Create(path, aeId, 4, """{"m2m:cin":{"con":"x","dgt":"yesterday"}}""");

        Answered(response, 2001);
        Assert.Equal("20250301T101500,000000", Text(response.Resource("m2m:cin"), "dgt"));
        Answered(invalid, 4000);
    }

    [Fact]
    public async Task The_CSEBase_reports_its_current_time()
    {
        var before = DateTime.UtcNow.AddSeconds(-1);

        var response = await Client.Retrieve("/cse-in", OneM2MClient.Admin);

        Answered(response, 2000);
        var ctm = M2MTime.Parse(Text(response.Resource("m2m:cb"), "ctm"));
        Assert.InRange(ctm, before, DateTime.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task A_partial_retrieve_of_the_CSEBase_current_time_returns_only_it()
    {
        var response = await Client.Retrieve("/cse-in?atrl=ctm", OneM2MClient.Admin);

        Answered(response, 2000);
        Assert.Equal(["ctm"], response.Resource("m2m:cb").Select(p => p.Key));
    }
}
