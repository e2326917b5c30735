using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// An expired resource is gone for every operation (docs/protocol.md §10, issue 2 "et expiry enforced"). The tests move
/// the platform's clock past <c>et</c> rather than wait for it, so no load decides the outcome.
/// </summary>
[Collection(CseCollection.Name)]
public class ExpirationTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    // A lifetime no load can use up before the create lands; the tests then move the platform's clock past it.
    private static readonly TimeSpan s_lifetime = TimeSpan.FromMinutes(10);

    /// <summary>Moves the platform's clock past <see cref="s_lifetime"/> until disposed.</summary>
    private IDisposable PastExpiry() => fixture.Clock.Advance(s_lifetime + TimeSpan.FromMinutes(1));

    private async Task<(string AeId, string Path, string Ri)> ShortLivedContainer()
    {
        var aeId = await Client.RegisterAe();
        var name = OneM2MClient.NewName("cnt");
        var response = await Client.Create("/cse-in/" + aeId, aeId, 3,
            $$$"""{"m2m:cnt":{"rn":"{{{name}}}","lbl":["expiring"],"et":"{{{M2MTime.FromNow(fixture.Clock, s_lifetime)}}}"}}""");
        Answered(response, 2001);
        var cnt = response.Resource("m2m:cnt");
        return (aeId, $"/cse-in/{aeId}/{name}", Text(cnt, "ri"));
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
        var (aeId, path, ri) = await ShortLivedContainer();

        using var later = PastExpiry();

        Answered(await Client.Retrieve(path, aeId), 4004);
        Answered(await Client.Retrieve("/" + ri, aeId), 4004);
    }

    [Fact]
    public async Task Expired_container_answers_4004_to_update()
    {
        var (aeId, path, _) = await ShortLivedContainer();

        using var later = PastExpiry();

        Answered(await Client.Update(path, aeId, """{"m2m:cnt":{"lbl":["revived"]}}"""), 4004);
    }

    [Fact]
    public async Task Expired_container_answers_4004_to_delete()
    {
        var (aeId, path, _) = await ShortLivedContainer();

        using var later = PastExpiry();

        Answered(await Client.Delete(path, aeId), 4004);
    }

    [Fact]
    public async Task Expired_container_answers_4004_to_a_child_create()
    {
        var (aeId, path, _) = await ShortLivedContainer();

        using var later = PastExpiry();

        Answered(await Client.Create(path, aeId, 4, """{"m2m:cin":{"con":"late"}}"""), 4004);
    }

    [Fact]
    public async Task Expired_container_disappears_from_discovery()
    {
        var (aeId, path, _) = await ShortLivedContainer();
        Assert.Single(UriList(await Client.Discover("/cse-in/" + aeId, aeId, "ty=3")));

        using var later = PastExpiry();

        Assert.Empty(UriList(await Client.Discover("/cse-in/" + aeId, aeId, "ty=3")));
        Answered(await Client.Retrieve(path, aeId), 4004);
    }

    [Fact]
    public async Task Expired_container_frees_its_name()
    {
        var (aeId, path, _) = await ShortLivedContainer();
        var name = path[(path.LastIndexOf('/') + 1)..];

        using var later = PastExpiry();

        Answered(await Client.Create("/cse-in/" + aeId, aeId, 3, $$$"""{"m2m:cnt":{"rn":"{{{name}}}"}}"""), 2001);
    }

    [Fact]
    public async Task Expired_AE_takes_its_children_with_it()
    {
        var aeId = OneM2MClient.NewName("C");
        var registered = await Client.Create("/cse-in", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Ntest","rr":true,"srv":["3"],"et":"{{{M2MTime.FromNow(fixture.Clock, s_lifetime)}}}"}}""");
        Answered(registered, 2001);
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        var containerId = Text((await Client.Retrieve(container, aeId)).Resource("m2m:cnt"), "ri");

        using var later = PastExpiry();

        Answered(await Client.Retrieve("/" + aeId, OneM2MClient.Admin), 4004);
        Answered(await Client.Retrieve(container, OneM2MClient.Admin), 4004);
        Answered(await Client.Retrieve("/" + containerId, OneM2MClient.Admin), 4004);
    }
}
