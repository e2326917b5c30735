using System.Globalization;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Protocol;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Remote;

/// <summary>One platform of a pair, on a fixed loopback port (so that it can be restarted at the same address).</summary>
public sealed class PlatformHost(int port, IReadOnlyDictionary<string, string> settings) : CseFixture
{
    protected override int Port => port;

    protected override Task<IReadOnlyDictionary<string, string>> BackendSettings() => Task.FromResult(settings);

    /// <summary>Stops the platform (memory storage: everything it held is gone) and starts it again at the same address.</summary>
    public async Task RestartAsync()
    {
        await DisposeAsync();
        await InitializeAsync();
    }
}

/// <summary>
/// Two VirtualIoT instances on loopback: an IN-CSE (<c>/id-in</c>) and an MN-CSE (<c>/id-mn</c>) registered to it,
/// over HTTP (each one's point of access is its HTTP address).
/// </summary>
public class CsePairFixture : IAsyncLifetime
{
    public PlatformHost In { get; private set; } = null!;

    public PlatformHost Mn { get; private set; } = null!;

    /// <summary>The MN-CSE's point of access, as its registration at the IN-CSE carries it.</summary>
    public string MnAddress { get; private set; } = "";

    /// <summary>The IN-CSE's address, as the MN-CSE's <c>Cse:RegistrarAddress</c>.</summary>
    public string InAddress { get; private set; } = "";

    /// <summary>
    /// The settings of one instance at HTTP port <paramref name="httpPort"/> beyond its HTTP address, and the point of
    /// access the other instance reaches it at.
    /// </summary>
    protected virtual (Dictionary<string, string> Settings, string Address) Binding(int httpPort) =>
        ([], "http://127.0.0.1:" + httpPort.ToString(CultureInfo.InvariantCulture));

    public async Task InitializeAsync()
    {
        var inPort = FreePort.Next();
        var (inSettings, inAddress) = Binding(inPort);
        var mnPort = FreePort.Next();
        var (mnSettings, mnAddress) = Binding(mnPort);
        InAddress = inAddress;
        MnAddress = mnAddress;
        In = new PlatformHost(inPort, inSettings);
        Mn = new PlatformHost(mnPort, MnSettings(mnSettings, "/id-mn", MnAddress, InAddress));
        await In.InitializeAsync();
        await Mn.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await Mn.DisposeAsync();
        await In.DisposeAsync();
    }

    /// <summary>
    /// <paramref name="settings"/> plus those of an MN-CSE <paramref name="cseId"/> (CSEBase <c>cse-mn…</c>) reached at
    /// <paramref name="address"/> and registering to the IN-CSE <c>/id-in</c> at <paramref name="registrarAddress"/>.
    /// </summary>
    public static Dictionary<string, string> MnSettings(Dictionary<string, string> settings, string cseId, string address, string registrarAddress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(cseId);
        settings["Cse:CseId"] = cseId;
        settings["Cse:CseBaseName"] = "cse-" + cseId["/id-".Length..];
        settings["Cse:Type"] = "MN";
        settings["Cse:PointsOfAccess:0"] = address;
        settings["Cse:RegistrarAddress"] = registrarAddress;
        settings["Cse:RegistrarCseId"] = "/id-in";
        settings["Cse:RegistrarCseBaseName"] = "cse-in";
        settings["Cse:RegistrationCheckInterval"] = "00:00:01";
        return settings;
    }
}

/// <summary>
/// The same pair over MQTT (TS-0010 on Mcc): each instance runs its broker, its only point of access is
/// <c>mqtt://</c> that broker, and the MN-CSE's registrar address is the IN-CSE's broker; so the MN registers over
/// MQTT and every retargeted request travels over MQTT.
/// </summary>
public sealed class MqttCsePairFixture : CsePairFixture
{
    protected override (Dictionary<string, string> Settings, string Address) Binding(int httpPort) => MqttBinding();

    /// <summary>An instance's own broker on a free port as its point of access.</summary>
    public static (Dictionary<string, string> Settings, string Address) MqttBinding()
    {
        var mqttPort = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        return (new Dictionary<string, string> { ["Mqtt:Enabled"] = "true", ["Mqtt:Port"] = mqttPort }, "mqtt://127.0.0.1:" + mqttPort);
    }
}

