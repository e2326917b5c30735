using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;
using VirtualIoT.Tests.Protocol;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Remote;

/// <summary>
/// An IN-CSE and two MN-CSEs, every one with <c>Security:Authentication:Required</c>: <c>/id-mn</c> shares its link
/// secret with the IN-CSE (<c>Security:Authentication:CseSecrets</c> on both sides), <c>/id-mn2</c> presents a wrong one.
/// Each has one AE originator with credentials (<see cref="InAe"/>, <see cref="MnAe"/>) besides the administrator.
/// Over HTTP; <see cref="MqttAuthenticatedCsePairFixture"/> links them over MQTT.
/// </summary>
public class AuthenticatedCsePairFixture : IAsyncLifetime
{
    public PlatformHost In { get; private set; } = null!;

    public PlatformHost Mn { get; private set; } = null!;

    /// <summary>The MN-CSE <c>/id-mn2</c>, whose secret for the IN-CSE is not the one the IN-CSE has for it.</summary>
    public PlatformHost WrongSecretMn { get; private set; } = null!;

    /// <summary>The IN-CSE's point of access (its HTTP address, or its broker).</summary>
    public Uri InAddress { get; private set; } = null!;

    public string AdminSecret { get; } = NewSecret();

    /// <summary>The secret of the link between <c>/id-in</c> and <c>/id-mn</c>.</summary>
    public string LinkSecret { get; } = NewSecret();

    /// <summary>An AE originator of the IN-CSE, with its secret there.</summary>
    public string InAe { get; } = OneM2MClient.NewName("Cin");

    public string InAeSecret { get; } = NewSecret();

    /// <summary>An AE originator of the MN-CSE <c>/id-mn</c>, with its secret there.</summary>
    public string MnAe { get; } = OneM2MClient.NewName("Cmn");

    public string MnAeSecret { get; } = NewSecret();

    /// <summary>The settings of one instance at HTTP port <paramref name="httpPort"/> for its link, and the address the others reach it at.</summary>
    protected virtual (Dictionary<string, string> Settings, string Address) Binding(int httpPort) =>
        ([], "http://127.0.0.1:" + httpPort.ToString(CultureInfo.InvariantCulture));

    public async Task InitializeAsync()
    {
        var (inPort, mnPort, mn2Port) = (FreePort.Next(), FreePort.Next(), FreePort.Next());
        var (inSettings, inAddress) = Binding(inPort);
        var (mnSettings, mnAddress) = Binding(mnPort);
        var (mn2Settings, mn2Address) = Binding(mn2Port);
        InAddress = new Uri(inAddress);
        Secure(inSettings, InAe, InAeSecret);
        inSettings["Security:Authentication:CseSecrets:id-mn"] = LinkSecret;
        inSettings["Security:Authentication:CseSecrets:id-mn2"] = NewSecret();
        Secure(mnSettings, MnAe, MnAeSecret);
        mnSettings["Security:Authentication:CseSecrets:id-in"] = LinkSecret;
        Secure(mn2Settings, MnAe, MnAeSecret);
        mn2Settings["Security:Authentication:CseSecrets:id-in"] = NewSecret();
        In = new PlatformHost(inPort, inSettings);
        Mn = new PlatformHost(mnPort, CsePairFixture.MnSettings(mnSettings, "/id-mn", mnAddress, inAddress));
        WrongSecretMn = new PlatformHost(mn2Port, CsePairFixture.MnSettings(mn2Settings, "/id-mn2", mn2Address, inAddress));
        await In.InitializeAsync();
        await Mn.InitializeAsync();
        await WrongSecretMn.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await WrongSecretMn.DisposeAsync();
        await Mn.DisposeAsync();
        await In.DisposeAsync();
    }

    private void Secure(Dictionary<string, string> settings, string ae, string aeSecret)
    {
        settings["Security:Authentication:Required"] = "true";
        settings["Security:Authentication:Credentials:CAdmin"] = AdminSecret;
        settings["Security:Authentication:Credentials:" + ae] = aeSecret;
    }

    private static string NewSecret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
}

/// <summary>The same three CSEs linked over MQTT: each one's point of access is its own broker, the registrar address the IN-CSE's.</summary>
public sealed class MqttAuthenticatedCsePairFixture : AuthenticatedCsePairFixture
{
    protected override (Dictionary<string, string> Settings, string Address) Binding(int httpPort) => MqttCsePairFixture.MqttBinding();
}

/// <summary>The same three CSEs linked over WebSocket: each one's point of access is its WebSocket endpoint, the handshake carrying the link's credentials.</summary>
public sealed class WebSocketAuthenticatedCsePairFixture : AuthenticatedCsePairFixture
{
    protected override (Dictionary<string, string> Settings, string Address) Binding(int httpPort) =>
        ([], $"ws://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}/ws");
}

