using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Protocol;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Remote;

/// <summary>
/// Announcement between two VirtualIoT instances (TS-0001 10.2.18): resources of the MN-CSE whose <c>at</c>
/// names the IN-CSE get announced copies there (AEAnnc under the MN's <c>&lt;remoteCSE&gt;</c>, containerAnnc under
/// it, contentInstanceAnnc under that), kept in step when an announced attribute changes (both ways with <c>ast</c>
/// 2), and removed when the IN leaves <c>at</c> or the original is deleted. Run over HTTP
/// (<see cref="AnnouncementPairTests"/>) and MQTT (<see cref="MqttAnnouncementPairTests"/>).
/// </summary>
public abstract class AnnouncementPairScenarios(CsePairFixture pair)
{
    private const string MnAtIn = "/cse-in/id-mn";

    private OneM2MClient Mn => pair.Mn.Client;

    private OneM2MClient In => pair.In.Client;

    private async Task WaitForRegistration() =>
        await M2MTime.WaitUntil(async () => (await In.Retrieve(MnAtIn, OneM2MClient.Admin)).Rsc == 2000,
            "the MN-CSE's <remoteCSE> /cse-in/id-mn at the IN-CSE", CopyTimeout);

    /// <summary>An AE of the MN announced to the IN with <paramref name="aa"/>; its AE-ID.</summary>
    private async Task<string> AnnouncedAe(string aa = "\"apn\"")
    {
        var aeId = OneM2MClient.NewName("Cannc");
        Answered(await Mn.Create("/cse-mn", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nannc","apn":"meter","rr":false,"srv":["3"],"lbl":["floor:2"],"at":["/id-in"],"aa":[{{{aa}}}]}}"""), 2001);
        return aeId;
    }

    /// <summary>The announced copy at the IN (under <paramref name="parent"/>) whose <c>lnk</c> is <paramref name="link"/>, or null.</summary>
    private async Task<(string Path, JsonObject Resource)?> FindCopy(string parent, int ty, string link)
    {
        var found = await In.Discover(parent, OneM2MClient.Admin, $"ty={ty}");
        if (found.Rsc != 2000)
        {
            return null;
        }

        foreach (var uri in UriList(found))
        {
            var copy = await In.Retrieve("/" + uri.TrimStart('/'), OneM2MClient.Admin);
            // A copy listed can be gone by the time it is read (an error answer: no resource under its root).
            var root = copy.Rsc == 2000 ? copy.Json?.AsObject().FirstOrDefault().Value as JsonObject : null;
            if (copy.Rsc == 2000 && root is not null && root["lnk"]?.GetValue<string>() == link)
            {
                return ("/" + uri.TrimStart('/'), root);
            }
        }

        return null;
    }

    // An announcement or synchronisation is retried with back-off until the other CSE takes it; a hop over MQTT on a
    // loaded machine was seen to need more than the usual 15 s.
    private static readonly TimeSpan CopyTimeout = TimeSpan.FromSeconds(40);

    /// <summary>Waits for the copy <see cref="FindCopy"/> finds and for <paramref name="fits"/> to hold of it.</summary>
    private async Task<(string Path, JsonObject Resource)> WaitForCopy(string parent, int ty, string link, Func<JsonObject, bool>? fits = null)
    {
        (string Path, JsonObject Resource)? last = null;
        await M2MTime.WaitUntil(async () => (last = await FindCopy(parent, ty, link)) is { } copy && (fits?.Invoke(copy.Resource) ?? true),
            $"an announced resource (ty {ty}) at the IN under {parent} with lnk {link}", CopyTimeout);
        return last!.Value;
    }

