using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// The accessControlPolicy resource (ty 1, docs/protocol.md §2.7, §11): its attributes and their validation, its own
/// access through <c>pvs</c>, <c>acpi</c> links and who may change them, and policy changes taking effect.
/// </summary>
[Collection(CseCollection.Name)]
public sealed class AccessControlPolicyTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    private static string Acp(string pv, string pvs, string extra = "") =>
        $$$$"""{"m2m:acp":{"pv":{{{{pv}}}},"pvs":{{{{pvs}}}}{{{{extra}}}}}}""";

    private static string Rules(string originator, int operations) =>
        $$$"""{"acr":[{"acor":["{{{originator}}}"],"acop":{{{operations}}}}]}""";

    /// <summary>Creates a policy under <paramref name="parent"/>; returns its resource ID.</summary>
    private async Task<string> CreateAcp(string parent, string originator, string pv, string pvs)
    {
        var response = await Client.Create(parent, originator, 1, Acp(pv, pvs));
        Answered(response, 2001);
        return Text(response.Resource("m2m:acp"), "ri");
    }

    [Fact]
    public async Task An_AE_creates_a_policy_under_itself_and_gets_it_back()
    {
        var ae = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + ae, ae, 1,
            Acp("""{"acr":[{"acor":["Cfriend","all"],"acop":34,"acco":[{"actw":["* * 8-17 * * 1-5 *"],"acip":{"ipv4":["10.0.0.0/8"]}}]}]}""",
                Rules(ae, 63), ""","rn":"myAcp","lbl":["k:v"]"""));

        Answered(response, 2001);
        var acp = response.Resource("m2m:acp");
        Assert.Equal(1, Number(acp, "ty"));
        Assert.Matches("^acp[A-Za-z0-9]{12}$", Text(acp, "ri"));
        Assert.Equal(ae, Text(acp, "pi"));
        Assert.Equal(34, (int)acp["pv"]!["acr"]![0]!["acop"]!);
        Assert.Equal("* * 8-17 * * 1-5 *", (string)acp["pv"]!["acr"]![0]!["acco"]![0]!["actw"]![0]!);
        Assert.Null(acp["acpi"]);
        var again = await Client.Retrieve($"/cse-in/{ae}/myAcp", ae);
        Answered(again, 2000);
        Assert.Equal(Text(acp, "ri"), Text(again.Resource("m2m:acp"), "ri"));
    }

    [Fact]
    public async Task A_registered_AE_creates_a_policy_under_the_CSEBase()
    {
        var ae = await Client.RegisterAe();

        var response = await Client.Create("/cse-in", ae, 1, Acp("""{"acr":[]}""", Rules(ae, 63)));

        Answered(response, 2001);
        Assert.Equal("id-in", Text(response.Resource("m2m:acp"), "pi"));
    }

    public static TheoryData<string, int> BadPolicies() => new()
    {
        { """{"m2m:acp":{"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 4000 }, // pv missing
        { """{"m2m:acp":{"pv":{"acr":[]}}}""", 4000 }, // pvs missing
        { """{"m2m:acp":{"pv":{"acr":[]},"pvs":{"acr":[]}}}""", 4000 }, // pvs without a rule
        { """{"m2m:acp":{"pv":[],"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 4000 }, // pv not an object
        { """{"m2m:acp":{"pv":{"acr":[{"acor":["all"],"acop":64}]},"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 4000 }, // acop > 63
        { """{"m2m:acp":{"pv":{"acr":[{"acor":["all"],"acop":"2"}]},"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 4000 }, // acop a string
        { """{"m2m:acp":{"pv":{"acr":[{"acor":"all","acop":2}]},"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 4000 }, // acor not a list
        { """{"m2m:acp":{"pv":{"acr":[{"acop":2}]},"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 4000 }, // acor missing
        { """{"m2m:acp":{"pv":{"acr":[{"acor":["all"],"acop":2,"x":1}]},"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 4000 }, // unknown rule member
        { """{"m2m:acp":{"pv":{"acr":[{"acor":["all"],"acop":2,"acco":[{"actw":["* * *"]}]}]},"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 4000 }, // actw with 3 fields
        { """{"m2m:acp":{"pv":{"acr":[{"acor":["all"],"acop":2,"acco":[{"actw":["* * 25 * * * *"]}]}]},"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 4000 }, // hour 25
        { """{"m2m:acp":{"pv":{"acr":[{"acor":["all"],"acop":2,"acco":[{"acip":{"ipv4":["10.0.0.300/8"]}}]}]},"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 4000 }, // bad IPv4
        { """{"m2m:acp":{"pv":{"acr":[{"acor":["all"],"acop":2,"acco":[{"acip":{"ipv4":["::1"]}}]}]},"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 4000 }, // IPv6 in ipv4
        { """{"m2m:acp":{"pv":{"acr":[{"acor":["all"],"acop":2,"acco":[{"aclr":{"accr":[1,2,3]}}]}]},"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 5001 }, // location
        { """{"m2m:acp":{"pv":{"acr":[{"acor":["all"],"acop":2,"acaf":true}]},"pvs":{"acr":[{"acor":["all"],"acop":63}]}}}""", 5001 }, // authentication flag
        { """{"m2m:acp":{"pv":{"acr":[]},"pvs":{"acr":[{"acor":["all"],"acop":63}]},"cr":null}}""", 4000 }, // cr: ACP has no creator
        { """{"m2m:acp":{"pv":{"acr":[]},"pvs":{"acr":[{"acor":["all"],"acop":63}]},"acpi":["x"]}}""", 4000 }, // ACP has no acpi
        { """{"m2m:acp":{"pv":{"acr":[]},"pvs":{"acr":[{"acor":["all"],"acop":63}]},"adri":["x"]}}""", 5001 }, // distributed authorization
    };

    [Theory]
    [MemberData(nameof(BadPolicies))]
    public async Task An_invalid_policy_is_refused_with_its_status(string body, int rsc)
    {
        var ae = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + ae, ae, 1, body);

        Answered(response, rsc);
        Assert.Empty(UriList(await Client.Discover("/cse-in/" + ae, ae, "ty=1")));
    }

    [Fact]
    public async Task The_policy_itself_follows_its_self_privileges_not_its_creator()
    {
        var ae = await Client.RegisterAe();
        var friend = await Client.RegisterAe();
        var acp = await CreateAcp("/cse-in/" + ae, ae, Rules(ae, 63), Rules(friend, 2 | 4));

        var byCreator = await Client.Retrieve("/" + acp, ae);
        var byFriend = await Client.Retrieve("/" + acp, friend);
        var friendUpdates = await Client.Update("/" + acp, friend, """{"m2m:acp":{"lbl":["x"]}}""");
        var friendDeletes = await Client.Delete("/" + acp, friend);
        var adminDeletes = await Client.Delete("/" + acp, OneM2MClient.Admin);

        Answered(byCreator, 4103);
        Answered(byFriend, 2000);
        Answered(friendUpdates, 2004);
        Answered(friendDeletes, 4103);
        Answered(adminDeletes, 2002);
    }

    [Fact]
    public async Task Updating_self_privileges_to_no_rule_is_refused()
    {
        var ae = await Client.RegisterAe();
        var acp = await CreateAcp("/cse-in/" + ae, ae, Rules(ae, 63), Rules(ae, 63));

        var response = await Client.Update("/" + acp, ae, """{"m2m:acp":{"pvs":{"acr":[]}}}""");

        Answered(response, 4000);
    }

    [Theory]
    [InlineData("""["acpNotThere1234"]""")]
    [InlineData("""["cnt123456789012"]""")]
    [InlineData("""["cse-in/whatever"]""")]
    public async Task Acpi_naming_no_policy_is_refused_with_4000(string acpi)
    {
        var ae = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + ae, ae, 3, $$$"""{"m2m:cnt":{"acpi":{{{acpi}}}}}""");

        Answered(response, 4000);
    }

    [Fact]
    public async Task Acpi_may_name_a_policy_by_its_SP_relative_ID()
    {
        var ae = await Client.RegisterAe();
        var reader = await Client.RegisterAe();
        var acp = await CreateAcp("/cse-in/" + ae, ae, Rules(reader, 2), Rules(ae, 63));

        var created = await Client.Create("/cse-in/" + ae, ae, 3, $$$"""{"m2m:cnt":{"rn":"c","acpi":["/id-in/{{{acp}}}"]}}""");

        Answered(created, 2001);
        Answered(await Client.Retrieve($"/cse-in/{ae}/c", reader), 2000);
    }

    [Fact]
    public async Task An_acpi_update_must_travel_alone()
    {
        var ae = await Client.RegisterAe();
        var acp = await CreateAcp("/cse-in/" + ae, ae, Rules(ae, 63), Rules(ae, 63));
        var container = await Client.CreateContainer("/cse-in/" + ae, ae);

        var response = await Client.Update(container, ae, $$$"""{"m2m:cnt":{"acpi":["{{{acp}}}"],"lbl":["x"]}}""");

        Answered(response, 4000);
    }

    [Fact]
    public async Task Changing_acpi_needs_UPDATE_in_the_linked_policies_self_privileges()
    {
        var ae = await Client.RegisterAe();
        var editor = await Client.RegisterAe();
        var first = await CreateAcp("/cse-in/" + ae, ae, Rules(editor, 63), Rules(ae, 63));
        var second = await CreateAcp("/cse-in/" + ae, ae, Rules(editor, 63), Rules(ae, 63));
        var container = await Client.CreateContainer("/cse-in/" + ae, ae, extra: $$$""","acpi":["{{{first}}}"]""");

        var editorLabels = await Client.Update(container, editor, """{"m2m:cnt":{"lbl":["x"]}}""");
        var editorRelinks = await Client.Update(container, editor, $$$"""{"m2m:cnt":{"acpi":["{{{second}}}"]}}""");
        var ownerLabels = await Client.Update(container, ae, """{"m2m:cnt":{"lbl":["y"]}}""");
        var ownerRelinks = await Client.Update(container, ae, $$$"""{"m2m:cnt":{"acpi":["{{{second}}}"]}}""");

        Answered(editorLabels, 2004);
        Answered(editorRelinks, 4103);
        Answered(ownerLabels, 4103); // with acpi set, only the policies count
        Answered(ownerRelinks, 2004);
        Assert.Equal(second, (string)(await Client.Retrieve(container, editor)).Resource("m2m:cnt")["acpi"]![0]!);
    }

    [Fact]
    public async Task Without_acpi_only_the_owner_may_set_it()
    {
        var ae = await Client.RegisterAe();
        var other = await Client.RegisterAe();
        var acp = await CreateAcp("/cse-in/" + other, other, Rules(other, 63), Rules(other, 63));
        var container = await Client.CreateContainer("/cse-in/" + ae, ae);

        var response = await Client.Update(container, other, $$$"""{"m2m:cnt":{"acpi":["{{{acp}}}"]}}""");

        Answered(response, 4103);
    }

    [Fact]
    public async Task Removing_acpi_brings_back_the_owner_rule()
    {
        var ae = await Client.RegisterAe();
        var reader = await Client.RegisterAe();
        var acp = await CreateAcp("/cse-in/" + ae, ae, Rules(reader, 2), Rules(ae, 63));
        var container = await Client.CreateContainer("/cse-in/" + ae, ae, extra: $$$""","acpi":["{{{acp}}}"]""");

        var removed = await Client.Update(container, ae, """{"m2m:cnt":{"acpi":null}}""");

        Answered(removed, 2004);
        Answered(await Client.Retrieve(container, ae), 2000);
        Answered(await Client.Retrieve(container, reader), 4103);
    }

    [Fact]
    public async Task A_policy_change_takes_effect_at_once()
    {
        var ae = await Client.RegisterAe();
        var reader = await Client.RegisterAe();
        var acp = await CreateAcp("/cse-in/" + ae, ae, Rules(reader, 2), Rules(ae, 63));
        var container = await Client.CreateContainer("/cse-in/" + ae, ae, extra: $$$""","acpi":["{{{acp}}}"]""");
        Answered(await Client.Retrieve(container, reader), 2000);

        var revoked = await Client.Update("/" + acp, ae, $$$"""{"m2m:acp":{"pv":{{{Rules(ae, 63)}}}}}""");

        Answered(revoked, 2004);
        Answered(await Client.Retrieve(container, reader), 4103);
        Answered(await Client.Retrieve(container, ae), 2000);
    }

    [Fact]
    public async Task Deleting_the_policy_takes_away_what_it_granted()
    {
        var ae = await Client.RegisterAe();
        var reader = await Client.RegisterAe();
        var acp = await CreateAcp("/cse-in/" + ae, ae, Rules(reader, 2), Rules(ae, 63));
        var container = await Client.CreateContainer("/cse-in/" + ae, ae, extra: $$$""","acpi":["{{{acp}}}"]""");
        Answered(await Client.Retrieve(container, reader), 2000);

        Answered(await Client.Delete("/" + acp, ae), 2002);

        Answered(await Client.Retrieve(container, reader), 4103);
        Answered(await Client.Retrieve(container, OneM2MClient.Admin), 2000);
    }

    [Theory]
    [InlineData("127.0.0.0/8", 2000)]
    [InlineData("10.0.0.0/8", 4103)]
    public async Task An_IP_range_in_acco_admits_only_requests_from_it(string range, int rsc)
    {
        var ae = await Client.RegisterAe();
        var reader = await Client.RegisterAe();
        var pv = $$$"""{"acr":[{"acor":["{{{reader}}}"],"acop":2,"acco":[{"acip":{"ipv4":["{{{range}}}"]}}]}]}""";
        var acp = await CreateAcp("/cse-in/" + ae, ae, pv, Rules(ae, 63));
        var container = await Client.CreateContainer("/cse-in/" + ae, ae, extra: $$$""","acpi":["{{{acp}}}"]""");

        var response = await Client.Retrieve(container, reader);

        Answered(response, rsc);
    }

    [Fact]
    public async Task A_denied_request_carries_nothing_of_the_resource()
    {
        var ae = await Client.RegisterAe();
        var stranger = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + ae, ae);
        var instance = await Client.CreateInstance(container, ae, "secret");

        var byName = await Client.Retrieve($"{container}/{Text(instance, "rn")}", stranger);
        var byId = await Client.Retrieve("/" + Text(instance, "ri"), stranger);
        var latest = await Client.Retrieve(container + "/la", stranger);
        var children = await Client.Retrieve(container + "?rcn=4", stranger);

        foreach (var response in new[] { byName, byId, latest, children })
        {
            Answered(response, 4103);
            Assert.DoesNotContain("secret", response.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(Text(instance, "ri"), response.Body, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(8)]
    public async Task Child_resources_and_references_in_a_retrieve_are_only_those_the_originator_may_retrieve(int rcn)
    {
        var ae = await Client.RegisterAe();
        var reader = await Client.RegisterAe();
        var acp = await CreateAcp("/cse-in/" + ae, ae, Rules(reader, 2), Rules(ae, 63));
        await Client.CreateContainer("/cse-in/" + ae, ae, "private");
        await Client.CreateContainer("/cse-in/" + ae, ae, "shared", $$$""","acpi":["{{{acp}}}"]""");
        Answered(await Client.Update("/cse-in/" + ae, ae, $$$"""{"m2m:ae":{"acpi":["{{{acp}}}"]}}"""), 2004);

        var response = await Client.Retrieve($"/cse-in/{ae}?rcn={rcn}", reader);

        // The policy (a child too) and the private container are left out, by name as well (no existence oracle).
        Answered(response, 2000);
        var names = rcn switch
        {
            5 => response.Resource("m2m:ae")["ch"]!.AsArray().Select(c => (string)c!["nm"]!),
            6 => response.Resource("m2m:rrl")["rrf"]!.AsArray().Select(c => (string)c!["nm"]!),
            _ => response.Resource("m2m:ae")["m2m:cnt"]!.AsArray().Select(c => (string)c!["rn"]!),
        };
        Assert.Equal(["shared"], names);
        var all = await Client.Retrieve($"/cse-in/{ae}?rcn=6", OneM2MClient.Admin);
        Assert.Equal(3, all.Resource("m2m:rrl")["rrf"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_missing_target_is_4004_before_any_privilege_check()
    {
        var ae = await Client.RegisterAe();
        var stranger = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + ae, ae);

        // TS-0004 7.3.2.1: the receiver checks that the target exists before it checks privileges.
        var response = await Client.Retrieve(container + "/notThere", stranger);

        Answered(response, 4004);
    }
}