/// <summary>
/// CSEs that require authentication working together over a link secret: the MN-CSE registers with it, requests are
/// retargeted both ways with their originators relayed over the authenticated link, nobody else may claim a relayed
/// originator, and a wrong secret is answered 4106 with a message that says so. Run over HTTP
/// (<see cref="AuthenticatedCsePairTests"/>), MQTT (<see cref="MqttAuthenticatedCsePairTests"/>) and WebSocket
/// (<see cref="WebSocketAuthenticatedCsePairTests"/>).
/// </summary>
public abstract class AuthenticatedCsePairScenarios(AuthenticatedCsePairFixture pair)
{
    /// <summary>A request to <paramref name="host"/> with HTTP Basic credentials (<paramref name="user"/>, <paramref name="secret"/>), or none when <paramref name="user"/> is null.</summary>
    protected static Task<OneM2MResponse> Send(CseFixture host, HttpMethod method, string path, string originator, string? user, string? secret,
        string? body = null, int? ty = null)
    {
        var headers = new Dictionary<string, string>();
        if (user is not null)
        {
            headers["Authorization"] = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + secret));
        }

        return host.Client.Send(method, path, originator, body, ty is { } type ? $"application/json;ty={type}" : "application/json", headers);
    }

    private Task<OneM2MResponse> AsAdmin(CseFixture host, HttpMethod method, string path, string? body = null, int? ty = null) =>
        Send(host, method, path, OneM2MClient.Admin, OneM2MClient.Admin, pair.AdminSecret, body, ty);

    protected async Task WaitForRegistration() =>
        await M2MTime.WaitUntil(async () => (await AsAdmin(pair.In, HttpMethod.Get, "/cse-in/id-mn")).Rsc == 2000,
            "the MN-CSE's <remoteCSE> /cse-in/id-mn at the IN-CSE");

    /// <summary>
    /// The AE <paramref name="ae"/> registered at <paramref name="host"/> with a container <c>data</c> that <paramref name="reader"/>
    /// may read; returns the container's structured path.
    /// </summary>
    private static async Task<string> ReadableContainer(CseFixture host, string baseName, string ae, string secret, string reader)
    {
        var registered = await Send(host, HttpMethod.Post, "/" + baseName, ae, ae, secret, $$$"""{"m2m:ae":{"rn":"{{{ae}}}","api":"Nauth","rr":false,"srv":["3"]}}""", 2);
        // Registered by an earlier test of the fixture: 4117.
        AnsweredOneOf(registered, 2001, 4117);
        var name = OneM2MClient.NewName("acp");
        var acp = await Send(host, HttpMethod.Post, $"/{baseName}/{ae}", ae, ae, secret,
            $$$$"""{"m2m:acp":{"rn":"{{{{name}}}}","pv":{"acr":[{"acor":["{{{{reader}}}}"],"acop":2}]},"pvs":{"acr":[{"acor":["{{{{ae}}}}"],"acop":63}]}}}""", 1);
        Answered(acp, 2001);
        var container = OneM2MClient.NewName("data");
        Answered(await Send(host, HttpMethod.Post, $"/{baseName}/{ae}", ae, ae, secret,
            $$$"""{"m2m:cnt":{"rn":"{{{container}}}","acpi":["{{{Text(acp.Resource("m2m:acp"), "ri")}}}"]}}""", 3), 2001);
        return $"{baseName}/{ae}/{container}";
    }

    [Fact]
    public async Task The_MN_registers_with_its_link_secret_and_knows_its_registrar()
    {
        await WaitForRegistration();

        var atRegistrar = await AsAdmin(pair.In, HttpMethod.Get, "/cse-in/id-mn");
        var atMn = await AsAdmin(pair.Mn, HttpMethod.Get, "/cse-mn/id-in");

        Answered(atRegistrar, 2000);
        Assert.Equal("/id-mn", Text(atRegistrar.Resource("m2m:csr"), "csi"));
        Answered(atMn, 2000);
        Assert.Equal("/id-in", Text(atMn.Resource("m2m:csr"), "csi"));
    }

    [Fact]
    public Task An_AE_of_the_IN_reads_the_MN_through_the_authenticated_link() =>
        ReadsThroughTheLink(pair.In, "/id-in", pair.InAe, pair.InAeSecret, pair.Mn, "/id-mn", pair.MnAe, pair.MnAeSecret);

    [Fact]
    public Task An_AE_of_the_MN_reads_the_IN_through_the_authenticated_link() =>
        ReadsThroughTheLink(pair.Mn, "/id-mn", pair.MnAe, pair.MnAeSecret, pair.In, "/id-in", pair.InAe, pair.InAeSecret);

    /// <summary>
    /// The AE <paramref name="readerAe"/> of the CSE <paramref name="readerCse"/> reads, through it, a container that the AE
    /// <paramref name="ownerAe"/> of the other CSE <paramref name="ownerCse"/> lets it read as <c>&lt;readerCse&gt;/&lt;readerAe&gt;</c>.
    /// </summary>
    private async Task ReadsThroughTheLink(CseFixture reader, string readerCse, string readerAe, string readerSecret,
        CseFixture owner, string ownerCse, string ownerAe, string ownerSecret)
    {
        await WaitForRegistration();
        var container = await ReadableContainer(owner, "cse-" + ownerCse["/id-".Length..], ownerAe, ownerSecret, readerCse + "/" + readerAe);

        var response = await Send(reader, HttpMethod.Get, $"/~{ownerCse}/{container}", readerAe, readerAe, readerSecret);

        Answered(response, 2000);
        Assert.Equal(container[(container.LastIndexOf('/') + 1)..], Text(response.Resource("m2m:cnt"), "rn"));
    }

    [Fact]
    public async Task Nobody_but_the_linked_CSE_may_send_as_its_AEs()
    {
        await WaitForRegistration();
        var container = await ReadableContainer(pair.In, "cse-in", pair.InAe, pair.InAeSecret, "/id-mn/" + pair.MnAe);
        var relayed = "/id-mn/" + pair.MnAe;

        var unauthenticated = await Send(pair.In, HttpMethod.Get, "/" + container, relayed, null, null);
        var anotherAe = await Send(pair.In, HttpMethod.Get, "/" + container, relayed, pair.InAe, pair.InAeSecret);
        var wrongSecret = await Send(pair.In, HttpMethod.Get, "/" + container, relayed, "/id-mn", pair.AdminSecret);
        var linkedCse = await Send(pair.In, HttpMethod.Get, "/" + container, relayed, "/id-mn", pair.LinkSecret);
        // The MN-CSE relays its own AEs only (the IN-CSE is not its registree's way to others), and never the IN-CSE's.
        var notItsAe = await Send(pair.In, HttpMethod.Get, "/" + container, "/id-in/" + pair.InAe, "/id-mn", pair.LinkSecret);
        // The registrar relays other CSEs' AEs to the MN-CSE, but not the MN-CSE's own.
        var notTheRegistrars = await Send(pair.Mn, HttpMethod.Get, "/cse-mn", "/id-mn/" + pair.MnAe, "/id-in", pair.LinkSecret);

        Answered(unauthenticated, 4106);
        Answered(anotherAe, 4106);
        Answered(wrongSecret, 4106);
        Answered(linkedCse, 2000);
        Answered(notItsAe, 4106);
        Answered(notTheRegistrars, 4106);
    }

    [Fact]
    public async Task An_MN_with_a_wrong_secret_is_refused_with_a_clear_4106()
    {
        var response = await Send(pair.WrongSecretMn, HttpMethod.Get, "/~/id-in/cse-in", pair.MnAe, pair.MnAe, pair.MnAeSecret);

        Answered(response, 4106);
        Assert.Contains("credentials", response.Json!["m2m:dbg"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("/id-mn2", response.Json!["m2m:dbg"]!.GetValue<string>(), StringComparison.Ordinal);
        Answered(await AsAdmin(pair.In, HttpMethod.Get, "/cse-in/id-mn2"), 4004);
    }
}

/// <summary>The authenticated CSEs linked over HTTP.</summary>
[Trait("Speed", "Slow")]
public sealed class AuthenticatedCsePairTests(AuthenticatedCsePairFixture pair)
    : AuthenticatedCsePairScenarios(pair), IClassFixture<AuthenticatedCsePairFixture>;

/// <summary>The authenticated CSEs linked over MQTT: a CSE connects to the other's broker as <c>C::&lt;its CSE-ID&gt;</c> with the link secret.</summary>
[Trait("Speed", "Slow")]
public sealed class MqttAuthenticatedCsePairTests(MqttAuthenticatedCsePairFixture pair)
    : AuthenticatedCsePairScenarios(pair), IClassFixture<MqttAuthenticatedCsePairFixture>
{
    private readonly MqttAuthenticatedCsePairFixture _pair = pair;

    [Fact]
    public async Task A_broker_takes_a_CSE_client_with_the_link_secret_only()
    {
        var port = _pair.InAddress.Port;

        var linked = await MqttTestClient.TryConnectAsync(port, "C::id-mn:probe", options => options.WithCredentials("/id-mn", _pair.LinkSecret));
        var wrongSecret = await MqttTestClient.TryConnectAsync(port, "C::id-mn:probe", options => options.WithCredentials("/id-mn", _pair.AdminSecret));
        var anotherCse = await MqttTestClient.TryConnectAsync(port, "C::id-mn2:probe", options => options.WithCredentials("/id-mn", _pair.LinkSecret));
        var anAe = await MqttTestClient.TryConnectAsync(port, "C::id-mn:probe", options => options.WithCredentials(_pair.InAe, _pair.InAeSecret));

        Assert.Equal("Success", linked);
        Assert.Contains("BadUserNameOrPassword", wrongSecret, StringComparison.Ordinal);
        Assert.Contains("BadUserNameOrPassword", anotherCse, StringComparison.Ordinal);
        Assert.Contains("BadUserNameOrPassword", anAe, StringComparison.Ordinal);
    }
}

/// <summary>The authenticated CSEs linked over WebSocket: a CSE opens its connection to the other with its CSE-ID and the link secret.</summary>
[Trait("Speed", "Slow")]
public sealed class WebSocketAuthenticatedCsePairTests(WebSocketAuthenticatedCsePairFixture pair)
    : AuthenticatedCsePairScenarios(pair), IClassFixture<WebSocketAuthenticatedCsePairFixture>;
