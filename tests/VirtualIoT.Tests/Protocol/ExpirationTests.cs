using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>An expired resource is gone for every operation (docs/protocol.md §10, issue 2 "et expiry enforced").</summary>
[Collection(CseCollection.Name)]
public class ExpirationTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    // Created a moment ahead of expiry; the tests then wait (bounded) until the clock passes et, touching nothing.
    private async Task<(string AeId, string Path, string Ri, string Et)> ShortLivedContainer()
    {
        var aeId = await Client.RegisterAe();
        var name = OneM2MClient.NewName("cnt");
        var response = await Client.Create("/cse-in/" + aeId, aeId, 3,
            $$$"""{"m2m:cnt":{"rn":"{{{name}}}","lbl":["expiring"],"et":"{{{M2MTime.FromNow(TimeSpan.FromSeconds(1.5))}}}"}}""");
        Answered(response, 2001);
        var cnt = response.Resource("m2m:cnt");
        return (aeId, $"/cse-in/{aeId}/{name}", Text(cnt, "ri"), Text(cnt, "et"));
    }

    [Fact]
    public async Task Container_with_a_near_expiration_time_is_retrievable_before_it()
    {
        var aeId = await Client.RegisterAe();
        var name = OneM2MClient.NewName("cnt");
        Answered(await Client.Create("/cse-in/" + aeId, aeId, 3,
            $$$"""{"m2m:cnt":{"rn":"{{{name}}}","et":"{{{M2MTime.FromNow(TimeSpan.FromMinutes(5))}}}"}}"""), 2001);

        var response = await Client.Retrieve($"/cse-in/{aeId}/{name}", aeId);

        Answered(response, 2000);
    }

    [Fact]
    public async Task Expired_container_answers_4004_to_retrieve_by_path_and_by_ID()
    {
        var (aeId, path, ri, et) = await ShortLivedContainer();

        await M2MTime.WaitUntilPast(et);

        Answered(await Client.Retrieve(path, aeId), 4004);
        Answered(await Client.Retrieve("/" + ri, aeId), 4004);
    }

    [Fact]
    public async Task Expired_container_answers_4004_to_update()
    {
        var (aeId, path, _, et) = await ShortLivedContainer();

        await M2MTime.WaitUntilPast(et);

        Answered(await Client.Update(path, aeId, """{"m2m:cnt":{"lbl":["revived"]}}"""), 4004);
    }

    [Fact]
    public async Task Expired_container_answers_4004_to_delete()
    {
        var (aeId, path, _, et) = await ShortLivedContainer();

        await M2MTime.WaitUntilPast(et);

        Answered(await Client.Delete(path, aeId), 4004);
    }

    [Fact]
    public async Task Expired_container_answers_4004_to_a_child_create()
    {
        var (aeId, path, _, et) = await ShortLivedContainer();

        await M2MTime.WaitUntilPast(et);

        Answered(await Client.Create(path, aeId, 4, """{"m2m:cin":{"con":"late"}}"""), 4004);
    }

    [Fact]
    public async Task Expired_container_disappears_from_discovery()
    {
        var (aeId, path, _, et) = await ShortLivedContainer();
        Assert.Single(UriList(await Client.Discover("/cse-in/" + aeId, aeId, "ty=3")));

        await M2MTime.WaitUntilPast(et);

        Assert.Empty(UriList(await Client.Discover("/cse-in/" + aeId, aeId, "ty=3")));
        Answered(await Client.Retrieve(path, aeId), 4004);
    }

    [Fact]
    public async Task Expired_container_frees_its_name()
    {
        var (aeId, path, _, et) = await ShortLivedContainer();
        var name = path[(path.LastIndexOf('/') + 1)..];

        await M2MTime.WaitUntilPast(et);

        Answered(await Client.Create("/cse-in/" + aeId, aeId, 3, $$$"""{"m2m:cnt":{"rn":"{{{name}}}"}}"""), 2001);
    }

    [Fact]
    public async Task Expired_AE_takes_its_children_with_it()
    {
        var aeId = OneM2MClient.NewName("C");
        var registered = await Client.Create("/cse-in", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Ntest","rr":true,"srv":["3"],"et":"{{{M2MTime.FromNow(TimeSpan.FromSeconds(1.5))}}}"}}""");
        Answered(registered, 2001);
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        var containerId = Text((await Client.Retrieve(container, aeId)).Resource("m2m:cnt"), "ri");

        await M2MTime.WaitUntilPast(Text(registered.Resource("m2m:ae"), "et"));

        Answered(await Client.Retrieve("/" + aeId, OneM2MClient.Admin), 4004);
        Answered(await Client.Retrieve(container, OneM2MClient.Admin), 4004);
        Answered(await Client.Retrieve("/" + containerId, OneM2MClient.Admin), 4004);
    }
}