    [Fact]
    public async Task An_AE_its_container_and_an_instance_are_announced_to_the_IN()
    {
        await WaitForRegistration();
        var aeId = await AnnouncedAe();
        var cnt = await Mn.Create($"/cse-mn/{aeId}", aeId, 3, """{"m2m:cnt":{"rn":"temp","mni":5,"at":["/id-in"],"aa":["mni"]}}""");
        Answered(cnt, 2001);
        var cin = await Mn.Create($"/cse-mn/{aeId}/temp", aeId, 4, """{"m2m:cin":{"con":"21.5","cnf":"text/plain:0","at":["/id-in"],"aa":["con","cnf"]}}""");
        Answered(cin, 2001);

        var aea = await WaitForCopy(MnAtIn, 10002, "/id-mn/" + aeId);
        var cnta = await WaitForCopy(aea.Path, 10003, "/id-mn/" + Text(cnt.Resource("m2m:cnt"), "ri"));
        var cina = await WaitForCopy(cnta.Path, 10004, "/id-mn/" + Text(cin.Resource("m2m:cin"), "ri"));

        Assert.Equal("meter", Text(aea.Resource, "apn"));
        Assert.Equal("floor:2", aea.Resource["lbl"]![0]!.GetValue<string>());
        Assert.Null(aea.Resource["api"]);
        Assert.Equal(5, Number(cnta.Resource, "mni"));
        Assert.Equal("21.5", Text(cina.Resource, "con"));
        Assert.Equal("text/plain:0", Text(cina.Resource, "cnf"));
    }

    [Fact]
    public async Task An_announced_policy_decides_who_reads_the_announced_container_at_the_IN()
    {
        await WaitForRegistration();
        var reader = await In.RegisterAe();
        var other = await In.RegisterAe();
        var aeId = await AnnouncedAe();
        var acp = await Mn.Create($"/cse-mn/{aeId}", aeId, 1,
            $$$$"""{"m2m:acp":{"rn":"readers","pv":{"acr":[{"acor":["/id-in/{{{{reader}}}}"],"acop":34},{"acor":["{{{{aeId}}}}"],"acop":63}]},"pvs":{"acr":[{"acor":["{{{{aeId}}}}"],"acop":63}]},"at":["/id-in"]}}""");
        Answered(acp, 2001);
        var acpId = Text(acp.Resource("m2m:acp"), "ri");
        var cnt = await Mn.Create($"/cse-mn/{aeId}", aeId, 3, $$$"""{"m2m:cnt":{"rn":"guarded","acpi":["{{{acpId}}}"],"at":["/id-in"]}}""");
        Answered(cnt, 2001);

        var aea = await WaitForCopy(MnAtIn, 10002, "/id-mn/" + aeId);
        var acpa = await WaitForCopy(aea.Path, 10001, "/id-mn/" + acpId);
        var cnta = await WaitForCopy(aea.Path, 10003, "/id-mn/" + Text(cnt.Resource("m2m:cnt"), "ri"));

        // The copy's rules name the MN's AE as the IN sees it, and the IN's AE as the MN named it.
        Assert.Equal(["/id-in/" + reader, "/id-mn/" + aeId],
            acpa.Resource["pv"]!["acr"]!.AsArray().Select(rule => rule!["acor"]![0]!.GetValue<string>()).ToArray());
        Assert.Equal("/id-mn/" + acpId, cnta.Resource["acpi"]![0]!.GetValue<string>());
        Answered(await In.Retrieve(cnta.Path, reader), 2000);
        Answered(await In.Retrieve(cnta.Path, other), 4103);
        Answered(await In.Update(cnta.Path, reader, """{"m2m:cntA":{"lbl":["x"]}}"""), 4103);
    }

