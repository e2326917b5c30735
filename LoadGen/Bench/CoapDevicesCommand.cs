using System.Globalization;
using System.Net;
using VirtualIoT.LoadGen.Measurement;
using VirtualIoT.LoadGen.Transport;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// Idle CoAP devices at scale: what a device that has spoken once and then stays silent costs the CSE. Opens
/// <c>--devices</c> UDP sockets (each a device with its own address and port, spread over the source addresses
/// 127.0.0.2, .3, …), each sends one confirmable request (a CSEBase retrieve as the administrator) and keeps its socket
/// open; after each step the silo runs a full garbage collection and its managed heap (<c>/metrics</c>) and RSS
/// (<c>/proc</c>) are read. Prints one <c>COAPDEV</c> line per step and a summary; exit code 2 if a request failed.
/// </summary>
internal static class CoapDevicesCommand
{
    public static async Task<int> RunAsync(CommandLine options)
    {
        var baseUri = options.BaseUri();
        var devices = options.Int("devices", 50_000);
        var sources = options.Int("sources", 8);
        var concurrency = options.Int("concurrency", 64);
        var coapPort = options.Int("coap-port", 5683);
        var serverPid = options.Int("server-pid", 0);
        var admin = options.String("admin", "CAdmin");
        var steps = options.String("steps", "10000,25000").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Where(s => s > 0 && s < devices).Append(devices).ToArray();
        if (devices < 1 || sources is < 1 or > 250 || concurrency < 1 || serverPid <= 0)
        {
            throw new ArgumentException("--devices and --concurrency must be >= 1, --sources 1 to 250, --server-pid is required");
        }

        MqttConnectionsCommand.RaiseFileLimit(devices);
        var endpoint = await Endpoint.ResolveAsync(baseUri, CancellationToken.None);
        var server = new IPEndPoint(endpoint.Address.Address, coapPort);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var probe = new ServerProbe(new LoadGenOptions { BaseUrl = baseUri, SiloPids = [serverPid], SiloGc = true }, http);
        var channels = new CoapChannel[devices];
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
                var source = new IPAddress([127, 0, 0, (byte)(2 + (d % sources))]);
                var channel = channels[d] = new CoapChannel(server, BodySerialization.Cbor, new IPEndPoint(source, 0));
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

        foreach (var channel in channels)
        {
            channel?.Dispose();
        }

        return failed == 0 ? 0 : 2;
    }

    private static void Print(int devices, ServerSnapshot before, ServerSnapshot now) =>
        Console.WriteLine(FormattableString.Invariant(
            $"COAPDEV devices={devices} heap_bytes={now.HeapBytes} rss_bytes={now.RssBytes} heap_growth_bytes={now.HeapBytes - before.HeapBytes} rss_growth_bytes={now.RssBytes - before.RssBytes}"));
}