/// <summary>
/// The same pair over CoAP (TS-0008 on Mcc): each instance serves CoAP on a port of its own, which is its only point of
/// access (<c>coap://</c>) and the MN-CSE's registrar address; so the MN registers over CoAP and every retargeted
/// request travels over CoAP.
/// </summary>
public sealed class CoapCsePairFixture : CsePairFixture
{
    protected override (Dictionary<string, string> Settings, string Address) Binding(int httpPort)
    {
        var coapPort = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        return (new Dictionary<string, string> { ["Coap:Enabled"] = "true", ["Coap:Port"] = coapPort }, "coap://127.0.0.1:" + coapPort);
    }
}

/// <summary>
/// The same pair over WebSocket (TS-0020 on Mcc): each instance's only point of access is its WebSocket endpoint
/// (<c>ws://…/ws</c>), also the MN-CSE's registrar address; every retargeted request is a primitive on a connection
/// the sending CSE opened to the other.
/// </summary>
public sealed class WebSocketCsePairFixture : CsePairFixture
{
    protected override (Dictionary<string, string> Settings, string Address) Binding(int httpPort) =>
        ([], $"ws://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}/ws");
}

/// <summary>
/// An MN-CSE and an IN-CSE of VirtualIoT working together: the MN registers at start and keeps its registration
/// (after a deregistration, a restart of the registrar, a restart of its own), and requests are retargeted both ways.
/// Run over HTTP (<see cref="CsePairTests"/>), MQTT (<see cref="MqttCsePairTests"/>), CoAP (<see cref="CoapCsePairTests"/>)
/// and WebSocket (<see cref="WebSocketCsePairTests"/>).
/// </summary>
public abstract class CsePairScenarios(CsePairFixture pair)
{
    protected static async Task WaitForRegistration(CseFixture registrar) =>
        await M2MTime.WaitUntil(async () => (await registrar.Client.Retrieve("/cse-in/id-mn", OneM2MClient.Admin)).Rsc == 2000,
            "the MN-CSE's <remoteCSE> /cse-in/id-mn at the IN-CSE");

    /// <summary>Retries <paramref name="request"/> until it answers <paramref name="rsc"/> (a link that reconnects), or fails naming <paramref name="what"/>.</summary>
    protected static async Task<OneM2MResponse> AnsweredInTime(Func<Task<OneM2MResponse>> request, int rsc, string what)
    {
        OneM2MResponse? last = null;
        await M2MTime.WaitUntil(async () => (last = await request()).Rsc == rsc, what);
        return last!;
    }

    /// <summary>An AE of <paramref name="host"/> with a container that <paramref name="reader"/> may read (an ACP naming it).</summary>
    protected static async Task<string> ReadableContainer(CseFixture host, string baseName, string reader)
    {
        var aeId = OneM2MClient.NewName("Cpair");
        Answered(await host.Client.Create("/" + baseName, aeId, 2, $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Npair","rr":false,"srv":["3"]}}"""), 2001);
        var acp = await host.Client.Create($"/{baseName}/{aeId}", aeId, 1,
            $$$$"""{"m2m:acp":{"rn":"acp","pv":{"acr":[{"acor":["{{{{reader}}}}"],"acop":2}]},"pvs":{"acr":[{"acor":["{{{{aeId}}}}"],"acop":63}]}}}""");
        Answered(acp, 2001);
        var acpId = Text(acp.Resource("m2m:acp"), "ri");
        Answered(await host.Client.Create($"/{baseName}/{aeId}", aeId, 3, $$$"""{"m2m:cnt":{"rn":"data","acpi":["{{{acpId}}}"]}}"""), 2001);
        return $"{baseName}/{aeId}/data";
    }