    [Fact]
    public async Task An_update_of_an_announced_attribute_reaches_the_copy()
    {
        await WaitForRegistration();
        var aeId = await AnnouncedAe();
        await WaitForCopy(MnAtIn, 10002, "/id-mn/" + aeId);

        Answered(await Mn.Update($"/cse-mn/{aeId}", aeId, """{"m2m:ae":{"apn":"meter-2","lbl":["floor:3"]}}"""), 2004);

        var aea = await WaitForCopy(MnAtIn, 10002, "/id-mn/" + aeId, copy => copy["apn"]?.GetValue<string>() == "meter-2");
        Assert.Equal("floor:3", aea.Resource["lbl"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task An_attribute_named_in_aa_later_is_announced_then_and_dropped_when_aa_drops_it()
    {
        await WaitForRegistration();
        var aeId = await AnnouncedAe();
        await WaitForCopy(MnAtIn, 10002, "/id-mn/" + aeId);

        Answered(await Mn.Update($"/cse-mn/{aeId}", aeId, """{"m2m:ae":{"aa":["api"]}}"""), 2004);

        await WaitForCopy(MnAtIn, 10002, "/id-mn/" + aeId, copy => copy["api"]?.GetValue<string>() == "Nannc" && copy["apn"] is null);
    }

    [Fact]
    public async Task Leaving_at_or_deleting_the_original_removes_the_copy()
    {
        await WaitForRegistration();
        var kept = await AnnouncedAe();
        var deleted = await AnnouncedAe();
        var first = await WaitForCopy(MnAtIn, 10002, "/id-mn/" + kept);
        var second = await WaitForCopy(MnAtIn, 10002, "/id-mn/" + deleted);

        Answered(await Mn.Update($"/cse-mn/{kept}", kept, """{"m2m:ae":{"at":null}}"""), 2004);
        Answered(await Mn.Delete($"/cse-mn/{deleted}", deleted), 2002);

        await M2MTime.WaitUntil(async () => (await In.Retrieve(first.Path, OneM2MClient.Admin)).Rsc == 4004, "the de-announced AE's copy to go", CopyTimeout);
        await M2MTime.WaitUntil(async () => (await In.Retrieve(second.Path, OneM2MClient.Admin)).Rsc == 4004, "the deleted AE's copy to go", CopyTimeout);
        Answered(await Mn.Retrieve($"/cse-mn/{kept}", kept), 2000);
    }

    [Fact]
    public async Task A_bad_aa_is_4000_at_the_original()
    {
        await WaitForRegistration();
        var aeId = OneM2MClient.NewName("Cannc");

        var response = await Mn.Create("/cse-mn", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nannc","rr":false,"srv":["3"],"at":["/id-in"],"aa":["nosuch"]}}""");

        Answered(response, 4000);
    }

    [Fact]
    public async Task Instances_evicted_by_mni_or_deleted_lose_their_copies()
    {
        await WaitForRegistration();
        var aeId = await AnnouncedAe();
        var cnt = await Mn.Create($"/cse-mn/{aeId}", aeId, 3, """{"m2m:cnt":{"rn":"temp","mni":2,"at":["/id-in"]}}""");
        Answered(cnt, 2001);
        var aea = await WaitForCopy(MnAtIn, 10002, "/id-mn/" + aeId);
        var cnta = await WaitForCopy(aea.Path, 10003, "/id-mn/" + Text(cnt.Resource("m2m:cnt"), "ri"));
        var copies = new List<string>();
        var names = new List<string>();
        foreach (var value in (string[])["1", "2"])
        {
            var cin = await Mn.Create($"/cse-mn/{aeId}/temp", aeId, 4, $$$"""{"m2m:cin":{"con":"{{{value}}}","at":["/id-in"]}}""");
            Answered(cin, 2001);
            names.Add(Text(cin.Resource("m2m:cin"), "rn"));
            copies.Add((await WaitForCopy(cnta.Path, 10004, "/id-mn/" + Text(cin.Resource("m2m:cin"), "ri"))).Path);
        }

        // A third instance evicts the first (mni 2); the second is deleted by request.
        Answered(await Mn.Create($"/cse-mn/{aeId}/temp", aeId, 4, """{"m2m:cin":{"con":"3","at":["/id-in"]}}"""), 2001);
        Answered(await Mn.Delete($"/cse-mn/{aeId}/temp/{names[1]}", aeId), 2002);

        await M2MTime.WaitUntil(async () => (await In.Retrieve(copies[0], OneM2MClient.Admin)).Rsc == 4004, "the evicted instance's copy to go", CopyTimeout);
        await M2MTime.WaitUntil(async () => (await In.Retrieve(copies[1], OneM2MClient.Admin)).Rsc == 4004, "the deleted instance's copy to go", CopyTimeout);
    }

    /// <summary>The AEAnnc copies at the MN (under its <c>&lt;remoteCSE&gt;</c> of the IN) whose <c>lnk</c> is <paramref name="link"/>.</summary>
    private async Task<List<(string Path, JsonObject Resource)>> AeCopiesAtMn(string link)
    {
        var copies = new List<(string Path, JsonObject Resource)>();
        var found = await Mn.Discover("/cse-mn/id-in", OneM2MClient.Admin, "ty=10002");
        foreach (var uri in found.Rsc == 2000 ? UriList(found) : [])
        {
            var copy = await Mn.Retrieve("/" + uri.TrimStart('/'), OneM2MClient.Admin);
            if (copy.Rsc == 2000 && copy.Resource("m2m:aeA")["lnk"]?.GetValue<string>() == link)
            {
                copies.Add(("/" + uri.TrimStart('/'), copy.Resource("m2m:aeA")));
            }
        }

        return copies;
    }

    [Fact]
    public async Task A_resource_of_the_IN_is_announced_to_the_MN_under_the_registrar_remoteCSE_there()
    {
        await WaitForRegistration();
        var aeId = OneM2MClient.NewName("Cannc");
        Answered(await In.Create("/cse-in", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nannc","apn":"cloud","rr":false,"srv":["3"],"at":["/id-mn"],"aa":["apn"]}}"""), 2001);

        var link = "/id-in/" + aeId;
        await M2MTime.WaitUntil(async () => (await AeCopiesAtMn(link)).Any(copy => Text(copy.Resource, "apn") == "cloud"),
            $"the IN's AE {aeId} announced to the MN under /cse-mn/id-in", CopyTimeout);

        // Once the IN recorded its copy, that is the only one there (a create sent twice, after a timeout say, made one).
        string? named = null;
        await M2MTime.WaitUntil(async () => (named = (await In.Retrieve($"/cse-in/{aeId}", aeId)).Json?["m2m:ae"]?["at"]?[0]?.GetValue<string>()) is { } at
                && at.StartsWith("/id-mn/", StringComparison.Ordinal),
            "the at of the IN's AE to name its copy at the MN", CopyTimeout);
        var copies = await AeCopiesAtMn(link);
        Assert.Equal([named!["/id-mn/".Length..]], copies.Select(copy => Text(copy.Resource, "ri")));
        var path = copies[0].Path;

        Answered(await In.Delete($"/cse-in/{aeId}", aeId), 2002);
        await M2MTime.WaitUntil(async () => (await Mn.Retrieve(path, OneM2MClient.Admin)).Rsc == 4004, "the IN AE's copy at the MN to go", CopyTimeout);
    }

    [Fact]
    public async Task Once_the_copies_are_made_the_originals_at_names_them()
    {
        await WaitForRegistration();
        var aeId = await AnnouncedAe();
        var cnt = await Mn.Create($"/cse-mn/{aeId}", aeId, 3, """{"m2m:cnt":{"rn":"temp","at":["/id-in"]}}""");
        Answered(cnt, 2001);
        var cin = await Mn.Create($"/cse-mn/{aeId}/temp", aeId, 4, """{"m2m:cin":{"con":"1","at":["/id-in"]}}""");
        Answered(cin, 2001);
        var aea = await WaitForCopy(MnAtIn, 10002, "/id-mn/" + aeId);
        var cnta = await WaitForCopy(aea.Path, 10003, "/id-mn/" + Text(cnt.Resource("m2m:cnt"), "ri"));
        var cina = await WaitForCopy(cnta.Path, 10004, "/id-mn/" + Text(cin.Resource("m2m:cin"), "ri"));

        foreach (var (path, root, copy) in new[]
        {
            ($"/cse-mn/{aeId}", "m2m:ae", aea), ($"/cse-mn/{aeId}/temp", "m2m:cnt", cnta),
            ($"/cse-mn/{aeId}/temp/{Text(cin.Resource("m2m:cin"), "rn")}", "m2m:cin", cina),
        })
        {
            var named = "/id-in/" + Text(copy.Resource, "ri");
            await M2MTime.WaitUntil(async () => (await Mn.Retrieve(path, aeId)).Json?[root]?["at"]?[0]?.GetValue<string>() == named,
                $"the at of {path} to name its copy {named}", CopyTimeout);
        }

        // An update keeps the one copy the at names.
        Answered(await Mn.Update($"/cse-mn/{aeId}", aeId, """{"m2m:ae":{"apn":"meter-3"}}"""), 2004);
        var updated = await WaitForCopy(MnAtIn, 10002, "/id-mn/" + aeId, copy => copy["apn"]?.GetValue<string>() == "meter-3");
        Assert.Equal(Text(aea.Resource, "ri"), Text(updated.Resource, "ri"));
    }

    /// <summary>A container of a new AE of the MN announced to the IN with <paramref name="ast"/>; the AE-ID, the container's path and ID.</summary>
    private async Task<(string AeId, string Path, string Ri)> AnnouncedContainer(int ast)
    {
        var aeId = await AnnouncedAe();
        var cnt = await Mn.Create($"/cse-mn/{aeId}", aeId, 3,
            $$$"""{"m2m:cnt":{"rn":"synced","mni":5,"mbs":1000,"lbl":["a"],"at":["/id-in"],"aa":["mni"],"ast":{{{ast}}}}}""");
        Answered(cnt, 2001);
        return (aeId, $"/cse-mn/{aeId}/synced", Text(cnt.Resource("m2m:cnt"), "ri"));
    }

    [Fact]
    public async Task With_ast_2_an_update_of_the_copy_reaches_the_original_and_one_of_the_original_the_copy()
    {
        await WaitForRegistration();
        var (aeId, path, ri) = await AnnouncedContainer(ast: 2);
        var aea = await WaitForCopy(MnAtIn, 10002, "/id-mn/" + aeId);
        var cnta = await WaitForCopy(aea.Path, 10003, "/id-mn/" + ri);
        Assert.Equal(2, Number(cnta.Resource, "ast"));

        Answered(await In.Update(cnta.Path, OneM2MClient.Admin, """{"m2m:cntA":{"mni":7,"lbl":["b"]}}"""), 2004);

        await M2MTime.WaitUntil(async () => (await Mn.Retrieve(path, aeId)).Json?["m2m:cnt"] is { } cnt
            && cnt["mni"]?.GetValue<long>() == 7 && cnt["lbl"]?[0]?.GetValue<string>() == "b", "the copy's change to reach the original", CopyTimeout);
        var copy = (await In.Retrieve(cnta.Path, OneM2MClient.Admin)).Resource("m2m:cntA");
        Assert.Equal(7, Number(copy, "mni"));
        Assert.Equal(1000, Number((await Mn.Retrieve(path, aeId)).Resource("m2m:cnt"), "mbs"));

        Answered(await Mn.Update(path, aeId, """{"m2m:cnt":{"mni":9}}"""), 2004);
        var updated = await WaitForCopy(aea.Path, 10003, "/id-mn/" + ri, c => c["mni"]?.GetValue<long>() == 9);
        Assert.Equal("b", updated.Resource["lbl"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Only_the_CSE_holding_a_copy_with_ast_2_may_update_the_original_and_only_what_the_copy_carries()
    {
        await WaitForRegistration();
        var oneWay = await AnnouncedContainer(ast: 1);
        var bothWays = await AnnouncedContainer(ast: 2);

        Answered(await Mn.Update(bothWays.Path, "/id-in", """{"m2m:cnt":{"mni":3,"lbl":["c"]}}"""), 2004);
        Answered(await Mn.Update(bothWays.Path, "/id-in", """{"m2m:cnt":{"mbs":10}}"""), 4103);
        Answered(await Mn.Update(bothWays.Path, "/id-in", """{"m2m:cnt":{"ast":1}}"""), 4103);
        Answered(await Mn.Update(bothWays.Path, "/id-other", """{"m2m:cnt":{"mni":4}}"""), 4103);
        Answered(await Mn.Update(oneWay.Path, "/id-in", """{"m2m:cnt":{"mni":3}}"""), 4103);
        Answered(await Mn.Update(oneWay.Path, oneWay.AeId, """{"m2m:cnt":{"ast":3}}"""), 4000);
        Assert.Equal(3, Number((await Mn.Retrieve(bothWays.Path, bothWays.AeId)).Resource("m2m:cnt"), "mni"));
    }
}

/// <summary>The announcement scenarios over HTTP.</summary>
[Trait("Speed", "Slow")]
public sealed class AnnouncementPairTests(CsePairFixture pair) : AnnouncementPairScenarios(pair), IClassFixture<CsePairFixture>;

/// <summary>The announcement scenarios over MQTT: every announcement and synchronisation request published to the other CSE's broker.</summary>
[Trait("Speed", "Slow")]
public sealed class MqttAnnouncementPairTests(MqttCsePairFixture pair) : AnnouncementPairScenarios(pair), IClassFixture<MqttCsePairFixture>;
