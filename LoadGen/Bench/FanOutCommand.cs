using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HdrHistogram;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// Notification fan-out benchmark: many subscriptions on one container, or one subscription on each of many
/// containers. Runs its own notification receiver (Kestrel on a free loopback port), creates the subscriptions
/// (each verified by the CSE against the receiver), posts content instances whose <c>con</c> carries the send time,
/// and measures notifications per second and write-to-delivery latency.
/// </summary>
internal static class FanOutCommand
{
    private const int ContainersPerAe = 1000;

    public static async Task<int> RunAsync(CommandLine options)
    {
        var baseUri = options.BaseUri();
        var shape = options.String("shape", "one-container");
        var subscriptions = options.Int("subscriptions", 10_000);
        var instances = options.Int("instances", 10);
        var concurrency = options.Int("concurrency", 32);
        var timeout = TimeSpan.FromSeconds(options.Int("timeout", 300));
        var siloPid = options.Int("silo-pid", 0);
        var receiverProtocol = options.String("receiver", "http1");
        if (receiverProtocol is not ("http1" or "http2"))
        {
            throw new ArgumentException($"--receiver must be http1 or http2, not '{receiverProtocol}'");
        }
        var run = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        var originator = "Cfan" + run;

        var receiver = new Receiver(http2: receiverProtocol == "http2");
        await using var app = await receiver.StartAsync();
        using var http = BenchmarkHttp.CreateClient(baseUri, concurrency);
        var setup = Stopwatch.StartNew();

        // Many containers are spread over AEs of ContainersPerAe each, as devices would be (an AE holds at most
        // Cse:MaxChildren children).
        var containers = shape == "one-container" ? 1 : subscriptions;
        var aes = (containers + ContainersPerAe - 1) / ContainersPerAe;
        string Ae(int container) => string.Concat(originator, "x", (container / ContainersPerAe).ToString(CultureInfo.InvariantCulture));
        string ContainerPath(int container) => $"cse-in/{Ae(container)}/c{container}";
        await ForEach(aes, concurrency, a => Expect(http, BenchmarkHttp.Request(HttpMethod.Post, new Uri("cse-in", UriKind.Relative),
            Ae(a * ContainersPerAe), $"ae{a}", 2,
            Encoding.UTF8.GetBytes($$$"""{"m2m:ae":{"rn":"{{{Ae(a * ContainersPerAe)}}}","api":"Nfanout","rr":false,"srv":["3"]}}""")), "2001"));
        await ForEach(containers, concurrency, i => Expect(http, BenchmarkHttp.Request(HttpMethod.Post,
            new Uri($"cse-in/{Ae(i)}", UriKind.Relative), Ae(i), $"c{i}", 3,
            Encoding.UTF8.GetBytes($$$"""{"m2m:cnt":{"rn":"c{{{i}}}","mni":10}}""")), "2001"));
        await ForEach(subscriptions, concurrency, i => Expect(http, BenchmarkHttp.Request(HttpMethod.Post,
            new Uri(ContainerPath(containers == 1 ? 0 : i), UriKind.Relative), Ae(containers == 1 ? 0 : i), $"s{i}", 23,
            Encoding.UTF8.GetBytes("{\"m2m:sub\":{\"rn\":\"s" + i.ToString(CultureInfo.InvariantCulture) + "\",\"nu\":[\"" + receiver.Url + "\"],\"enc\":{\"net\":[3],\"chty\":[4]}}}")), "2001"));
        var setupSeconds = setup.Elapsed.TotalSeconds;
        Console.WriteLine($"FANOUT setup: {containers} container(s), {subscriptions} subscription(s) in {setupSeconds:F1} s " +
            $"({receiver.Verifications} verification requests answered)");

        // One instance per container (many-containers) or `instances` on the single container.
        var writes = shape == "one-container" ? instances : containers;
        var expected = (long)writes * (shape == "one-container" ? subscriptions : 1);
        receiver.Reset();
        var load = GroupFanOutCommand.LoadAverage();
        var cpuBefore = GroupFanOutCommand.SiloCpuSeconds(siloPid);
        var clock = Stopwatch.StartNew();
        await ForEach(writes, shape == "one-container" ? 1 : concurrency, i => Expect(http, BenchmarkHttp.Request(HttpMethod.Post,
            new Uri(ContainerPath(containers == 1 ? 0 : i), UriKind.Relative), Ae(containers == 1 ? 0 : i), $"i{i}", 4,
            Encoding.UTF8.GetBytes($$$"""{"m2m:cin":{"con":"{{{DateTime.UtcNow.Ticks}}}"}}""")), "2001"));
        var writeSeconds = clock.Elapsed.TotalSeconds;

        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (receiver.Received < expected && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100);
        }

