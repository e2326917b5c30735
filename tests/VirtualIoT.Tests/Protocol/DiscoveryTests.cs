using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>Discovery (<c>fu=1</c>) with filter criteria (docs/protocol.md §3.3, §6.1, §12.8).</summary>
[Collection(CseCollection.Name)]
public class DiscoveryTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    /// <summary>
    /// An AE with containers A (lbl "a", two instances) and B (lbl "b", created after A): every discovery below
    /// runs under the AE, so resources of other tests never show up.
    /// </summary>
    private sealed record Tree(string AeId, string AePath, JsonObject A, string APath, JsonObject B, string BPath, List<JsonObject> Instances);

    private async Task<Tree> NewTree()
    {
        var aeId = await Client.RegisterAe();
        var aePath = "/cse-in/" + aeId;
        var a = await Client.Create(aePath, aeId, 3, """{"m2m:cnt":{"rn":"A","lbl":["a","room:kitchen"]}}""");
        Answered(a, 2001);
        var first = await Client.CreateInstance(aePath + "/A", aeId, "12");
        var second = await Client.CreateInstance(aePath + "/A", aeId, "1234");
        var b = await Client.Create(aePath, aeId, 3, """{"m2m:cnt":{"rn":"B","lbl":["b"]}}""");
        Answered(b, 2001);
        return new Tree(aeId, aePath, (await Client.Retrieve(aePath + "/A", aeId)).Resource("m2m:cnt"), $"cse-in/{aeId}/A",
            b.Resource("m2m:cnt"), $"cse-in/{aeId}/B", [first, second]);
    }

    private async Task<List<string>> Discover(Tree tree, string query) =>
        UriList(await Client.Discover(tree.AePath, tree.AeId, query));

    private static string Later(string timestamp) => M2MTime.Format(M2MTime.Parse(timestamp).AddTicks(10));

    [Fact]
    public async Task Discovery_by_type_lists_structured_addresses_of_that_type()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "ty=3");

        Assert.Equal([tree.APath, tree.BPath], result.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Discovery_by_instance_type_lists_the_instances()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "ty=4");

        Assert.Equal(tree.Instances.Select(c => $"{tree.APath}/{Text(c, "rn")}").Order(StringComparer.Ordinal), result.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("ty=3+4")]
    [InlineData("ty=3&ty=4")]
    [InlineData("ty=3%204")]
    public async Task Discovery_by_several_types_lists_each(string query)
    {
        var tree = await NewTree();

        var result = await Discover(tree, query);

        Assert.Equal(4, result.Count);
    }

    [Fact]
    public async Task Discovery_without_filter_lists_every_descendant_but_not_the_target()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "");

        Assert.Equal(4, result.Count);
        Assert.DoesNotContain($"cse-in/{tree.AeId}", result);
    }

    [Fact]
    public async Task Discovery_by_label_lists_the_labelled_resources()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "lbl=room:kitchen");

        Assert.Equal([tree.APath], result);
    }

    [Theory]
    [InlineData("lbl=a+b")]
    [InlineData("lbl=a&lbl=b")]
    public async Task Discovery_by_several_labels_matches_any(string query)
    {
        var tree = await NewTree();

        var result = await Discover(tree, query);

        Assert.Equal([tree.APath, tree.BPath], result.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Discovery_created_before_excludes_later_resources()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "ty=3&crb=" + Text(tree.B, "ct"));

        Assert.Equal([tree.APath], result);
    }

    [Fact]
    public async Task Discovery_created_after_includes_resources_created_at_that_time()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "ty=3&cra=" + Text(tree.B, "ct"));

        Assert.Equal([tree.BPath], result);
    }

    [Fact]
    public async Task Discovery_modified_since_lists_resources_modified_later()
    {
        var tree = await NewTree();
        var updated = await Client.Update("/" + tree.APath, tree.AeId, """{"m2m:cnt":{"lbl":["a","touched"]}}""");
        Answered(updated, 2004);

        var result = await Discover(tree, "ty=3&ms=" + Later(Text(tree.B, "lt")));

        Assert.Equal([tree.APath], result);
    }

    [Fact]
    public async Task Discovery_unmodified_since_lists_resources_not_modified_since()
    {
        var tree = await NewTree();
        Answered(await Client.Update("/" + tree.APath, tree.AeId, """{"m2m:cnt":{"lbl":["a","touched"]}}"""), 2004);

        var result = await Discover(tree, "ty=3&us=" + Later(Text(tree.B, "lt")));

        Assert.Equal([tree.BPath], result);
    }

    [Fact]
    public async Task Discovery_state_tag_bigger_lists_resources_with_a_larger_st()
    {
        var tree = await NewTree(); // A has st 2 (two instances), B st 0.

        var result = await Discover(tree, "ty=3&stb=1");

        Assert.Equal([tree.APath], result);
    }

    [Fact]
    public async Task Discovery_state_tag_smaller_lists_resources_with_a_smaller_st()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "ty=3&sts=1");

        Assert.Equal([tree.BPath], result);
    }

    [Fact]
    public async Task Discovery_size_above_lists_the_larger_instances()
    {
        var tree = await NewTree(); // instances of 2 and 4 bytes

        var result = await Discover(tree, "sza=3");

        Assert.Equal([$"{tree.APath}/{Text(tree.Instances[1], "rn")}"], result);
    }

    [Fact]
    public async Task Discovery_limit_caps_the_number_of_results()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "lim=2");

        Assert.Equal(2, result.Count);
    }

    [Fact]
    public async Task Discovery_offset_skips_the_first_results()
    {
        var tree = await NewTree();
        var all = await Discover(tree, "ty=3+4");

        var rest = await Discover(tree, "ty=3+4&ofst=2");

        Assert.Equal(all.Count - 1, rest.Count);
        Assert.Subset(all.ToHashSet(), rest.ToHashSet());
    }

    [Fact]
    public async Task Discovery_limit_and_offset_page_through_all_results_without_repeats()
    {
        var tree = await NewTree();
        var all = await Discover(tree, "");

        var pages = new List<string>();
        for (var offset = 1; offset <= all.Count; offset += 2)
        {
            pages.AddRange(await Discover(tree, $"lim=2&ofst={offset}"));
        }

        Assert.Equal(all.Order(StringComparer.Ordinal), pages.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Discovery_level_1_lists_only_direct_children()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "lvl=1");

        Assert.Equal([tree.APath, tree.BPath], result.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Discovery_level_2_reaches_grandchildren()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "lvl=2&ty=4");

        Assert.Equal(2, result.Count);
    }

    [Fact]
    public async Task Discovery_combines_different_conditions_with_AND_by_default()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "ty=4&lbl=a");

        Assert.Empty(result);
    }

    [Fact]
    public async Task Discovery_with_fo_2_combines_conditions_with_OR()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "ty=4&lbl=b&fo=2");

        Assert.Equal(3, result.Count);
        Assert.Contains(tree.BPath, result);
    }

    [Fact]
    public async Task Discovery_by_resource_name_attribute()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "rn=B");

        Assert.Equal([tree.BPath], result);
    }

    [Fact]
    public async Task Discovery_by_an_AE_attribute_from_the_CSEBase()
    {
        var aeId = OneM2MClient.NewName("C");
        var api = OneM2MClient.NewName("N");
        Answered(await Client.Create("/cse-in", aeId, 2, $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"{{{api}}}","rr":true,"srv":["3"]}}"""), 2001);

        var result = UriList(await Client.Discover("/cse-in", OneM2MClient.Admin, $"ty=2&api={api}"));

        Assert.Equal([$"cse-in/{aeId}"], result);
    }

    [Fact]
    public async Task Discovery_with_unstructured_IDs_lists_resource_IDs()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "ty=3&drt=2");

        Assert.Equal(new[] { Text(tree.A, "ri"), Text(tree.B, "ri") }.Order(StringComparer.Ordinal), result.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Discovery_results_are_retrievable_addresses()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "");

        foreach (var address in result)
        {
            Answered(await Client.Retrieve("/" + address, tree.AeId), 2000);
        }
    }

    [Fact]
    public async Task Discovery_without_a_match_answers_2000_with_an_empty_list()
    {
        var tree = await NewTree();

        var response = await Client.Discover(tree.AePath, tree.AeId, "lbl=nothing-has-this");

        Answered(response, 2000);
        Assert.Equal("""{"m2m:uril":[]}""", response.Body.Replace(" ", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Discovery_under_a_missing_target_answers_4004()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Discover($"/cse-in/{aeId}/nothere", aeId, "ty=3");

        Answered(response, 4004);
    }

    [Fact]
    public async Task Discovery_never_lists_virtual_resources()
    {
        var tree = await NewTree();

        var result = await Discover(tree, "");

        Assert.DoesNotContain(result, r => r.EndsWith("/la", StringComparison.Ordinal) || r.EndsWith("/ol", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Discovery_below_a_container_lists_its_instances()
    {
        var tree = await NewTree();

        var result = UriList(await Client.Discover("/" + tree.APath, tree.AeId));

        Assert.Equal(2, result.Count);
        Assert.All(result, r => Assert.StartsWith(tree.APath + "/", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Discovery_by_a_registered_AE_lists_only_its_own_resources()
    {
        var label = OneM2MClient.NewName("shared");
        var me = await Client.RegisterAe();
        var other = await Client.RegisterAe();
        var mine = await Client.CreateContainer("/cse-in/" + me, me, extra: $$$""","lbl":["{{{label}}}"]""");
        var theirs = await Client.CreateContainer("/cse-in/" + other, other, extra: $$$""","lbl":["{{{label}}}"]""");

        var result = UriList(await Client.Discover("/cse-in", me, "lbl=" + label));

        Assert.Equal([mine.TrimStart('/')], result);
        Assert.Equal(new[] { mine.TrimStart('/'), theirs.TrimStart('/') }.Order(StringComparer.Ordinal),
            UriList(await Client.Discover("/cse-in", OneM2MClient.Admin, "lbl=" + label)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Discovery_below_another_AE_finds_nothing_or_is_denied()
    {
        var me = await Client.RegisterAe();
        var other = await Client.RegisterAe();
        await Client.CreateContainer("/cse-in/" + other, other);

        var response = await Client.Discover("/cse-in/" + other, me, "ty=3");

        if (response.Rsc == 2000)
        {
            Assert.Empty(UriList(response));
        }
        else
        {
            Answered(response, 4103);
        }
    }

    [Theory]
    [InlineData("fu=1&lim=-1")]
    [InlineData("fu=1&lim=x")]
    [InlineData("fu=1&crb=yesterday")]
    [InlineData("fu=1&fo=3")]
    [InlineData("fu=1&ty=x")]
    [InlineData("fu=9")]
    [InlineData("fu=1&drt=3")]
    [InlineData("fu=1&ct=20250101T000000")]
    public async Task Discovery_with_an_invalid_filter_answers_4000(string query)
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Retrieve($"/cse-in/{aeId}?{query}", aeId);

        Answered(response, 4000);
    }
}
