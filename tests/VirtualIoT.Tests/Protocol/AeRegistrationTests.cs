using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>AE registration and deregistration (docs/protocol.md §7, TS-0001 10.2.2.2, TS-0004 7.4.5.2.1).</summary>
[Collection(CseCollection.Name)]
public class AeRegistrationTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    private static string AeBody(string rn, string extra = "") =>
        $$$"""{"m2m:ae":{"rn":"{{{rn}}}","api":"Ntest","rr":true,"srv":["3"]{{{extra}}}}}""";

    [Theory]
    [InlineData("C", "C")]
    [InlineData("S", "S")]
    [InlineData("", "C")]
    [InlineData(null, "C")]
    public async Task Registration_without_an_AE_ID_gets_one_assigned_by_the_CSE(string? from, string expectedPrefix)
    {
        var rn = OneM2MClient.NewName("ae");

        var response = await Client.Create("/cse-in", from!, 2, AeBody(rn));

        Answered(response, 2001);
        var ae = response.Resource("m2m:ae");
        var aei = Text(ae, "aei");
        Assert.StartsWith(expectedPrefix, aei, StringComparison.Ordinal);
        Assert.True(aei.Length > 1, $"aei '{aei}' is only the prefix");
        Assert.Equal(aei, Text(ae, "ri"));
        Assert.Equal(rn, Text(ae, "rn"));
    }

    [Fact]
    public async Task Two_registrations_with_C_get_different_AE_IDs()
    {
        var first = await Client.Create("/cse-in", "C", 2, AeBody(OneM2MClient.NewName("ae")));

        var second = await Client.Create("/cse-in", "C", 2, AeBody(OneM2MClient.NewName("ae")));

        Answered(first, 2001);
        Answered(second, 2001);
        Assert.NotEqual(Text(first.Resource("m2m:ae"), "aei"), Text(second.Resource("m2m:ae"), "aei"));
    }

    [Fact]
    public async Task Registration_with_an_AE_ID_stem_uses_it_as_aei_and_ri()
    {
        var aeId = OneM2MClient.NewName("Cstem");

        var response = await Client.Create("/cse-in", aeId, 2, AeBody(OneM2MClient.NewName("ae")));

        Answered(response, 2001);
        var ae = response.Resource("m2m:ae");
        Assert.Equal(aeId, Text(ae, "aei"));
        Assert.Equal(aeId, Text(ae, "ri"));
        Assert.Equal("id-in", Text(ae, "pi"));
        Assert.Equal(2, Number(ae, "ty"));
    }

    [Fact]
    public async Task Registration_returns_all_assigned_and_given_attributes()
    {
        var aeId = OneM2MClient.NewName("C");

        var response = await Client.Create("/cse-in", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nmyapp","rr":false,"srv":["3"],"poa":["http://10.0.0.5:9000/ntf"],"apn":"app","lbl":["k:v"]}}""");

        Answered(response, 2001);
        var ae = response.Resource("m2m:ae");
        foreach (var attribute in new[] { "ri", "pi", "ct", "lt", "et", "aei" })
        {
            Assert.True(ae.ContainsKey(attribute), $"'{attribute}' missing from {ae.ToJsonString()}");
        }

        Assert.Equal("Nmyapp", Text(ae, "api"));
        Assert.False(ae["rr"]!.GetValue<bool>());
        Assert.Equal("http://10.0.0.5:9000/ntf", ae["poa"]![0]!.GetValue<string>());
        Assert.Equal("3", ae["srv"]![0]!.GetValue<string>());
        Assert.Equal(Text(ae, "ct"), Text(ae, "lt"));
    }

    [Fact]
    public async Task Registered_AE_is_retrievable_by_its_AE_ID_and_by_its_name()
    {
        var aeId = OneM2MClient.NewName("C");
        var rn = OneM2MClient.NewName("ae");
        Answered(await Client.Create("/cse-in", aeId, 2, AeBody(rn)), 2001);

        var byId = await Client.Retrieve("/" + aeId, aeId);
        var byName = await Client.Retrieve("/cse-in/" + rn, aeId);

        Answered(byId, 2000);
        Answered(byName, 2000);
        Assert.Equal(aeId, Text(byId.Resource("m2m:ae"), "ri"));
        Assert.Equal(aeId, Text(byName.Resource("m2m:ae"), "ri"));
    }

    [Fact]
    public async Task Re_registration_of_an_AE_ID_answers_4117()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in", aeId, 2, AeBody(OneM2MClient.NewName("ae")));

        Answered(response, 4117);
    }

    [Fact]
    public async Task Registration_with_a_taken_resource_name_answers_4105()
    {
        var taken = await Client.RegisterAe();

        var response = await Client.Create("/cse-in", OneM2MClient.NewName("C"), 2, AeBody(taken));

        Answered(response, 4105);
    }

    [Fact]
    public async Task Registration_refused_for_a_taken_name_leaves_its_AE_ID_unregistered()
    {
        var taken = await Client.RegisterAe();
        var aeId = OneM2MClient.NewName("C");
        Answered(await Client.Create("/cse-in", aeId, 2, AeBody(taken)), 4105);

        var byId = await Client.Retrieve("/" + aeId, OneM2MClient.Admin);
        var again = await Client.Create("/cse-in", aeId, 2, AeBody(OneM2MClient.NewName("ae")));

        // The AE's record is written beside the claim of its name: refused the name, it must not stay stored.
        Answered(byId, 4004);
        Answered(again, 2001);
    }

    [Fact]
    public async Task Re_registration_with_the_same_name_answers_4117_before_4105()
    {
        var aeId = await Client.RegisterAe(); // rn == aeId

        var response = await Client.Create("/cse-in", aeId, 2, AeBody(aeId));

        Answered(response, 4117);
    }

    [Theory]
    [InlineData("""{"m2m:ae":{"rn":"NAME","rr":true,"srv":["3"]}}""")]
    [InlineData("""{"m2m:ae":{"rn":"NAME","api":"Ntest","srv":["3"]}}""")]
    [InlineData("""{"m2m:ae":{"rn":"NAME","api":"Ntest","rr":true}}""")]
    [InlineData("""{"m2m:ae":{"rn":"NAME","api":"xtest","rr":true,"srv":["3"]}}""")]
    [InlineData("""{"m2m:ae":{"rn":"NAME","api":"","rr":true,"srv":["3"]}}""")]
    [InlineData("""{"m2m:ae":{"rn":"NAME","api":"Ntest","rr":"true","srv":["3"]}}""")]
    [InlineData("""{"m2m:ae":{"rn":"NAME","api":"Ntest","rr":true,"srv":"3"}}""")]
    [InlineData("""{"m2m:ae":{"rn":"NAME","api":"Ntest","rr":true,"srv":["3"],"aei":"Cmine"}}""")]
    [InlineData("""{"m2m:ae":{"rn":"NAME","api":"Ntest","rr":true,"srv":["3"],"ri":"Cmine"}}""")]
    [InlineData("""{"m2m:ae":{"rn":"NAME","api":"Ntest","rr":true,"srv":["3"],"cr":null}}""")]
    [InlineData("""{"m2m:ae":{"rn":"NAME","api":"Ntest","rr":true,"srv":["3"],"unknownAttr":1}}""")]
    public async Task Registration_with_a_missing_or_invalid_attribute_answers_4000(string body)
    {
        var aeId = OneM2MClient.NewName("C");

        var response = await Client.Create("/cse-in", aeId, 2, body.Replace("NAME", aeId, StringComparison.Ordinal));

        Answered(response, 4000);
        Answered(await Client.Retrieve("/" + aeId, OneM2MClient.Admin), 4004);
    }

    [Theory]
    [InlineData("/id-in")]
    [InlineData("id-in")]
    [InlineData("/other-cse")]
    public async Task Registration_from_a_CSE_ID_answers_4107(string from)
    {
        var name = OneM2MClient.NewName("ae");

        var response = await Client.Create("/cse-in", from, 2, AeBody(name));

        Answered(response, 4107);
        Answered(await Client.Retrieve("/cse-in/" + name, OneM2MClient.Admin), 4004);
    }

    [Theory]
    [InlineData("myAE")]
    [InlineData("Xapp")]
    [InlineData("app-C")]
    public async Task Registration_from_an_originator_that_is_not_an_AE_ID_stem_answers_4000(string from)
    {
        var response = await Client.Create("/cse-in", from, 2, AeBody(OneM2MClient.NewName("ae")));

        Answered(response, 4000);
    }

    [Fact]
    public async Task Registration_under_an_AE_answers_4108()
    {
        var parent = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + parent, OneM2MClient.NewName("C"), 2, AeBody(OneM2MClient.NewName("ae")));

        Answered(response, 4108);
    }

    [Fact]
    public async Task Registration_under_a_container_answers_4108()
    {
        var parent = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + parent, parent);

        var response = await Client.Create(container, OneM2MClient.NewName("C"), 2, AeBody(OneM2MClient.NewName("ae")));

        Answered(response, 4108);
    }

    [Fact]
    public async Task Deregistration_answers_2002_without_a_body()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Delete("/cse-in/" + aeId, aeId);

        Answered(response, 2002);
        Assert.Equal("", response.Body);
    }

    [Fact]
    public async Task Deregistration_deletes_the_subtree_by_ID_and_by_path()
    {
        var aeId = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        var nested = await Client.CreateContainer(container, aeId);
        var containerId = Text((await Client.Retrieve(container, aeId)).Resource("m2m:cnt"), "ri");
        var nestedId = Text((await Client.Retrieve(nested, aeId)).Resource("m2m:cnt"), "ri");
        var instanceId = Text(await Client.CreateInstance(container, aeId), "ri");

        Answered(await Client.Delete("/" + aeId, aeId), 2002);

        foreach (var path in new[] { "/" + aeId, "/cse-in/" + aeId, container, nested, "/" + containerId, "/" + nestedId,
            "/" + instanceId, container + "/la" })
        {
            Answered(await Client.Retrieve(path, OneM2MClient.Admin), 4004);
        }
    }

    [Fact]
    public async Task A_deregistered_AE_ID_can_register_again_without_its_old_children()
    {
        var aeId = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        Answered(await Client.Delete("/" + aeId, aeId), 2002);

        var response = await Client.Create("/cse-in", aeId, 2, AeBody(aeId));

        Answered(response, 2001);
        Answered(await Client.Retrieve(container, aeId), 4004);
    }
}