        var siloCpu = GroupFanOutCommand.SiloCpuSeconds(siloPid) - cpuBefore;
        var seconds = (receiver.LastReceipt - receiver.FirstReceipt).TotalSeconds;
        var cpu = siloPid <= 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $" silo_cpu_s={siloCpu:F2} notifications_per_silo_cpu_s={(siloCpu > 0 ? receiver.Received / siloCpu : 0):F0}");
        var histogram = receiver.Latencies;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"FANOUT shape={shape} subscriptions={subscriptions} containers={containers} writes={writes} write_s={writeSeconds:F2} " +
            $"expected={expected} received={receiver.Received} duplicates={receiver.Duplicates} receiver={receiverProtocol} " +
            $"received_http2={receiver.ReceivedOverHttp2} " +
            $"notifications_per_s={(seconds > 0 ? receiver.Received / seconds : 0):F0} delivery_span_s={seconds:F2} " +
            $"latency_p50_ms={Ms(histogram, 50)} latency_p90_ms={Ms(histogram, 90)} latency_p99_ms={Ms(histogram, 99)} " +
            $"latency_max_ms={histogram.GetMaxValue() / 10_000.0:F1}{cpu} load_before={load} load_after={GroupFanOutCommand.LoadAverage()}"));
        return receiver.Received >= expected ? 0 : 2;
    }

    private static string Ms(HistogramBase histogram, double percentile) =>
        (histogram.GetValueAtPercentile(percentile) / 10_000.0).ToString("F1", CultureInfo.InvariantCulture);

    private static async Task Expect(HttpClient http, HttpRequestMessage request, string rsc)
    {
        using (request)
        using (var response = await http.SendAsync(request))
        {
            var actual = BenchmarkHttp.ResponseStatusCode(response);
            if (actual != rsc)
            {
                throw new InvalidOperationException($"{request.Method} {request.RequestUri} answered {actual}: {await response.Content.ReadAsStringAsync()}");
            }
        }
    }

    private static Task ForEach(int count, int concurrency, Func<int, Task> action) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency },
            async (i, _) => await action(i));

    /// <summary>
    /// The notification target: answers 2000 at once, records each event's latency from the tick count in <c>con</c>.
    /// Kestrel's default endpoint (HTTP/1.1 on a plain port), or with <paramref name="http2"/> HTTP/2 only (prior
    /// knowledge).
    /// </summary>
    private sealed class Receiver(bool http2)
    {
        private readonly LongConcurrentHistogram _latencies = new(1, TimeSpan.FromMinutes(10).Ticks, 3);
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private long _received;
        private long _verifications;
        private long _duplicates;
        private long _receivedOverHttp2;

        public string Url { get; private set; } = "";

        public long Received => Interlocked.Read(ref _received);

        public long Verifications => Interlocked.Read(ref _verifications);

        public long Duplicates => Interlocked.Read(ref _duplicates);

        /// <summary>Notifications (not verifications) that came over HTTP/2 since <see cref="Reset"/>.</summary>
        public long ReceivedOverHttp2 => Interlocked.Read(ref _receivedOverHttp2);

        public DateTime FirstReceipt { get; private set; }

        public DateTime LastReceipt { get; private set; }

        public HistogramBase Latencies => _latencies;

        public void Reset()
        {
            Interlocked.Exchange(ref _received, 0);
            Interlocked.Exchange(ref _receivedOverHttp2, 0);
            _latencies.Reset();
            FirstReceipt = default;
        }

        public async Task<WebApplication> StartAsync()
        {
            var port = FreePort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            if (http2)
            {
                builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2));
            }
            else
            {
                builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            }

            var app = builder.Build();
            app.MapPost("/n", Handle);
            await app.StartAsync();
            Url = $"http://127.0.0.1:{port}/n";
            return app;
        }

        private async Task Handle(HttpContext context)
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var now = DateTime.UtcNow;
            var requestId = context.Request.Headers["X-M2M-RI"].ToString();
            if (body.Contains("\"vrq\"", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _verifications);
            }
            else
            {
                lock (_seen)
                {
                    if (!_seen.Add(requestId))
                    {
                        _duplicates++;
                    }
                    else
                    {
                        if (FirstReceipt == default)
                        {
                            FirstReceipt = now;
                        }

                        LastReceipt = now;
                        _received++;
                        if (HttpProtocol.IsHttp2(context.Request.Protocol))
                        {
                            _receivedOverHttp2++;
                        }
                    }
                }

                var marker = body.IndexOf("\"con\":\"", StringComparison.Ordinal);
                if (marker >= 0)
                {
                    var start = marker + 7;
                    var end = body.IndexOf('"', start);
                    if (end > start && long.TryParse(body.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out var sent))
                    {
                        _latencies.RecordValue(Math.Max(1, now.Ticks - sent));
                    }
                }
            }

            context.Response.Headers["X-M2M-RSC"] = "2000";
            context.Response.Headers["X-M2M-RI"] = requestId;
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
