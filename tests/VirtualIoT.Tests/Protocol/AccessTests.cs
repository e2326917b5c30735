using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// The default access rule while no ACP exists (docs/protocol.md §2.2, §7, §11): only the creator (and CAdmin) may touch a
/// resource; another or an unregistered originator gets 4103; any registered AE may retrieve the CSEBase.
/// </summary>
[Collection(CseCollection.Name)]
public sealed class AccessTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    private async Task<(string Owner, string Container)> OwnedContainer()
    {
        var owner = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + owner, owner);
        await Client.CreateInstance(container, owner, "secret");
        return (owner, container);
    }

    private Task<OneM2MResponse> Act(string operation, string path, string originator) => operation switch
    {
        "retrieve" => Client.Retrieve(path, originator),
        "update" => Client.Update(path, originator, """{"m2m:cnt":{"lbl":["mine-now"]}}"""),
        "delete" => Client.Delete(path, originator),
        "create" => Client.Create(path, originator, 4, """{"m2m:cin":{"con":"intruder"}}"""),
        "latest" => Client.Retrieve(path + "/la", originator),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    [Theory]
    [InlineData("retrieve")]
    [InlineData("update")]
    [InlineData("delete")]
    [InlineData("create")]
    [InlineData("latest")]
    public async Task Another_registered_AE_is_denied_my_container_with_4103(string operation)
    {
        var (owner, container) = await OwnedContainer();
        var other = await Client.RegisterAe();

        var response = await Act(operation, container, other);

        Answered(response, 4103);
        var after = (await Client.Retrieve(container, owner)).Resource("m2m:cnt");
        Assert.Equal(1, Number(after, "cni"));
        Assert.False(after.ContainsKey("lbl"), after.ToJsonString());
    }

    [Theory]
    [InlineData("retrieve")]
    [InlineData("update")]
    [InlineData("delete")]
    [InlineData("create")]
    public async Task Unregistered_originator_is_denied_with_4103(string operation)
    {
        var (_, container) = await OwnedContainer();

        var response = await Act(operation, container, OneM2MClient.NewName("Cnobody"));

        Answered(response, 4103);
    }

    [Fact]
    public async Task Another_AE_cannot_create_a_container_under_my_AE()
    {
        var owner = await Client.RegisterAe();
        var other = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + owner, other, 3, """{"m2m:cnt":{}}""");

        Answered(response, 4103);
    }

    [Fact]
    public async Task Another_AE_cannot_deregister_my_AE()
    {
        var owner = await Client.RegisterAe();
        var other = await Client.RegisterAe();

        var response = await Client.Delete("/cse-in/" + owner, other);

        Answered(response, 4103);
        Answered(await Client.Retrieve("/cse-in/" + owner, owner), 2000);
    }

    [Fact]
    public async Task Another_AE_cannot_retrieve_my_instance_by_resource_ID()
    {
        var owner = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + owner, owner);
        var instance = await Client.CreateInstance(container, owner);

        var response = await Client.Retrieve("/" + Text(instance, "ri"), await Client.RegisterAe());

        Answered(response, 4103);
    }

    [Theory]
    [InlineData("retrieve", 2000)]
    [InlineData("latest", 2000)]
    [InlineData("update", 2004)]
    [InlineData("create", 2001)]
    [InlineData("delete", 2002)]
    public async Task Admin_may_operate_on_any_container(string operation, int rsc)
    {
        var (_, container) = await OwnedContainer();

        var response = await Act(operation, container, OneM2MClient.Admin);

        Answered(response, rsc);
    }

    [Fact]
    public async Task Admin_may_deregister_any_AE()
    {
        var owner = await Client.RegisterAe();

        var response = await Client.Delete("/cse-in/" + owner, OneM2MClient.Admin);

        Answered(response, 2002);
    }

    [Fact]
    public async Task Registered_AE_can_retrieve_the_CSEBase()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Retrieve("/cse-in", aeId);

        Answered(response, 2000);
        Assert.Equal("id-in", Text(response.Resource("m2m:cb"), "ri"));
    }

    [Fact]
    public async Task AE_addressing_itself_with_its_SP_relative_ID_is_recognised()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Retrieve("/cse-in/" + aeId, "/id-in/" + aeId);

        Answered(response, 2000);
    }
}
