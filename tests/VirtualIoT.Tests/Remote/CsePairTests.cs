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

/// <summary>Two VirtualIoT instances on loopback: an IN-CSE (<c>/id-in</c>) and an MN-CSE (<c>/id-mn</c>) registered to it.</summary>
public sealed class CsePairFixture : IAsyncLifetime
{
    public PlatformHost In { get; private set; } = null!;

    public PlatformHost Mn { get; private set; } = null!;

    public string MnAddress { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var inPort = FreePort.Next();
        var mnPort = FreePort.Next();
        MnAddress = "http://127.0.0.1:" + mnPort.ToString(CultureInfo.InvariantCulture);
        In = new PlatformHost(inPort, new Dictionary<string, string>());
        Mn = new PlatformHost(mnPort, new Dictionary<string, string>
        {
            ["Cse:CseId"] = "/id-mn",
            ["Cse:CseBaseName"] = "cse-mn",
            ["Cse:Type"] = "MN",
            ["Cse:PointsOfAccess:0"] = MnAddress,
            ["Cse:RegistrarAddress"] = "http://127.0.0.1:" + inPort.ToString(CultureInfo.InvariantCulture),
            ["Cse:RegistrarCseId"] = "/id-in",
            ["Cse:RegistrarCseBaseName"] = "cse-in",
            ["Cse:RegistrationCheckInterval"] = "00:00:01",
        });
        await In.InitializeAsync();
        await Mn.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await Mn.DisposeAsync();
        await In.DisposeAsync();
    }
}

/// <summary>
/// An MN-CSE and an IN-CSE of VirtualIoT working together over HTTP: the MN registers at start and keeps its
/// registration (after a deregistration and a restart of the registrar), and requests are retargeted both ways.
/// </summary>
[Trait("Speed", "Slow")]
public sealed class CsePairTests(CsePairFixture pair) : IClassFixture<CsePairFixture>
{
    private static async Task WaitForRegistration(CseFixture registrar) =>
        await M2MTime.WaitUntil(async () => (await registrar.Client.Retrieve("/cse-in/id-mn", OneM2MClient.Admin)).Rsc == 2000,
            "the MN-CSE's <remoteCSE> /cse-in/id-mn at the IN-CSE");

    /// <summary>An AE of <paramref name="host"/> with a container that <paramref name="reader"/> may read (an ACP naming it).</summary>
    private static async Task<string> ReadableContainer(CseFixture host, string baseName, string reader)
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
        Assert.Equal(pair.MnAddress, csr["poa"]![0]!.GetValue<string>());
        Answered(atMn, 2000);
        Assert.Equal("/id-in", Text(atMn.Resource("m2m:csr"), "csi"));
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
    public async Task The_MN_sends_a_request_for_an_unknown_CSE_to_its_registrar()
    {
        await WaitForRegistration(pair.In);

        var response = await pair.Mn.Client.Retrieve("/~/id-nowhere/cse-x", OneM2MClient.Admin);

        Answered(response, 4004);
        Assert.Contains("/id-in", response.Body, StringComparison.Ordinal);
    }

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
}