    [Fact]
    public async Task The_MN_registers_at_start_and_knows_its_registrar()
    {
        await WaitForRegistration(pair.In);

        var atRegistrar = await pair.In.Client.Retrieve("/cse-in/id-mn", OneM2MClient.Admin);
        var atMn = await pair.Mn.Client.Retrieve("/cse-mn/id-in", OneM2MClient.Admin);

        Answered(atRegistrar, 2000);
        var csr = atRegistrar.Resource("m2m:csr");
        Assert.Equal("/id-mn", Text(csr, "csi"));
        Assert.Equal("/id-mn/cse-mn", Text(csr, "cb"));
        Assert.Equal(2, Number(csr, "cst"));
        Assert.Equal(pair.MnAddress, Assert.Single(csr["poa"]!.AsArray())!.GetValue<string>());
        Answered(atMn, 2000);
        Assert.Equal("/id-in", Text(atMn.Resource("m2m:csr"), "csi"));
        Assert.Equal(pair.InAddress, Assert.Single(atMn.Resource("m2m:csr")["poa"]!.AsArray())!.GetValue<string>());
    }

    [Fact]
    public async Task A_request_at_the_IN_for_the_MN_is_retargeted_to_it()
    {
        await WaitForRegistration(pair.In);
        var inAe = await pair.In.Client.RegisterAe();
        var container = await ReadableContainer(pair.Mn, "cse-mn", "/id-in/" + inAe);

        var response = await pair.In.Client.Retrieve("/~/id-mn/" + container, inAe);

        Answered(response, 2000);
        Assert.Equal("data", Text(response.Resource("m2m:cnt"), "rn"));
    }

    [Fact]
    public async Task A_request_at_the_MN_for_the_IN_is_retargeted_to_it()
    {
        await WaitForRegistration(pair.In);
        var mnAe = OneM2MClient.NewName("Cmn");
        Answered(await pair.Mn.Client.Create("/cse-mn", mnAe, 2, $$$"""{"m2m:ae":{"rn":"{{{mnAe}}}","api":"Nmn","rr":false,"srv":["3"]}}"""), 2001);
        var container = await ReadableContainer(pair.In, "cse-in", "/id-mn/" + mnAe);

        var response = await pair.Mn.Client.Retrieve("/~/id-in/" + container, mnAe);

        Answered(response, 2000);
        Assert.Equal("data", Text(response.Resource("m2m:cnt"), "rn"));
    }

    [Fact]
    public async Task A_discovery_at_the_IN_of_the_MN_carries_its_filter_criteria()
    {
        await WaitForRegistration(pair.In);
        var inAe = await pair.In.Client.RegisterAe();
        var mnAe = OneM2MClient.NewName("Cmn");
        Answered(await pair.Mn.Client.Create("/cse-mn", mnAe, 2, $$$"""{"m2m:ae":{"rn":"{{{mnAe}}}","api":"Nmn","rr":false,"srv":["3"]}}"""), 2001);
        var acp = await pair.Mn.Client.Create($"/cse-mn/{mnAe}", mnAe, 1,
            $$$$"""{"m2m:acp":{"rn":"acp","pv":{"acr":[{"acor":["/id-in/{{{{inAe}}}}","{{{{mnAe}}}}"],"acop":63}]},"pvs":{"acr":[{"acor":["{{{{mnAe}}}}"],"acop":63}]}}}""");
        Answered(acp, 2001);
        var acpi = $$$"""["{{{Text(acp.Resource("m2m:acp"), "ri")}}}"]""";
        Answered(await pair.Mn.Client.Update($"/cse-mn/{mnAe}", mnAe, $$$"""{"m2m:ae":{"acpi":{{{acpi}}}}}"""), 2004);
        Answered(await pair.Mn.Client.Create($"/cse-mn/{mnAe}", mnAe, 3, $$$"""{"m2m:cnt":{"rn":"hot","lbl":["zone:a"],"acpi":{{{acpi}}}}}"""), 2001);
        Answered(await pair.Mn.Client.Create($"/cse-mn/{mnAe}", mnAe, 3, $$$"""{"m2m:cnt":{"rn":"cold","lbl":["zone:b"],"acpi":{{{acpi}}}}}"""), 2001);

        var response = await pair.In.Client.Retrieve($"/~/id-mn/cse-mn/{mnAe}?fu=1&ty=3&lbl=zone:a&cra=20200101T000000", inAe);

        Answered(response, 2000);
        Assert.Equal($"cse-mn/{mnAe}/hot", Assert.Single(response.Json!["m2m:uril"]!.AsArray())!.GetValue<string>());
    }

