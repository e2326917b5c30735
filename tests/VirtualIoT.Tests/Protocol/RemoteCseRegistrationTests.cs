using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Registration of a remote CSE (an MN-CSE or ASN-CSE) as a <c>&lt;remoteCSE&gt;</c> (ty 16) under the CSEBase
/// (TS-0001 10.2.2.3, TS-0004 7.4.4.2), over HTTP.
/// </summary>
[Collection(CseCollection.Name)]
public class RemoteCseRegistrationTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    internal static string NewCseId() => "/" + OneM2MClient.NewName("id-mn");

    internal static string CsrBody(string csi, string extra = "") =>
        $$$"""{"m2m:csr":{"csi":"{{{csi}}}","cb":"{{{csi}}}/cse-mn","rr":true,"cst":2,"srv":["3"],"poa":["http://127.0.0.1:9"]{{{extra}}}}}""";

    [Fact]
    public async Task Registration_creates_a_remoteCSE_named_after_the_CSE_ID()
    {
        var csi = NewCseId();

        var response = await Client.Create("/cse-in", csi, 16, CsrBody(csi, ""","nl":"node1","csz":["application/json"],"dcse":[]"""));

        Answered(response, 2001);
        var csr = response.Resource("m2m:csr");
        Assert.Equal(16, Number(csr, "ty"));
        Assert.Equal(csi, Text(csr, "csi"));
        Assert.Equal(csi[1..], Text(csr, "rn"));
        Assert.Equal("id-in", Text(csr, "pi"));
        Assert.Equal(csi + "/cse-mn", Text(csr, "cb"));
        Assert.Equal(2, Number(csr, "cst"));
        Assert.StartsWith("csr", Text(csr, "ri"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_registered_CSE_retrieves_its_remoteCSE_by_name_and_the_CSEBase()
    {
        var csi = NewCseId();
        Answered(await Client.Create("/cse-in", csi, 16, CsrBody(csi)), 2001);

        var csr = await Client.Retrieve("/cse-in" + csi, csi);
        var cseBase = await Client.Retrieve("/cse-in", csi);

        Answered(csr, 2000);
        Assert.Equal(csi, Text(csr.Resource("m2m:csr"), "csi"));
        Answered(cseBase, 2000);
    }

    [Fact]
    public async Task A_CSE_ID_without_its_slash_registers_as_the_same_CSE()
    {
        var csi = NewCseId();

        var response = await Client.Create("/cse-in", csi[1..], 16, CsrBody(csi));

        Answered(response, 2001);
        Assert.Equal(csi, Text(response.Resource("m2m:csr"), "csi"));
    }

    [Fact]
    public async Task The_csi_is_taken_from_the_originator_not_the_content()
    {
        var csi = NewCseId();

        var response = await Client.Create("/cse-in", csi, 16, CsrBody("/some-other-cse"));

        Answered(response, 2001);
        Assert.Equal(csi, Text(response.Resource("m2m:csr"), "csi"));
    }

    [Fact]
    public async Task A_second_registration_of_the_same_CSE_is_4117()
    {
        var csi = NewCseId();
        Answered(await Client.Create("/cse-in", csi, 16, CsrBody(csi)), 2001);

        var again = await Client.Create("/cse-in", csi, 16, CsrBody(csi));

        Answered(again, 4117);
    }

    [Fact]
    public async Task An_AE_ID_cannot_register_a_remoteCSE()
    {
        var response = await Client.Create("/cse-in", OneM2MClient.NewName("Cae"), 16, CsrBody(NewCseId()));

        Answered(response, 4005);
    }

    [Fact]
    public async Task This_CSE_cannot_register_to_itself()
    {
        var response = await Client.Create("/cse-in", "/id-in", 16, CsrBody("/id-in"));

        Answered(response, 4005);
    }

    [Theory]
    [InlineData("""{"m2m:csr":{"cb":"/id-x/cse-x","rr":true}}""")]
    [InlineData("""{"m2m:csr":{"csi":"/id-x","rr":true}}""")]
    [InlineData("""{"m2m:csr":{"csi":"/id-x","cb":"/id-x/cse-x"}}""")]
    [InlineData("""{"m2m:csr":{"csi":"/id-x","cb":"cse-x","rr":true}}""")]
    [InlineData("""{"m2m:csr":{"csi":"/id-x","cb":"/id-x/cse-x","rr":true,"poa":["not a url"]}}""")]
    [InlineData("""{"m2m:csr":{"csi":"/id-x","cb":"/id-x/cse-x","rr":true,"cst":7}}""")]
    [InlineData("""{"m2m:csr":{"csi":"/id-x","cb":"/id-x/cse-x","rr":"yes"}}""")]
    public async Task Invalid_registrations_are_4000(string body)
    {
        var response = await Client.Create("/cse-in", NewCseId(), 16, body);

        Answered(response, 4000);
    }

    [Fact]
    public async Task Re_registration_updates_poa_and_rr()
    {
        var csi = NewCseId();
        Answered(await Client.Create("/cse-in", csi, 16, CsrBody(csi)), 2001);

        var updated = await Client.Update("/cse-in" + csi, csi, """{"m2m:csr":{"poa":["http://127.0.0.1:10"],"rr":false}}""");

        Answered(updated, 2004);
        var csr = updated.Resource("m2m:csr");
        Assert.Equal("http://127.0.0.1:10", csr["poa"]![0]!.GetValue<string>());
        Assert.False(csr["rr"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_csi_cannot_be_updated()
    {
        var csi = NewCseId();
        Answered(await Client.Create("/cse-in", csi, 16, CsrBody(csi)), 2001);

        var updated = await Client.Update("/cse-in" + csi, csi, """{"m2m:csr":{"csi":"/id-other"}}""");

        Answered(updated, 4000);
    }

    [Fact]
    public async Task Deregistration_deletes_the_remoteCSE_and_the_CSE_may_register_again()
    {
        var csi = NewCseId();
        Answered(await Client.Create("/cse-in", csi, 16, CsrBody(csi)), 2001);

        var deleted = await Client.Delete("/cse-in" + csi, csi);
        var gone = await Client.Retrieve("/cse-in" + csi, OneM2MClient.Admin);
        var again = await Client.Create("/cse-in", csi, 16, CsrBody(csi));

        Answered(deleted, 2002);
        Answered(gone, 4004);
        Answered(again, 2001);
    }

    [Fact]
    public async Task Another_originator_may_not_read_or_delete_a_remoteCSE()
    {
        var csi = NewCseId();
        Answered(await Client.Create("/cse-in", csi, 16, CsrBody(csi)), 2001);
        var other = NewCseId();

        var read = await Client.Retrieve("/cse-in" + csi, other);
        var deleted = await Client.Delete("/cse-in" + csi, await Client.RegisterAe());

        Answered(read, 4103);
        Answered(deleted, 4103);
    }

    [Fact]
    public async Task An_unregistered_CSE_may_not_read_the_CSEBase()
    {
        var response = await Client.Retrieve("/cse-in", NewCseId());

        Answered(response, 4103);
    }

    [Fact]
    public async Task The_CSEBase_lists_ty_16_as_supported()
    {
        var response = await Client.Retrieve("/cse-in", OneM2MClient.Admin);

        Answered(response, 2000);
        Assert.Contains(16, response.Resource("m2m:cb")["srt"]!.AsArray().Select(t => t!.GetValue<int>()));
    }
}
