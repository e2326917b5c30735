using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Bindings;

namespace VirtualIoT.Tests.Coap;

/// <summary>
/// The CoAP binding against a stock client, libcoap's <c>coap-client-notls</c> (Debian package <c>libcoap3-bin</c>,
/// which ./test.sh installs): registration, container and CBOR content instance, latest, discovery, and block-wise
/// transfer both ways, as a device would send them. The oneM2M options go by number (<c>-O 279,&lt;From&gt;</c>).
/// </summary>
[Trait("Speed", "Slow")]
[Collection(BindingsCollection.Name)]
public sealed class CoapClientToolTests(BindingsFixture fixture)
{
    private const string Tool = "coap-client-notls";

    private string Uri(string pathAndQuery) =>
        string.Create(CultureInfo.InvariantCulture, $"coap://127.0.0.1:{fixture.CoapEndPoint.Port}/{pathAndQuery}");

    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-B", "30", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Tool} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }

    private static JsonElement Json(string output, string what)
    {
        try
        {
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new Xunit.Sdk.XunitException($"{what}: no JSON in the output '{output}'");
        }
    }

    private async Task<JsonElement> RequestAsync(string what, params string[] arguments)
    {
        var (exitCode, output, errors) = await RunAsync(arguments);
        Assert.True(exitCode == 0, $"{what}: {Tool} exited {exitCode}: {errors}");
        return Json(output, what);
    }

    private async Task<string> RegisterAsync()
    {
        var aeId = "Ctool" + Guid.NewGuid().ToString("N")[..10];
        var ae = await RequestAsync("registration", "-m", "post", "-t", "50", "-A", "50", "-O", "267,0x02", "-O", "279," + aeId, "-O", "283,t1",
            "-e", $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Ntool","rr":false,"srv":["3"]}}""", Uri("cse-in"));
        Assert.Equal(aeId, ae.GetProperty("m2m:ae").GetProperty("aei").GetString());
        return aeId;
    }

    [Fact]
    public async Task A_device_registers_creates_a_container_and_a_CBOR_content_instance_and_reads_it_back()
    {
        var aeId = await RegisterAsync();
        var cbor = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(cbor, Representation.ToArray(ContentSerialization.Cbor, new Dictionary<string, object?>
            {
                ["m2m:cin"] = new Dictionary<string, object?> { ["cnf"] = "text/plain:0", ["con"] = "21.5" },
            }));

            var container = await RequestAsync("container", "-m", "post", "-t", "50", "-A", "50", "-O", "267,0x03", "-O", "279," + aeId, "-O", "283,t2",
                "-e", """{"m2m:cnt":{"rn":"temp"}}""", Uri("cse-in/" + aeId));
            var instance = await RequestAsync("content instance", "-m", "post", "-t", "60", "-A", "50", "-O", "267,0x04", "-O", "279," + aeId, "-O", "283,t3",
                "-f", cbor, Uri($"cse-in/{aeId}/temp"));
            var latest = await RequestAsync("latest", "-m", "get", "-A", "50", "-O", "279," + aeId, "-O", "283,t4", Uri($"cse-in/{aeId}/temp/la"));
            var found = await RequestAsync("discovery", "-m", "get", "-A", "50", "-O", "279," + aeId, "-O", "283,t5", Uri($"cse-in/{aeId}?fu=1&ty=3+4"));

            Assert.Equal("temp", container.GetProperty("m2m:cnt").GetProperty("rn").GetString());
            Assert.Equal(4, instance.GetProperty("m2m:cin").GetProperty("cs").GetInt32());
            Assert.Equal("21.5", latest.GetProperty("m2m:cin").GetProperty("con").GetString());
            Assert.Equal(2, found.GetProperty("m2m:uril").GetArrayLength());
            Assert.Equal($"cse-in/{aeId}/temp", found.GetProperty("m2m:uril")[0].GetString());
        }
        finally
        {
            File.Delete(cbor);
        }
    }

    [Fact]
    public async Task Large_bodies_travel_block_by_block_both_ways()
    {
        var aeId = await RegisterAsync();
        await RequestAsync("container", "-m", "post", "-t", "50", "-A", "50", "-O", "267,0x03", "-O", "279," + aeId, "-O", "283,b1",
            "-e", """{"m2m:cnt":{"rn":"big"}}""", Uri("cse-in/" + aeId));
        var content = string.Concat(Enumerable.Range(0, 300).Select(i => i.ToString("D5", CultureInfo.InvariantCulture)));

        var created = await RequestAsync("block-wise create", "-b", "64", "-m", "post", "-t", "50", "-A", "50", "-O", "267,0x04", "-O", "279," + aeId,
            "-O", "283,b2", "-e", $$$"""{"m2m:cin":{"con":"{{{content}}}"}}""", Uri($"cse-in/{aeId}/big"));
        var latest = await RequestAsync("block-wise retrieve", "-b", "64", "-m", "get", "-A", "50", "-O", "279," + aeId, "-O", "283,b3",
            Uri($"cse-in/{aeId}/big/la"));

        Assert.Equal(content.Length, created.GetProperty("m2m:cin").GetProperty("cs").GetInt32());
        Assert.Equal(content, latest.GetProperty("m2m:cin").GetProperty("con").GetString());
    }

    [Fact]
    public async Task A_missing_resource_prints_4_04_and_the_debug_message()
    {
        // coap-client prints an error response's code and payload on standard error.
        var (_, output, errors) = await RunAsync("-m", "get", "-A", "50", "-O", "279,CAdmin", "-O", "283,m1", Uri("cse-in/nothing-here"));

        Assert.Contains("4.04", errors, StringComparison.Ordinal);
        Assert.Contains("m2m:dbg", errors + output, StringComparison.Ordinal);
        Assert.Contains("nothing-here", errors + output, StringComparison.Ordinal);
    }
}
