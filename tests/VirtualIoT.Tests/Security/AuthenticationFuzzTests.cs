using System.Net.Http.Headers;
using System.Text;
using CsCheck;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// Generated requests with authentication required, none of which carries valid credentials for its own originator:
/// wrong, empty or malformed secrets, valid credentials of another originator, junk Authorization headers, valid
/// bodies that would succeed if authenticated. None may succeed or fail with 5000, and nothing stored may change.
/// The cases come from a fixed seed (<see cref="TestSeed"/>).
/// </summary>
[Collection(SecureCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class AuthenticationFuzzTests(SecureCseFixture fixture, ITestOutputHelper output)
{
    private const int Samples = 1000;

    /// <summary>A generated request, printed on failure.</summary>
    public sealed record Case(string Method, string Path, string Originator, string? Authorization)
    {
        public override string ToString() => $"{Method} {Path} From={Originator} Authorization={Authorization ?? "∅"}";
    }

    [Fact]
    public async Task No_request_without_its_originator_s_credentials_succeeds_or_changes_anything()
    {
        var (aeId, secret, owner) = await fixture.RegisteredAeAsync();
        var container = await owner.CreateContainer("/cse-in/" + aeId, aeId);
        await owner.CreateInstance(container, aeId);
        var (otherId, otherSecret, _) = await fixture.RegisteredAeAsync();
        var admin = fixture.Admin();
        var before = (await admin.Retrieve("/cse-in/" + aeId + "?rcn=4", OneM2MClient.Admin)).Body;
        var aesBefore = (await admin.Discover("/cse-in", OneM2MClient.Admin, "ty=2&lim=100000")).Body;
        using var http = fixture.Client(null, null).Http;

        var basic = (string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));
        var authorizations = Gen.OneOf(
            Gen.String[Gen.Char[' ', '~'], 0, 12].Select(wrong => (string?)basic(aeId, wrong == secret ? wrong + "x" : wrong)),
            Gen.OneOf<string?>(null, "", "Basic", "Basic ", "Basic ====", "Bearer " + secret, "basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(aeId)),
                basic(aeId, secret.ToLowerInvariant() + "0"), basic(aeId.ToLowerInvariant(), secret), basic(aeId + " ", secret),
                basic(OneM2MClient.Admin, secret), basic("", secret),
                // Valid credentials, of another originator than the request's (never otherId, below).
                basic(otherId, otherSecret)),
            Gen.String[Gen.Char[' ', '~'], 0, 30].Select(junk => (string?)("Basic " + junk)));
        var originators = Gen.OneOf(aeId, OneM2MClient.Admin, "C", "Cx" + Guid.NewGuid().ToString("N")[..6], "/id-in/" + aeId);
        var requests = Gen.OneOf(
            Gen.OneOf(("GET", "/cse-in/" + aeId), ("GET", container), ("GET", container + "/la"), ("GET", "/cse-in?fu=1"),
                ("DELETE", container), ("DELETE", "/cse-in/" + aeId), ("PUT", container), ("POST", container), ("POST", "/cse-in")));
        var cases = Gen.Select(requests, originators, authorizations, (r, o, a) => new Case(r.Item1, r.Item2, o, a));

        var seed = TestSeed.Resolve(1000, output);

        await Parallel.ForEachAsync(TestSeed.Cases(cases, Samples, seed), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (c, _) =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
            request.Headers.TryAddWithoutValidation("X-M2M-Origin", c.Originator);
            request.Headers.TryAddWithoutValidation("X-M2M-RI", "fz");
            request.Headers.TryAddWithoutValidation("X-M2M-RVI", "3");
            if (c.Authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", c.Authorization);
            }

            (request.Content, var type) = c.Method switch
            {
                "PUT" => (new StringContent("""{"m2m:cnt":{"lbl":["taken"]}}"""), "application/json"),
                "POST" when c.Path == "/cse-in" => (new StringContent("""{"m2m:ae":{"api":"Nx","rr":false,"srv":["3"]}}"""), "application/json;ty=2"),
                "POST" => (new StringContent("""{"m2m:cin":{"con":"forged"}}"""), "application/json;ty=4"),
                _ => ((HttpContent?)null, ""),
            };
            if (request.Content is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
            }

            using var response = await http.SendAsync(request);
            var rsc = response.Headers.TryGetValues("X-M2M-RSC", out var values) ? int.Parse(values.First(), System.Globalization.CultureInfo.InvariantCulture) : 0;
            Assert.True(rsc is >= 4000 and < 5000, $"{TestSeed.Replay(seed)}{c} answered {(int)response.StatusCode} / {rsc}: {await response.Content.ReadAsStringAsync()}");
        });

        Assert.Equal(before, (await admin.Retrieve("/cse-in/" + aeId + "?rcn=4", OneM2MClient.Admin)).Body);
        Assert.Equal(aesBefore, (await admin.Discover("/cse-in", OneM2MClient.Admin, "ty=2&lim=100000")).Body);
    }
}