    [Fact]
    public async Task A_large_instance_created_and_read_through_the_IN_arrives_whole()
    {
        await WaitForRegistration(pair.In);
        var inAe = await pair.In.Client.RegisterAe();
        var mnAe = OneM2MClient.NewName("Cmn");
        Answered(await pair.Mn.Client.Create("/cse-mn", mnAe, 2, $$$"""{"m2m:ae":{"rn":"{{{mnAe}}}","api":"Nmn","rr":false,"srv":["3"]}}"""), 2001);
        var acp = await pair.Mn.Client.Create($"/cse-mn/{mnAe}", mnAe, 1,
            $$$$"""{"m2m:acp":{"rn":"acp","pv":{"acr":[{"acor":["/id-in/{{{{inAe}}}}"],"acop":3}]},"pvs":{"acr":[{"acor":["{{{{mnAe}}}}"],"acop":63}]}}}""");
        Answered(acp, 2001);
        Answered(await pair.Mn.Client.Create($"/cse-mn/{mnAe}", mnAe, 3,
            $$$"""{"m2m:cnt":{"rn":"big","acpi":["{{{Text(acp.Resource("m2m:acp"), "ri")}}}"]}}"""), 2001);
        // Larger than a CoAP block (1,024 bytes): over CoAP the answer comes in Block2 blocks.
        var con = string.Concat(Enumerable.Range(0, 400).Select(i => i.ToString("D4", CultureInfo.InvariantCulture)));

        var created = await pair.In.Client.Create($"/~/id-mn/cse-mn/{mnAe}/big", inAe, 4, $$$"""{"m2m:cin":{"rn":"one","con":"{{{con}}}"}}""");
        var read = await pair.In.Client.Retrieve($"/~/id-mn/cse-mn/{mnAe}/big/one", inAe);

        Answered(created, 2001);
        Answered(read, 2000);
        Assert.Equal(con, Text(read.Resource("m2m:cin"), "con"));
    }

