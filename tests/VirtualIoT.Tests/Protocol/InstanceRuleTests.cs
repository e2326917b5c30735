using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Content instance rules over HTTP: <c>dcnt</c> (deletionCnt, R4: the instance is deleted after that many
/// retrieves) and <c>disr</c> (disableRetrieval: instances neither retrieved nor listed; turning it off deletes them).
/// </summary>
[Collection(CseCollection.Name)]
public sealed class InstanceRuleTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    private async Task<(string AeId, string Path)> NewContainer()
    {
        var aeId = await Client.RegisterAe();
        return (aeId, await Client.CreateContainer("/cse-in/" + aeId, aeId));
    }

    private async Task<long> InstanceCount(string path, string aeId) =>
        Number((await Client.Retrieve(path, aeId)).Resource("m2m:cnt"), "cni");

    [Fact]
    public async Task An_instance_with_a_deletion_count_is_deleted_after_that_many_retrieves()
    {
        var (aeId, path) = await NewContainer();
        var cin = await Client.CreateInstance(path, aeId, "secret", ""","dcnt":2""");
        var address = path + "/" + Text(cin, "rn");

        var first = await Client.Retrieve(address, aeId);
        var second = await Client.Retrieve(address, aeId);
        var third = await Client.Retrieve(address, aeId);

        Answered(first, 2000);
        Assert.Equal(2, Number(first.Resource("m2m:cin"), "dcnt"));
        Answered(second, 2000);
        Assert.Equal(1, Number(second.Resource("m2m:cin"), "dcnt"));
        Answered(third, 4004);
        Assert.Equal(0, await InstanceCount(path, aeId));
    }

    [Fact]
    public async Task A_retrieve_of_latest_counts_down_the_deletion_count()
    {
        var (aeId, path) = await NewContainer();
        await Client.CreateInstance(path, aeId, "older");
        await Client.CreateInstance(path, aeId, "once", ""","dcnt":1""");

        var latest = await Client.Retrieve(path + "/la", aeId);
        var after = await Client.Retrieve(path + "/la", aeId);

        Answered(latest, 2000);
        Assert.Equal("once", Text(latest.Resource("m2m:cin"), "con"));
        Answered(after, 2000);
        Assert.Equal("older", Text(after.Resource("m2m:cin"), "con"));
        Assert.Equal(1, await InstanceCount(path, aeId));
    }

    [Fact]
    public async Task A_deletion_count_of_zero_answers_4000()
    {
        var (aeId, path) = await NewContainer();

        var response = await Client.Create(path, aeId, 4, """{"m2m:cin":{"con":"x","dcnt":0}}""");

        Answered(response, 4000);
        Assert.Equal(0, await InstanceCount(path, aeId));
    }

    [Fact]
    public async Task Turning_disable_retrieval_off_deletes_the_instances()
    {
        var (aeId, path) = await NewContainer();
        await Client.CreateInstance(path, aeId, "a");
        Answered(await Client.Update(path, aeId, """{"m2m:cnt":{"disr":true}}"""), 2004);
        await Client.CreateInstance(path, aeId, "b");

        var enabled = await Client.Update(path, aeId, """{"m2m:cnt":{"disr":false}}""");

        Answered(enabled, 2004);
        Assert.Equal(0, Number(enabled.Resource("m2m:cnt"), "cni"));
        Assert.Equal(0, Number(enabled.Resource("m2m:cnt"), "cbs"));
        Answered(await Client.Retrieve(path + "/la", aeId), 4004);
    }

    [Fact]
    public async Task Setting_disable_retrieval_again_keeps_the_instances()
    {
        var (aeId, path) = await NewContainer();
        await Client.CreateInstance(path, aeId, "a");

        var enabled = await Client.Update(path, aeId, """{"m2m:cnt":{"disr":false}}""");

        Answered(enabled, 2004);
        Assert.Equal(1, Number(enabled.Resource("m2m:cnt"), "cni"));
    }

    [Fact]
    public async Task Child_references_of_a_container_with_disable_retrieval_list_no_instances()
    {
        var (aeId, path) = await NewContainer();
        await Client.CreateInstance(path, aeId, "a");
        await Client.CreateInstance(path, aeId, "b");
        Answered(await Client.Update(path, aeId, """{"m2m:cnt":{"disr":true}}"""), 2004);

        var references = await Client.Retrieve(path + "?rcn=6", aeId);
        var children = await Client.Retrieve(path + "?rcn=4", aeId);

        Answered(references, 2000);
        Assert.Empty(references.Json!["m2m:rrl"]?["rrf"]?.AsArray() ?? []);
        Answered(children, 2000);
        Assert.Null(children.Resource("m2m:cnt")["m2m:cin"]);
    }

    [Fact]
    public async Task Discovery_below_a_container_with_disable_retrieval_finds_none_of_its_instances()
    {
        var (aeId, path) = await NewContainer();
        await Client.CreateInstance(path, aeId, "a");
        Answered(await Client.Update(path, aeId, """{"m2m:cnt":{"disr":true}}"""), 2004);
        await Client.CreateInstance(path, aeId, "b");

        var instances = await Client.Retrieve(path + "?fu=1&ty=4", aeId);
        var containers = await Client.Retrieve("/cse-in/" + aeId + "?fu=1&ty=3", aeId);

        Answered(instances, 2000);
        Assert.Empty(instances.Json!["m2m:uril"]!.AsArray());
        Answered(containers, 2000);
        Assert.Single(containers.Json!["m2m:uril"]!.AsArray());
    }
}
