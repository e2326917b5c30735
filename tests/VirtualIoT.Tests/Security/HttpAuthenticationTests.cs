using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// Originator authentication over HTTP (HTTPS and plain): nobody can act as an AE-ID it has no credentials for, and a
/// refused request gets 4106 with no content and changes nothing. Also the administrator's credentials endpoint.
/// </summary>
[Collection(SecureCseCollection.Name)]
public sealed class HttpAuthenticationTests(SecureCseFixture fixture)
{
    [Fact]
    public async Task A_provisioned_AE_registers_and_works_over_TLS_with_its_credentials()
    {
        var (aeId, _, client) = await fixture.RegisteredAeAsync();

        var container = await client.CreateContainer("/cse-in/" + aeId, aeId);
        var retrieved = await client.Retrieve(container, aeId);

        Assert.Equal(2000, retrieved.Rsc);
        Assert.Equal(aeId, retrieved.Resource("m2m:cnt")["pi"]!.GetValue<string>());
    }

    [Fact]
    public async Task Requests_without_credentials_are_answered_4106_with_no_content()
    {
        var (aeId, _, owner) = await fixture.RegisteredAeAsync();
        var container = await owner.CreateContainer("/cse-in/" + aeId, aeId);

        var retrieved = await fixture.Client(null, null).Retrieve(container, aeId);

        AssertNotAuthenticated(retrieved);
        Assert.DoesNotContain("m2m:cnt", retrieved.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_refused()
    {
        var (aeId, secret, owner) = await fixture.RegisteredAeAsync();
        var container = await owner.CreateContainer("/cse-in/" + aeId, aeId);

        var deleted = await fixture.Client(aeId, secret + "x").Delete(container, aeId);

        AssertNotAuthenticated(deleted);
        Assert.Equal(2000, (await owner.Retrieve(container, aeId)).Rsc);
    }

    [Fact]
    public async Task Credentials_of_one_AE_do_not_let_it_act_as_another()
    {
        var (victimId, _, victim) = await fixture.RegisteredAeAsync();
        var container = await victim.CreateContainer("/cse-in/" + victimId, victimId, extra: ""","lbl":["before"]""");
        var (_, _, attacker) = await fixture.RegisteredAeAsync();

        var updated = await attacker.Update(container, victimId, """{"m2m:cnt":{"lbl":["owned"]}}""");
        var deleted = await attacker.Delete("/cse-in/" + victimId, victimId);

        AssertNotAuthenticated(updated);
        AssertNotAuthenticated(deleted);
        var after = await victim.Retrieve(container, victimId);
        Assert.Equal("before", after.Resource("m2m:cnt")["lbl"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unprovisioned_AE_ID_cannot_register_and_an_assigned_one_cannot_be_asked_for()
    {
        var unknown = "Cnone" + Guid.NewGuid().ToString("N")[..10];

        var guessed = await fixture.Client(unknown, "anything-at-all").Create("/cse-in", unknown, 2,
            $$$"""{"m2m:ae":{"rn":"{{{unknown}}}","api":"Nx","rr":false,"srv":["3"]}}""");
        var (aeId, secret, _) = await fixture.RegisteredAeAsync();
        var assigned = await fixture.Client(aeId, secret).Create("/cse-in", "C", 2,
            """{"m2m:ae":{"api":"Nx","rr":false,"srv":["3"]}}""");

        AssertNotAuthenticated(guessed);
        AssertNotAuthenticated(assigned);
        Assert.Equal(4004, (await fixture.Admin().Retrieve("/cse-in/" + unknown, OneM2MClient.Admin)).Rsc);
    }

    [Fact]
    public async Task Plain_HTTP_is_authenticated_the_same_way()
    {
        var (aeId, secret, _) = await fixture.RegisteredAeAsync();

        var allowed = await fixture.Client(aeId, secret, tls: false).Retrieve("/cse-in/" + aeId, aeId);
        var refused = await fixture.Client(aeId, "nope", tls: false).Retrieve("/cse-in/" + aeId, aeId);

        Assert.Equal(2000, allowed.Rsc);
        AssertNotAuthenticated(refused);
    }

    [Fact]
    public async Task The_HTTPS_endpoint_presents_the_configured_certificate()
    {
        // Without the test certificate as trust anchor, the handshake must fail: the endpoint really is TLS with it.
        using var untrusting = new HttpClient { BaseAddress = fixture.HttpsAddress };

        var exception = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync("/cse-in"));

        Assert.IsType<AuthenticationException>(exception.InnerException);
    }

    [Fact]
    public async Task Only_the_administrator_may_provision_and_a_revoked_credential_stops_working_at_once()
    {
        var (aeId, secret, client) = await fixture.RegisteredAeAsync();
        using var asAe = fixture.Client(aeId, secret).Http;
        using var anonymous = fixture.Client(null, null).Http;

        using var selfService = await asAe.PutAsync("/credentials/" + aeId, Json("""{"secret":"my-own-new-secret"}"""));
        using var noAuth = await anonymous.DeleteAsync("/credentials/" + aeId);
        using var admin = fixture.Admin().Http;
        using var tooShort = await admin.PutAsync("/credentials/" + aeId, Json("""{"secret":"short"}"""));
        Assert.Equal(2000, (await client.Retrieve("/cse-in/" + aeId, aeId)).Rsc);
        using var revoked = await admin.DeleteAsync("/credentials/" + aeId);
        using var again = await admin.DeleteAsync("/credentials/" + aeId);

        Assert.Equal(HttpStatusCode.Unauthorized, selfService.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noAuth.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        AssertNotAuthenticated(await client.Retrieve("/cse-in/" + aeId, aeId));
    }

    [Fact]
    public async Task Malformed_authorization_headers_are_answered_4106()
    {
        var (aeId, _, _) = await fixture.RegisteredAeAsync();
        string[] headers = ["Basic", "Basic !!!", "Bearer abc", "Basic " + Convert.ToBase64String("no-colon"u8.ToArray()), "Basic " + Convert.ToBase64String([0xff, 0xfe, 0x3a])];

        foreach (var header in headers)
        {
            var client = fixture.Client(null, null);
            client.Http.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(header);
            AssertNotAuthenticated(await client.Retrieve("/cse-in/" + aeId, aeId));
        }
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    internal static void AssertNotAuthenticated(OneM2MResponse response)
    {
        Assert.True(response.Rsc == 4106, $"expected 4106, got {response.Rsc}: {response.Body}");
        Assert.Equal(HttpStatusCode.Forbidden, response.Status);
    }
}