    [Fact]
    public async Task The_MN_sends_a_request_for_an_unknown_CSE_to_its_registrar()
    {
        await WaitForRegistration(pair.In);

        var response = await pair.Mn.Client.Retrieve("/~/id-nowhere/cse-x", OneM2MClient.Admin);

        Answered(response, 4004);
        Assert.Contains("/id-in", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_an_MN_restart_its_registration_stands_and_requests_are_retargeted_again()
    {
        await WaitForRegistration(pair.In);
        var before = Text((await pair.In.Client.Retrieve("/cse-in/id-mn", OneM2MClient.Admin)).Resource("m2m:csr"), "ct");

        // Memory storage: the restarted MN-CSE has lost its resources, the registrar's <remoteCSE> among them, and the
        // IN-CSE's link to it is broken.
        await pair.Mn.RestartAsync();
        await M2MTime.WaitUntil(async () => (await pair.Mn.Client.Retrieve("/cse-mn/id-in", OneM2MClient.Admin)).Rsc == 2000,
            "the registrar's <remoteCSE> /cse-mn/id-in at the restarted MN-CSE");
        var inAe = await pair.In.Client.RegisterAe();
        var container = await ReadableContainer(pair.Mn, "cse-mn", "/id-in/" + inAe);
        var mnAe = OneM2MClient.NewName("Cmn");
        Answered(await pair.Mn.Client.Create("/cse-mn", mnAe, 2, $$$"""{"m2m:ae":{"rn":"{{{mnAe}}}","api":"Nmn","rr":false,"srv":["3"]}}"""), 2001);
        var inContainer = await ReadableContainer(pair.In, "cse-in", "/id-mn/" + mnAe);

        var toMn = await AnsweredInTime(() => pair.In.Client.Retrieve("/~/id-mn/" + container, inAe), 2000, "the restarted MN's container, read through the IN");
        var toIn = await AnsweredInTime(() => pair.Mn.Client.Retrieve("/~/id-in/" + inContainer, mnAe), 2000, "the IN's container, read from the restarted MN");

        Assert.Equal("data", Text(toMn.Resource("m2m:cnt"), "rn"));
        Assert.Equal("data", Text(toIn.Resource("m2m:cnt"), "rn"));
        var registration = await pair.In.Client.Retrieve("/cse-in/id-mn", OneM2MClient.Admin);
        Answered(registration, 2000);
        Assert.Equal(before, Text(registration.Resource("m2m:csr"), "ct"));
    }
}

/// <summary>
/// The pair scenarios with a restart of the registrar (IN-CSE) in the middle: run over every binding.
/// </summary>
public abstract class CsePairRestartScenarios(CsePairFixture pair) : CsePairScenarios(pair)
{
    private readonly CsePairFixture pair = pair;

    [Fact]
    public async Task After_a_deregistration_and_a_registrar_restart_the_MN_registers_again()
    {
        await WaitForRegistration(pair.In);

        var deleted = await pair.In.Client.Delete("/cse-in/id-mn", "/id-mn");
        Answered(deleted, 2002);
        await WaitForRegistration(pair.In);
        await pair.In.RestartAsync();

        await WaitForRegistration(pair.In);
    }

    [Fact]
    public async Task After_a_registrar_restart_the_MN_is_registered_again_with_its_data_and_reachable_both_ways()
    {
        await WaitForRegistration(pair.In);
        var inAe = OneM2MClient.NewName("Cin");
        var container = await ReadableContainer(pair.Mn, "cse-mn", "/id-in/" + inAe);
        var mnAe = OneM2MClient.NewName("Cmn");
        Answered(await pair.Mn.Client.Create("/cse-mn", mnAe, 2, $$$"""{"m2m:ae":{"rn":"{{{mnAe}}}","api":"Nmn","rr":false,"srv":["3"]}}"""), 2001);
        Answered(await pair.Mn.Client.Create("/" + container, OneM2MClient.Admin, 4, """{"m2m:cin":{"con":"before"}}"""), 2001);

        // Memory storage: the restarted IN-CSE has lost every registration, and the MN's link to it is broken.
        await pair.In.RestartAsync();
        await WaitForRegistration(pair.In);
        Answered(await pair.In.Client.Create("/cse-in", inAe, 2, $$$"""{"m2m:ae":{"rn":"{{{inAe}}}","api":"Nin","rr":false,"srv":["3"]}}"""), 2001);
        var inContainer = await ReadableContainer(pair.In, "cse-in", "/id-mn/" + mnAe);

        var latest = await AnsweredInTime(() => pair.In.Client.Retrieve($"/~/id-mn/{container}/la", inAe), 2000, "the MN's latest instance, read through the restarted IN");
        var fromMn = await AnsweredInTime(() => pair.Mn.Client.Retrieve("/~/id-in/" + inContainer, mnAe), 2000, "the IN's container, read from the MN");

        Assert.Equal("before", Text(latest.Resource("m2m:cin"), "con"));
        Assert.Equal("data", Text(fromMn.Resource("m2m:cnt"), "rn"));
        Assert.Equal(pair.MnAddress, Assert.Single((await pair.In.Client.Retrieve("/cse-in/id-mn", OneM2MClient.Admin)).Resource("m2m:csr")["poa"]!.AsArray())!.GetValue<string>());
    }
}

/// <summary>The pair over HTTP.</summary>
[Trait("Speed", "Slow")]
public sealed class CsePairTests(CsePairFixture pair) : CsePairRestartScenarios(pair), IClassFixture<CsePairFixture>;

/// <summary>The pair over MQTT: the MN-CSE registered over MQTT, every retargeted request published to the other's broker.</summary>
[Trait("Speed", "Slow")]
public sealed class MqttCsePairTests(MqttCsePairFixture pair) : CsePairRestartScenarios(pair), IClassFixture<MqttCsePairFixture>;

/// <summary>The pair over CoAP: the MN-CSE registered over CoAP, every retargeted request sent to the other's CoAP port.</summary>
[Trait("Speed", "Slow")]
public sealed class CoapCsePairTests(CoapCsePairFixture pair) : CsePairRestartScenarios(pair), IClassFixture<CoapCsePairFixture>;

/// <summary>The pair over WebSocket: the MN-CSE registered over WebSocket, every retargeted request sent on a connection to the other.</summary>
[Trait("Speed", "Slow")]
public sealed class WebSocketCsePairTests(WebSocketCsePairFixture pair) : CsePairRestartScenarios(pair), IClassFixture<WebSocketCsePairFixture>;
