using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// The receiving side of announcements (TS-0001 9.6.26, 10.2.18; TS-0004 7.4.x Annc): a registered remote CSE
/// creates, updates and deletes announced resources (AEAnnc, containerAnnc, contentInstanceAnnc, …) under its
/// <c>&lt;remoteCSE&gt;</c> here, each with <c>lnk</c> naming its original; over HTTP, one instance.
/// </summary>
[Collection(CseCollection.Name)]
public class AnnouncedResourceTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    /// <summary>Registers a new remote CSE; returns its CSE-ID and the path of its <c>&lt;remoteCSE&gt;</c>.</summary>
    private async Task<(string Csi, string Csr)> RegisterCse()
    {
        var csi = RemoteCseRegistrationTests.NewCseId();
        Answered(await Client.Create("/cse-in", csi, 16, RemoteCseRegistrationTests.CsrBody(csi)), 2001);
        return (csi, "/cse-in" + csi);
    }

    private static string AeAnnc(string csi, string extra = "") =>
        $$$"""{"m2m:aeA":{"lnk":"{{{csi}}}/Cmeter","lbl":["floor:2"],"api":"Nmeter.app","apn":"meter"{{{extra}}}}}""";

    [Fact]
    public async Task A_registered_CSE_announces_an_AE_under_its_remoteCSE()
    {
        var (csi, csr) = await RegisterCse();

        var created = await Client.Create(csr, csi, 10002, AeAnnc(csi));

        Answered(created, 2001);
        var aea = created.Resource("m2m:aeA");
        Assert.Equal(10002, Number(aea, "ty"));
        Assert.Equal(csi + "/Cmeter", Text(aea, "lnk"));
        Assert.Equal("meter", Text(aea, "apn"));
        Assert.StartsWith("anae", Text(aea, "ri"), StringComparison.Ordinal);
        var read = await Client.Retrieve($"{csr}/{Text(aea, "rn")}", csi);
        Answered(read, 2000);
        Assert.Equal(Text(aea, "ri"), Text(read.Resource("m2m:aeA"), "ri"));
        Assert.Equal(Text((await Client.Retrieve(csr, csi)).Resource("m2m:csr"), "ri"), Text(aea, "pi"));
    }

    [Fact]
    public async Task Container_and_instance_are_announced_under_the_announced_AE()
    {
        var (csi, csr) = await RegisterCse();
        var aea = Text((await Client.Create(csr, csi, 10002, AeAnnc(csi))).Resource("m2m:aeA"), "rn");

        var cnta = await Client.Create($"{csr}/{aea}", csi, 10003, $$$"""{"m2m:cntA":{"rn":"temp","lnk":"{{{csi}}}/cnt000000000001","mni":10}}""");
        var cina = await Client.Create($"{csr}/{aea}/temp", csi, 10004, $$$"""{"m2m:cinA":{"lnk":"{{{csi}}}/cin0000000000011","con":"21.5","cnf":"text/plain:0"}}""");

        Answered(cnta, 2001);
        Assert.Equal(10, Number(cnta.Resource("m2m:cntA"), "mni"));
        Answered(cina, 2001);
        Assert.Equal("21.5", Text(cina.Resource("m2m:cinA"), "con"));
        var instance = $"{csr}/{aea}/temp/{Text(cina.Resource("m2m:cinA"), "rn")}";
        Answered(await Client.Update(instance, csi, """{"m2m:cinA":{"lbl":["x"]}}"""), 4005);
    }

    [Fact]
    public async Task An_announced_attribute_is_updated_and_lnk_cannot_change()
    {
        var (csi, csr) = await RegisterCse();
        var aea = $"{csr}/{Text((await Client.Create(csr, csi, 10002, AeAnnc(csi))).Resource("m2m:aeA"), "rn")}";

        var updated = await Client.Update(aea, csi, """{"m2m:aeA":{"apn":"meter-2","lbl":["floor:3"]}}""");
        var relinked = await Client.Update(aea, csi, $$$"""{"m2m:aeA":{"lnk":"{{{csi}}}/Cother"}}""");

        Answered(updated, 2004);
        Assert.Equal("meter-2", Text((await Client.Retrieve(aea, csi)).Resource("m2m:aeA"), "apn"));
        Answered(relinked, 4000);
    }

    [Theory]
    [InlineData("""{"m2m:aeA":{"api":"Nmeter.app"}}""")]
    [InlineData("""{"m2m:aeA":{"lnk":"Cmeter"}}""")]
    [InlineData("""{"m2m:aeA":{"lnk":"/id-mn"}}""")]
    [InlineData("""{"m2m:aeA":{"lnk":"/id-mn/bad name"}}""")]
    [InlineData("""{"m2m:aeA":{"lnk":42}}""")]
    [InlineData("""{"m2m:aeA":{"lnk":"/id-mn/Cmeter","cni":3}}""")]
    [InlineData("""{"m2m:aeA":{"lnk":"/id-mn/Cmeter","at":["/id-in"]}}""")]
    [InlineData("""{"m2m:cntA":{"lnk":"/id-mn/Cmeter"}}""")]
    public async Task A_missing_or_bad_lnk_or_an_unannounceable_attribute_is_4000(string body)
    {
        var (csi, csr) = await RegisterCse();

        Answered(await Client.Create(csr, csi, 10002, body.Replace("/id-mn", csi, StringComparison.Ordinal)), 4000);
    }

    [Fact]
    public async Task A_lnk_naming_another_CSE_than_the_announcing_one_is_4000()
    {
        var (csi, csr) = await RegisterCse();

        var response = await Client.Create(csr, csi, 10002, AeAnnc("/id-elsewhere"));

        Answered(response, 4000);
        Assert.Contains("lnk", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Announced_types_go_only_where_the_standard_puts_them()
    {
        var (csi, csr) = await RegisterCse();
        var aea = $"{csr}/{Text((await Client.Create(csr, csi, 10002, AeAnnc(csi))).Resource("m2m:aeA"), "rn")}";

        Answered(await Client.Create("/cse-in", OneM2MClient.Admin, 10002, AeAnnc(csi)), 4108);
        Answered(await Client.Create(aea, csi, 10002, AeAnnc(csi)), 4108);
        Answered(await Client.Create(csr, csi, 10004, $$$"""{"m2m:cinA":{"lnk":"{{{csi}}}/cin0000000000011","con":"1"}}"""), 4108);
    }

    [Fact]
    public async Task Only_the_announcing_CSE_may_announce_under_its_remoteCSE()
    {
        var (csi, csr) = await RegisterCse();
        var ae = await Client.RegisterAe();
        var (other, _) = await RegisterCse();

        Answered(await Client.Create(csr, ae, 10002, AeAnnc(csi)), 4103);
        Answered(await Client.Create(csr, other, 10002, AeAnnc(other)), 4103);
    }

    [Fact]
    public async Task A_CSE_announces_under_a_remoteCSE_CAdmin_made_for_it_and_owns_what_it_announced()
    {
        var csi = RemoteCseRegistrationTests.NewCseId();
        Answered(await Client.Create("/cse-in", OneM2MClient.Admin, 16, RemoteCseRegistrationTests.CsrBody(csi)), 2001);
        var csr = "/cse-in" + csi;

        var created = await Client.Create(csr, csi, 10002, AeAnnc(csi));

        Answered(created, 2001);
        var aea = $"{csr}/{Text(created.Resource("m2m:aeA"), "rn")}";
        Answered(await Client.Update(aea, csi, """{"m2m:aeA":{"apn":"renamed"}}"""), 2004);
        Answered(await Client.Retrieve(aea, csi), 2000);
    }

    [Fact]
    public async Task An_acpi_naming_the_announcing_CSEs_policy_is_kept()
    {
        var (csi, csr) = await RegisterCse();

        var created = await Client.Create(csr, csi, 10002, AeAnnc(csi, $$$""","acpi":["{{{csi}}}/acp000000000001"]"""));

        Answered(created, 2001);
        Assert.Equal(csi + "/acp000000000001", (string)created.Resource("m2m:aeA")["acpi"]![0]!);
    }

    [Fact]
    public async Task An_announced_policy_decides_access_to_the_announced_resources_that_name_it()
    {
        var (csi, csr) = await RegisterCse();
        var reader = await Client.RegisterAe();
        var other = await Client.RegisterAe();
        var original = csi + "/acp" + OneM2MClient.NewName("")[..12];
        var acpa = await Client.Create(csr, csi, 10001,
            $$$$"""{"m2m:acpA":{"lnk":"{{{{original}}}}","pv":{"acr":[{"acor":["{{{{reader}}}}"],"acop":2}]},"pvs":{"acr":[{"acor":["{{{{csi}}}}"],"acop":63}]}}}""");
        Answered(acpa, 2001);
        var acpaId = Text(acpa.Resource("m2m:acpA"), "ri");
        var acpaPath = $"{csr}/{Text(acpa.Resource("m2m:acpA"), "rn")}";
        // One copy names the announcing CSE's policy (as the announcing CSE writes acpi), one the announced policy here.
        var byOriginal = $"{csr}/{Text((await Client.Create(csr, csi, 10002, AeAnnc(csi, $$$""","acpi":["{{{original}}}"]"""))).Resource("m2m:aeA"), "rn")}";
        var byCopy = $"{csr}/{Text((await Client.Create(csr, csi, 10002, AeAnnc(csi, $$$""","acpi":["{{{acpaId}}}"]"""))).Resource("m2m:aeA"), "rn")}";

        var stored = await Client.Retrieve(acpaPath, csi);
        var readerByOriginal = await Client.Retrieve(byOriginal, reader);
        var readerByCopy = await Client.Retrieve(byCopy, reader);
        var otherByOriginal = await Client.Retrieve(byOriginal, other);
        var readerUpdates = await Client.Update(byCopy, reader, """{"m2m:aeA":{"apn":"x"}}""");
        var announcerUpdates = await Client.Update(byOriginal, csi, """{"m2m:aeA":{"apn":"renamed"}}""");

        Answered(stored, 2000);
        Assert.Equal(reader, (string)stored.Resource("m2m:acpA")["pv"]!["acr"]![0]!["acor"]![0]!);
        Answered(readerByOriginal, 2000);
        Answered(readerByCopy, 2000);
        Answered(otherByOriginal, 4103);
        Answered(readerUpdates, 4103);
        Answered(announcerUpdates, 2004);

        // The announcing CSE changes its policy: the copies follow at once (this CSE's policy cache is told).
        Answered(await Client.Update(acpaPath, csi, $$$$"""{"m2m:acpA":{"pv":{"acr":[{"acor":["{{{{other}}}}"],"acop":2}]}}}"""), 2004);
        Answered(await Client.Retrieve(byOriginal, reader), 4103);
        Answered(await Client.Retrieve(byOriginal, other), 2000);
        Answered(await Client.Delete(acpaPath, csi), 2002);
        Answered(await Client.Retrieve(byOriginal, other), 4103);
        Answered(await Client.Retrieve(byCopy, other), 4103);
    }

    [Fact]
    public async Task A_flexContainer_and_a_mgmtObj_are_announced_under_their_specializations_root_keys()
    {
        var (csi, csr) = await RegisterCse();

        var fcnta = await Client.Create(csr, csi, 10028,
            $$$"""{"cod:tempeAnnc":{"lnk":"{{{csi}}}/fcnt000000000001","cnd":"org.onem2m.common.moduleclass.temperature","curT0":20.5}}""");
        var noda = await Client.Create(csr, csi, 10014, $$$"""{"m2m:nodA":{"rn":"node","lnk":"{{{csi}}}/nod000000000001","ni":"node-1"}}""");
        var bata = await Client.Create(csr + "/node", csi, 10013, $$$"""{"m2m:batA":{"lnk":"{{{csi}}}/mgo000000000001","mgd":1006,"btl":90}}""");

        Answered(fcnta, 2001);
        Assert.Equal(20.5, (double)fcnta.Resource("cod:tempeAnnc")["curT0"]!);
        Answered(noda, 2001);
        Answered(bata, 2001);
        Assert.Equal(90, Number(bata.Resource("m2m:batA"), "btl"));
        Answered(await Client.Create(csr, csi, 10028, $$$"""{"cod:tempeAnnc":{"lnk":"{{{csi}}}/fcnt000000000002","curT0":1.5}}"""), 4000);
    }

    [Fact]
    public async Task Deleting_the_announced_resource_or_deregistering_the_CSE_removes_it()
    {
        var (csi, csr) = await RegisterCse();
        var first = $"{csr}/{Text((await Client.Create(csr, csi, 10002, AeAnnc(csi))).Resource("m2m:aeA"), "rn")}";
        var second = $"{csr}/{Text((await Client.Create(csr, csi, 10002, AeAnnc(csi))).Resource("m2m:aeA"), "rn")}";

        Answered(await Client.Delete(first, csi), 2002);
        Answered(await Client.Retrieve(first, csi), 4004);
        Answered(await Client.Delete(csr, csi), 2002);
        Answered(await Client.Retrieve(second, OneM2MClient.Admin), 4004);
    }
}
