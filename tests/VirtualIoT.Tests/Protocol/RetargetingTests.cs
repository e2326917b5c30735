using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Retargeting (transit requests): a request addressed SP-relative to a registered remote CSE is forwarded over the
/// <c>poa</c> of its <c>&lt;remoteCSE&gt;</c>, and the remote CSE's answer returned. The remote CSE here is a real
/// HTTP listener that records what arrives.
/// </summary>
[Collection(CseCollection.Name)]
public class RetargetingTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    private static string PointOfAccess(NotificationReceiver remote) => remote.Url[..remote.Url.LastIndexOf('/')];

    private async Task<string> RegisterRemote(string poa)
    {
        var csi = RemoteCseRegistrationTests.NewCseId();
        var body = $$$"""{"m2m:csr":{"csi":"{{{csi}}}","cb":"{{{csi}}}/cse-mn","rr":true,"poa":["{{{poa}}}"]}}""";
        Answered(await Client.Create("/cse-in", csi, 16, body), 2001);
        return csi;
    }

    [Fact]
    public async Task A_retrieve_for_a_registered_CSE_is_forwarded_with_its_request_ID_and_originator_and_answered_with_its_response()
    {
        await using var remote = new NotificationReceiver
        {
            AnswerWith = 2000,
            AnswerContent = """{"m2m:cnt":{"rn":"temp","ri":"cnt123","ty":3,"cni":0}}""",
        };
        var csi = await RegisterRemote(PointOfAccess(remote));
        var aeId = await Client.RegisterAe();

        var response = await Client.Retrieve($"/~{csi}/cse-mn/app/temp?rcn=1", aeId);

        Answered(response, 2000);
        Assert.Equal("cnt123", Text(response.Resource("m2m:cnt"), "ri"));
        var forwarded = Assert.Single(remote.Received);
        Assert.Equal($"/~{csi}/cse-mn/app/temp?rcn=1", forwarded.PathAndQuery);
        Assert.Equal(response.SentRequestId, forwarded.Headers["X-M2M-RI"]);
        Assert.Equal("/id-in/" + aeId, forwarded.Headers["X-M2M-Origin"]);
    }

    [Fact]
    public async Task Filter_criteria_and_result_parameters_travel_with_the_request()
    {
        await using var remote = new NotificationReceiver { AnswerWith = 2000, AnswerContent = """{"m2m:uril":[]}""" };
        var csi = await RegisterRemote(PointOfAccess(remote));

        var response = await Client.Retrieve($"/~{csi}/cse-mn/app?fu=1&fo=2&ty=3+4&cra=20250101T000000&stb=2&szb=100&cty=text%2Fplain&lvl=2&ofst=3&colour=red&drt=2",
            OneM2MClient.Admin);

        Answered(response, 2000);
        var query = Assert.Single(remote.Received).PathAndQuery;
        foreach (var field in (string[])["fu=1", "fo=2", "ty=3+4", "cra=20250101T000000", "stb=2", "szb=100", "cty=text%2Fplain", "lvl=2", "ofst=3", "colour=red", "drt=2"])
        {
            Assert.Contains(field, query, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_create_is_forwarded_with_its_type_and_content_and_the_remote_error_is_relayed()
    {
        await using var remote = new NotificationReceiver { AnswerWith = 4105, AnswerContent = """{"m2m:dbg":"name already present"}""" };
        var csi = await RegisterRemote(PointOfAccess(remote));
        var aeId = await Client.RegisterAe();

        var response = await Client.Create($"/~{csi}/cse-mn/app", aeId, 3, """{"m2m:cnt":{"rn":"temp","mni":5}}""");

        Answered(response, 4105);
        Assert.Contains("name already present", response.Body, StringComparison.Ordinal);
        var forwarded = Assert.Single(remote.Received);
        Assert.Contains("ty=3", forwarded.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal(5, System.Text.Json.Nodes.JsonNode.Parse(forwarded.Body)!["m2m:cnt"]!["mni"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_absolute_form_of_the_same_service_provider_is_forwarded_too()
    {
        await using var remote = new NotificationReceiver { AnswerWith = 2002 };
        var csi = await RegisterRemote(PointOfAccess(remote));

        var response = await Client.Delete($"/_/virtualiot.example.com{csi}/cse-mn/app", OneM2MClient.Admin);

        Answered(response, 2002);
        Assert.Equal($"/~{csi}/cse-mn/app", Assert.Single(remote.Received).PathAndQuery);
    }

    [Fact]
    public async Task A_remote_CSE_that_does_not_answer_is_5103()
    {
        var csi = await RegisterRemote("http://127.0.0.1:" + FreePort.Next());

        var response = await Client.Retrieve($"/~{csi}/cse-mn", OneM2MClient.Admin);

        Answered(response, 5103);
    }

    [Fact]
    public async Task A_request_that_comes_back_to_this_CSE_is_a_loop_answered_5103()
    {
        // The remote CSE's poa is this CSE: the forwarded request arrives here again, for the same CSE.
        var csi = await RegisterRemote(fixture.BaseAddress.GetLeftPart(UriPartial.Authority));

        var response = await Client.Retrieve($"/~{csi}/cse-mn", "/id-elsewhere");

        Answered(response, 5103);
        Assert.Contains("loop", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_request_expiration_travels_with_the_request_and_bounds_the_wait()
    {
        var answer = new TaskCompletionSource();
        await using var remote = new NotificationReceiver { Hold = answer.Task };
        var csi = await RegisterRemote(PointOfAccess(remote));
        // Long enough for the request to reach the remote CSE on a loaded machine; the remote never answers in time.
        var expiration = M2MTime.FromNow(TimeSpan.FromSeconds(5));

        var sent = Client.Send(HttpMethod.Get, $"/~{csi}/cse-mn", OneM2MClient.Admin,
            headers: new Dictionary<string, string> { ["X-M2M-RET"] = expiration });
        var forwarded = await remote.WaitFor(r => r.Count >= 1, "the retargeted request at the remote CSE");
        var response = await sent;
        answer.SetResult();

        Answered(response, 4008);
        Assert.Equal(expiration[..15], Assert.Single(forwarded).Headers["X-M2M-RET"][..15]);
    }

    [Fact]
    public async Task A_request_for_an_unregistered_CSE_is_4004()
    {
        var response = await Client.Retrieve($"/~{RemoteCseRegistrationTests.NewCseId()}/cse-mn", OneM2MClient.Admin);

        Answered(response, 4004);
    }

    [Fact]
    public async Task A_re_registration_with_another_point_of_access_takes_effect_on_the_next_request()
    {
        await using var before = new NotificationReceiver { AnswerWith = 2000 };
        await using var after = new NotificationReceiver { AnswerWith = 2000 };
        var csi = await RegisterRemote(PointOfAccess(before));
        Answered(await Client.Retrieve($"/~{csi}/cse-mn", OneM2MClient.Admin), 2000);

        Answered(await Client.Update("/cse-in" + csi, csi, $$$"""{"m2m:csr":{"poa":["{{{PointOfAccess(after)}}}"]}}"""), 2004);
        var response = await Client.Retrieve($"/~{csi}/cse-mn", OneM2MClient.Admin);

        Answered(response, 2000);
        Assert.Single(before.Received);
        Assert.Single(after.Received);
    }

    [Fact]
    public async Task A_deregistered_CSE_is_4004_on_the_next_request()
    {
        await using var remote = new NotificationReceiver { AnswerWith = 2000 };
        var csi = await RegisterRemote(PointOfAccess(remote));
        Answered(await Client.Retrieve($"/~{csi}/cse-mn", OneM2MClient.Admin), 2000);

        Answered(await Client.Delete("/cse-in" + csi, csi), 2002);
        var response = await Client.Retrieve($"/~{csi}/cse-mn", OneM2MClient.Admin);

        Answered(response, 4004);
        Assert.Single(remote.Received);
    }

    [Fact]
    public async Task The_group_request_identifier_travels_with_the_request()
    {
        await using var remote = new NotificationReceiver { AnswerWith = 2000 };
        var csi = await RegisterRemote(PointOfAccess(remote));
        var gid = "gid-" + Guid.NewGuid().ToString("N")[..8];

        var response = await Client.Send(HttpMethod.Get, $"/~{csi}/cse-mn/app", OneM2MClient.Admin,
            headers: new Dictionary<string, string> { ["X-M2M-GID"] = gid });

        Answered(response, 2000);
        Assert.Equal(gid, Assert.Single(remote.Received).Headers["X-M2M-GID"]);
    }
}
