using System.Formats.Cbor;
using System.Globalization;
using VirtualIoT.LoadGen;
using VirtualIoT.LoadGen.Bench;
using VirtualIoT.LoadGen.Measurement;
using VirtualIoT.LoadGen.Transport;
using VirtualIoT.Tests.Bindings;

namespace VirtualIoT.Tests.LoadGen;

/// <summary>
/// LoadGen's CoAP and WebSocket channels against the embedded platform's real bindings: the device simulation over
/// CoAP (CBOR bodies; reads, discoveries and the read-back verification included) and over WebSocket (JSON and CBOR) and the benchmark command
/// <c>load</c> over every binding and serialization. Asserts correctness only; the rates belong in BENCHMARKS.md.
/// </summary>
[Collection(BindingsCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class LoadGenBindingTests(BindingsFixture fixture)
{
    [Fact]
    public async Task Devices_over_coap_with_cbor_lose_nothing()
    {
        var (result, _) = await RunDevicesAsync(new LoadGenOptions
        {
            Protocol = DeviceProtocol.Coap,
            CoapPort = fixture.CoapEndPoint.Port,
            Serialization = BodySerialization.Cbor,
            Devices = 100,
            DiscoveryShare = 0.5,
            MaxConnections = 8,
        });

        Assert.Contains(result.Operations, o => o.Name == "discovery" && o.Ok > 0);
    }

    [Theory]
    [InlineData(BodySerialization.Json)]
    [InlineData(BodySerialization.Cbor)]
    public async Task Devices_over_websocket_lose_nothing(BodySerialization serialization)
    {
        // More devices than WebSockets, so that every WebSocket carries several originators.
        var (result, summary) = await RunDevicesAsync(new LoadGenOptions
        {
            Protocol = DeviceProtocol.WebSocket,
            Serialization = serialization,
            Devices = 60,
            MaxConnections = 6,
        });

        Assert.All(result.Operations, o => Assert.True(o.Errors == 0 && o.Failed == 0 && o.Timeouts == 0, summary));
    }

    // A short device simulation (registration, 2 s of instances and reads, verification, teardown) against the
    // fixture, which must have lost nothing and registered, checked and deleted every device.
    private async Task<(LoadGenResult Result, string Summary)> RunDevicesAsync(LoadGenOptions devices)
    {
        var options = devices with
        {
            BaseUrl = fixture.BaseAddress,
            Interval = TimeSpan.FromSeconds(1),
            Duration = TimeSpan.FromSeconds(2),
            Readers = 0.5,
            Verify = true,
            Teardown = true,
            PhaseTimeout = TimeSpan.FromMinutes(2),
            Live = false,
        };
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        var result = await LoadGenProgram.RunAsync(options, [], null, bound.Token);

        var writer = new StringWriter();
        ConsoleView.WriteSummary(writer, result);
        var summary = writer.ToString();
        Assert.True(result.ExitCode == 0, summary);
        Assert.Equal(options.Devices, result.Devices.WithContainer);
        Assert.True(result.Devices.InstancesAcknowledged > 0, summary);
        Assert.Equal(0, result.Verification!.Lost);
        Assert.Equal(options.Devices, result.Verification.DevicesChecked);
        Assert.Equal(options.Devices, result.Devices.Deleted);
        return (result, summary);
    }

    [Theory]
    [InlineData("http", "json", "cin", 9000)]
    [InlineData("coap", "cbor", "cin", 9010)]
    [InlineData("coap", "json", "la", 9020)]
    [InlineData("ws", "json", "cin", 9030)]
    [InlineData("ws", "cbor", "la", 9040)]
    public async Task Load_command_gets_only_the_expected_answers(string binding, string serialization, string op, int first)
    {
        string[] common = ["--base", fixture.BaseAddress.ToString(), "--aes", "8", "--first", first.ToString(CultureInfo.InvariantCulture)];
        Assert.Equal(0, await BenchCommands.RunAsync("setup", [.. common]));

        // Exit code 0: at least one answer, and every answer the expected status and RSC (2001 or 2000).
        var exit = await BenchCommands.RunAsync("load", [.. common, "--binding", binding, "--serialization", serialization, "--op", op,
            "--coap-port", fixture.CoapEndPoint.Port.ToString(CultureInfo.InvariantCulture), "--connections", "4", "--duration", "1", "--warmup", "0"]);

        Assert.Equal(0, exit);
    }

    [Fact]
    public void Json_content_is_written_as_the_same_structure_in_cbor()
    {
        var cbor = RequestBodies.JsonToCbor("""{"m2m:cin":{"con":"21.5","cs":4,"lbl":["a",true,null],"x":1.5}}""");

        var reader = new CborReader(cbor);
        Assert.Equal(1, reader.ReadStartMap());
        Assert.Equal("m2m:cin", reader.ReadTextString());
        Assert.Equal(4, reader.ReadStartMap());
        Assert.Equal("con", reader.ReadTextString());
        Assert.Equal("21.5", reader.ReadTextString());
        Assert.Equal("cs", reader.ReadTextString());
        Assert.Equal(4, reader.ReadInt32());
        Assert.Equal("lbl", reader.ReadTextString());
        Assert.Equal(3, reader.ReadStartArray());
        Assert.Equal("a", reader.ReadTextString());
        Assert.True(reader.ReadBoolean());
        reader.ReadNull();
        reader.ReadEndArray();
        Assert.Equal("x", reader.ReadTextString());
        Assert.Equal(1.5, reader.ReadDouble());
        reader.ReadEndMap();
        reader.ReadEndMap();
        Assert.Equal(0, reader.BytesRemaining);
    }
}
