using System.Globalization;
using System.Net;
using VirtualIoT.LoadGen.Measurement;
using VirtualIoT.LoadGen.Transport;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// Idle CoAP devices at scale: what a device that has spoken once and then stays silent costs the CSE. Device
/// <c>d</c> sends one confirmable request (a CSEBase retrieve as the administrator) from an address and port of its
/// own (127.0.0.<c>2 + d mod sources</c>, port <c>first-port + d / sources</c>), then falls silent; its socket is
/// closed, which the CSE cannot tell from a silent device, since UDP has no connection (so LoadGen needs no socket
/// per idle device). After each step the silo runs a full garbage collection and its managed heap (<c>/metrics</c>)
/// and RSS (<c>/proc</c>) are read. Prints one <c>COAPDEV</c> line per step and a summary; exit code 2 if a request
/// failed.
/// </summary>
internal static class CoapDevicesCommand
{
    public static async Task<int> RunAsync(CommandLine options)
    {
        var baseUri = options.BaseUri();
        var devices = options.Int("devices", 50_000);
        var sources = options.Int("sources", 8);
        var concurrency = options.Int("concurrency", 64);
        var firstPort = options.Int("first-port", 20000);
        var coapPort = options.Int("coap-port", 5683);
        var serverPid = options.Int("server-pid", 0);
        var admin = options.String("admin", "CAdmin");
        var steps = options.String("steps", "10000,25000").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Where(s => s > 0 && s < devices).Append(devices).ToArray();
        if (devices < 1 || sources is < 1 or > 250 || concurrency < 1 || serverPid <= 0 || firstPort < 1024 || firstPort + ((devices - 1) / sources) > 65535)
        {
            throw new ArgumentException("--devices and --concurrency must be >= 1, --sources 1 to 250, --server-pid is required, "
                + "and the ports --first-port .. --first-port + devices / sources must lie in 1024 .. 65535");
        }

        var endpoint = await Endpoint.ResolveAsync(baseUri, CancellationToken.None);
        var server = new IPEndPoint(endpoint.Address.Address, coapPort);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var probe = new ServerProbe(new LoadGenOptions { BaseUrl = baseUri, SiloPids = [serverPid], SiloGc = true }, http);
        long failed = 0;
        string? firstFailure = null;

        var before = await probe.TakeAsync("before", CancellationToken.None);
        Print(0, before, before);
        var opened = 0;
        ServerSnapshot last = before;
        foreach (var step in steps)
        {
            await Parallel.ForAsync(opened, step, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (d, _) =>
            {
                var source = new IPEndPoint(new IPAddress([127, 0, 0, (byte)(2 + (d % sources))]), firstPort + (d / sources));
                using var channel = new CoapChannel(server, BodySerialization.Cbor, source);
                var spec = new RequestSpec(OneM2MOperation.Retrieve, "cse-in", admin, "d" + d.ToString(CultureInfo.InvariantCulture));
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    var reply = await channel.ExchangeAsync(spec, timeout.Token);
                    if (reply.Rsc != 2000)
                    {
                        throw new IOException($"RSC {reply.Rsc} (CoAP {reply.Status})");
                    }
                }
                catch (Exception exception) when (exception is IOException or OperationCanceledException or System.Net.Sockets.SocketException)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstFailure, $"device {d}: {exception.Message}", null);
                }
            });
            opened = step;
            last = await probe.TakeAsync($"devices-{step}", CancellationToken.None);
            Print(step, before, last);
        }

        Console.WriteLine(FormattableString.Invariant(
            $"COAPDEV summary devices={devices} failed={failed} heap_growth_bytes={last.HeapBytes - before.HeapBytes} rss_growth_bytes={last.RssBytes - before.RssBytes} ") +
            FormattableString.Invariant($"heap_per_device_bytes={(double)((last.HeapBytes ?? 0) - (before.HeapBytes ?? 0)) / devices:F1}"));
        if (firstFailure is not null)
        {
            Console.WriteLine($"COAPDEV first_failure: {firstFailure}");
        }

        return failed == 0 ? 0 : 2;
    }

    private static void Print(int devices, ServerSnapshot before, ServerSnapshot now) =>
        Console.WriteLine(FormattableString.Invariant(
            $"COAPDEV devices={devices} heap_bytes={now.HeapBytes} rss_bytes={now.RssBytes} heap_growth_bytes={now.HeapBytes - before.HeapBytes} rss_growth_bytes={now.RssBytes - before.RssBytes}"));
}
