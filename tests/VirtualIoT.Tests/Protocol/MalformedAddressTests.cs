using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Malformed targets over HTTP (ACME's address grammar): a trailing or doubled <c>/</c>, and an SP-relative or
/// absolute CSE-ID without a resource part, are 4000; nothing is created, changed or deleted through them.
/// </summary>
[Collection(CseCollection.Name)]
public sealed class MalformedAddressTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    [Theory]
    [InlineData("/~/id-in")]
    [InlineData("/_/virtualiot.example.com/id-in")]
    [InlineData("/_/virtualiot.example.com")]
    [InlineData("/cse-in/")]
    [InlineData("/~/id-in/cse-in/")]
    public async Task A_malformed_target_answers_4000(string path)
    {
        Answered(await Client.Retrieve(path, OneM2MClient.Admin), 4000);
    }

    [Fact]
    public async Task A_delete_with_a_trailing_slash_answers_4000_and_deletes_nothing()
    {
        var aeId = await Client.RegisterAe();
        var path = await Client.CreateContainer("/cse-in/" + aeId, aeId);

        var response = await Client.Delete(path + "/", aeId);

        Answered(response, 4000);
        Answered(await Client.Retrieve(path, aeId), 2000);
    }

    [Fact]
    public async Task A_create_through_an_empty_segment_answers_4000()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create($"/cse-in//{aeId}", aeId, 3, """{"m2m:cnt":{"rn":"x"}}""");

        Answered(response, 4000);
        Answered(await Client.Retrieve($"/cse-in/{aeId}/x", aeId), 4004);
    }
}
