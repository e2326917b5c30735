using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Threading.Channels;
using HdrHistogram;
using VirtualIoT.LoadGen.Transport;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// Load on the benchmark's containers: contentInstance create (<c>cin</c>) or latest retrieve (<c>la</c>) over one
/// binding (HTTP, CoAP or WebSocket, each connection an <see cref="IRequestChannel"/>), over a fixed number of
/// connections, each sending for its own share of the AEs (AE <c>i</c> through connection <c>i mod connections</c>,
/// round robin within the share; the WebSocket binding binds an originator to one connection).
/// </summary>
/// <remarks>
/// <para>
/// Closed loop (<c>--rate 0</c>): each connection sends its next request when the previous answer arrives; this
/// measures the maximum rate. Open loop (<c>--rate R</c>): a pacer thread releases request <c>k</c> at
/// <c>start + k/R</c> into a queue that the connections drain, and latency is measured from that intended time,
/// not from when a connection got round to sending it. A server that stalls therefore shows its stall in every
/// request scheduled during it (no coordinated omission), as wrk2 does. The pacer sleeps in 1 ms steps, so a
/// request can be released up to ~1 ms late; that delay is part of the reported latency (an overstatement).
/// <c>service</c> percentiles are measured from the actual send. <c>send_delay</c> is how late requests left: the
/// pacer's granularity (the client's own share, up to ~1 ms), plus waiting for a free connection when all are busy,
/// which is where a server stall shows up for the requests scheduled during it. What the client itself stalled is printed
/// beside it: <c>client_gcs</c> (its collections per generation during the run), <c>client_gc_pause_ms</c> (their total
/// pause) and <c>pacer_late_max_ms</c> (the latest the pacer released a measured request); with <c>service_max_ms</c>,
/// the longest a sent request waited, they tell a client's stall from a server's.
/// </para>
/// </remarks>
internal static class LoadCommand
{
    private const long HighestMicroseconds = 60_000_000;

    public static async Task<int> RunAsync(CommandLine options)
    {
        var baseUri = options.BaseUri();
        var op = options.String("op");
        var isCreate = op switch
        {
            "cin" => true,
            "la" => false,
            _ => throw new ArgumentException("--op must be cin or la"),
        };
        var binding = options.String("binding", "http") switch
        {
            "http" => DeviceProtocol.Http,
            "coap" => DeviceProtocol.Coap,
            "ws" => DeviceProtocol.WebSocket,
            "mqtt" => DeviceProtocol.Mqtt,
            var other => throw new ArgumentException($"--binding must be http, coap, ws or mqtt, not '{other}'"),
        };
        var serialization = options.String("serialization", binding == DeviceProtocol.Coap ? "cbor" : "json") switch
        {
            "json" => BodySerialization.Json,
            "cbor" when binding is DeviceProtocol.Coap or DeviceProtocol.WebSocket => BodySerialization.Cbor,
            var other => throw new ArgumentException($"--serialization must be json{(binding is DeviceProtocol.Coap or DeviceProtocol.WebSocket ? " or cbor" : "")} over {binding}, not '{other}'"),
        };
        var aes = options.Int("aes", 1000);
        var first = options.Int("first", 0);
        var connections = options.Int("connections", 32);
        var duration = options.Double("duration", 10);
        var warmup = options.Double("warmup", 2);
        var rate = options.Double("rate", 0);
        if (aes < 1 || first < 0 || connections < 1 || duration <= 0 || warmup < 0 || rate < 0)
        {
            throw new ArgumentException("--aes and --connections must be >= 1, --first >= 0, --duration > 0, --warmup and --rate >= 0");
        }

        if (connections > aes)
        {
            throw new ArgumentException("--connections must not exceed --aes (each connection sends for its own AEs)");
        }

        var endpoint = await Endpoint.ResolveAsync(baseUri, CancellationToken.None);
        var channelOptions = new BindingOptions(options.Int("coap-port", 5683), options.String("ws-path", "/ws"), serialization,
            options.Int("mqtt-port", 1883), options.String("cse-id", "id-in").TrimStart('/'));
        var frequency = (double)Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp();
        var run = new Run(isCreate, first, aes, connections,
            Tag: DateTime.UtcNow.Ticks.ToString("x", CultureInfo.InvariantCulture),
            MeasureFrom: start + (long)(warmup * frequency),
            End: start + (long)((warmup + duration) * frequency));

        var workers = new Worker[connections];
        for (var i = 0; i < connections; i++)
        {
            workers[i] = new Worker(i, RequestChannels.Open(binding, endpoint, channelOptions));
        }

        // The client's own stalls, to tell them from the server's in a tail: its garbage collections and how late the
        // pacer released requests (a pacer not scheduled in time delays every request due meanwhile).
        var clientPauseBefore = GC.GetTotalPauseDuration();
        int[] clientCollectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        long pacerLateMax = 0;
        Task[] tasks;
        Thread? pacer = null;
        if (rate > 0)
        {
            var queue = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleWriter = true });
            pacer = new Thread(() => pacerLateMax = Pace(queue.Writer, start, rate, run.End, run.MeasureFrom)) { IsBackground = true, Name = "pacer" };
            pacer.Start();
            tasks = Array.ConvertAll(workers, w => Task.Run(() => OpenLoopAsync(run, w, queue.Reader)));
        }
        else
        {
            tasks = Array.ConvertAll(workers, w => Task.Run(() => ClosedLoopAsync(run, w)));
        }

        await Task.WhenAll(tasks);
        pacer?.Join();
        foreach (var w in workers)
        {
            w.Channel.Dispose();
        }

        var clientPause = GC.GetTotalPauseDuration() - clientPauseBefore;
        var clientCollections = string.Join('/', Enumerable.Range(0, 3).Select(g => GC.CollectionCount(g) - clientCollectionsBefore[g]));
        using var self = Process.GetCurrentProcess();
        var clientCpu = self.TotalProcessorTime.TotalSeconds;
        var wall = (Stopwatch.GetTimestamp() - start) / frequency;
        var latency = new LongHistogram(HighestMicroseconds, 3);
        var service = new LongHistogram(HighestMicroseconds, 3);
        var delay = new LongHistogram(HighestMicroseconds, 3);
        long ok = 0, badStatus = 0, badRsc = 0, failed = 0, lastCompletion = run.MeasureFrom;
        string? firstBad = null;
        foreach (var w in workers)
        {
            latency.Add(w.Latency);
            service.Add(w.Service);
            delay.Add(w.Delay);
            ok += w.Ok;
            badStatus += w.BadStatus;
            badRsc += w.BadRsc;
            failed += w.Failed;
            lastCompletion = Math.Max(lastCompletion, w.LastCompletion);
            firstBad ??= w.FirstBad;
        }

        var measured = ok + badStatus + badRsc + failed;
        var seconds = (lastCompletion - run.MeasureFrom) / frequency;
        static string Ms(LongHistogram h, double percentile) =>
            (h.GetValueAtPercentile(percentile) / 1000.0).ToString("F3", CultureInfo.InvariantCulture);
        var line = FormattableString.Invariant(
            $"LOAD op={op} binding={options.String("binding", "http")} serialization={serialization.ToString().ToLowerInvariant()} mode={(rate > 0 ? "open" : "closed")} target_rate={rate:F0} connections={connections} duration_s={duration:F0} ") +
            FormattableString.Invariant(
            $"responses={measured} ok={ok} bad_status={badStatus} bad_rsc={badRsc} failed={failed} rps={(seconds > 0 ? measured / seconds : 0):F1} ") +
            $"p50_ms={Ms(latency, 50)} p90_ms={Ms(latency, 90)} p99_ms={Ms(latency, 99)} p999_ms={Ms(latency, 99.9)} max_ms={Ms(latency, 100)} " +
            $"service_p50_ms={Ms(service, 50)} service_p99_ms={Ms(service, 99)} send_delay_p50_ms={Ms(delay, 50)} send_delay_p99_ms={Ms(delay, 99)} " +
            FormattableString.Invariant($"client_cpu_pct={100 * clientCpu / wall:F0} service_max_ms={Ms(service, 100)} ") +
            FormattableString.Invariant($"client_gcs={clientCollections} client_gc_pause_ms={clientPause.TotalMilliseconds:F1} pacer_late_max_ms={pacerLateMax * 1000.0 / frequency:F3}");
        Console.WriteLine(line);
        if (firstBad is not null)
        {
            Console.WriteLine($"LOAD first_bad: {firstBad}");
        }

        return measured > 0 && measured == ok ? 0 : 2;
    }

    /// <summary>
    /// Releases request k at start + k/rate until <paramref name="end"/>; each item is its intended send time. Returns the
    /// most ticks a request due from <paramref name="measureFrom"/> on was released after its intended time.
    /// </summary>
    private static long Pace(ChannelWriter<long> writer, long start, double rate, long end, long measureFrom)
    {
        long lateMax = 0;
        var ticksPerRequest = Stopwatch.Frequency / rate;
        long k = 0;
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            var due = (long)((now - start) / ticksPerRequest) + 1;
            while (k < due)
            {
                var intended = start + (long)(k * ticksPerRequest);
                if (intended >= end)
                {
                    writer.Complete();
                    return lateMax;
                }

                if (intended >= measureFrom)
                {
                    lateMax = Math.Max(lateMax, now - intended);
                }

                writer.TryWrite(intended);
                k++;
            }

            var waitTicks = start + (long)(k * ticksPerRequest) - Stopwatch.GetTimestamp();
            Thread.Sleep(Math.Max(1, (int)(waitTicks * 1000 / Stopwatch.Frequency)));
        }
    }

    private static async Task OpenLoopAsync(Run run, Worker worker, ChannelReader<long> queue)
    {
        while (await queue.WaitToReadAsync())
        {
            while (queue.TryRead(out var intended))
            {
                await SendAsync(run, worker, intended);
            }
        }
    }

    private static async Task ClosedLoopAsync(Run run, Worker worker)
    {
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= run.End)
            {
                return;
            }

            await SendAsync(run, worker, now);
        }
    }

    private static async Task SendAsync(Run run, Worker worker, long intended)
    {
        var index = run.First + worker.Id + (int)(worker.Sequence % (uint)run.Share(worker.Id) * run.Connections);
        var sequence = ++worker.Sequence;
        var aeId = BenchmarkHttp.AeId(index);
        var container = $"{BenchmarkHttp.CseBase}/{aeId}/{BenchmarkHttp.ContainerName}";
        var requestId = $"{run.Tag}-{worker.Id}-{sequence}";
        var spec = run.IsCreate
            ? new RequestSpec(OneM2MOperation.Create, container, aeId, requestId, 4, BenchmarkHttp.ContentInstanceJson)
            : new RequestSpec(OneM2MOperation.Retrieve, container + "/la", aeId, requestId);
        string? bad = null;
        var outcome = Outcome.Ok;
        var sent = Stopwatch.GetTimestamp();
        try
        {
            var (status, rsc, _) = await worker.Channel.ExchangeAsync(spec, CancellationToken.None);
            if (status != 0 && status / 100 != 2)
            {
                outcome = Outcome.BadStatus;
                bad = $"status {status} (RSC {rsc}) for {aeId}";
            }
            else if (rsc != (run.IsCreate ? 2001 : 2000))
            {
                outcome = Outcome.BadRsc;
                bad = $"RSC {rsc} for {aeId}";
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
            outcome = Outcome.Failed;
            bad = $"{e.GetType().Name}: {e.Message}";
        }

        var done = Stopwatch.GetTimestamp();
        if (intended < run.MeasureFrom)
        {
            return;
        }

        worker.Latency.RecordValue(Math.Min(HighestMicroseconds, Microseconds(done - intended)));
        worker.Service.RecordValue(Math.Min(HighestMicroseconds, Microseconds(done - sent)));
        worker.Delay.RecordValue(Math.Min(HighestMicroseconds, Microseconds(sent - intended)));
        worker.LastCompletion = done;
        switch (outcome)
        {
            case Outcome.Ok: worker.Ok++; break;
            case Outcome.BadStatus: worker.BadStatus++; break;
            case Outcome.BadRsc: worker.BadRsc++; break;
            default: worker.Failed++; break;
        }

        worker.FirstBad ??= bad;
    }

    private static long Microseconds(long ticks) => ticks * 1_000_000 / Stopwatch.Frequency;

    private enum Outcome
    {
        Ok,
        BadStatus,
        BadRsc,
        Failed,
    }

    private sealed record Run(bool IsCreate, int First, int Aes, int Connections, string Tag, long MeasureFrom, long End)
    {
        /// <summary>How many AEs connection <paramref name="worker"/> sends for: those with index ≡ worker (mod connections).</summary>
        public int Share(int worker) => ((Aes - worker - 1) / Connections) + 1;
    }

    /// <summary>One connection's loop and its own (unsynchronised) counters and histograms.</summary>
    private sealed class Worker(int id, IRequestChannel channel)
    {
        public int Id { get; } = id;
        public readonly IRequestChannel Channel = channel;
        public long Sequence;
        public readonly LongHistogram Latency = new(HighestMicroseconds, 3);
        public readonly LongHistogram Service = new(HighestMicroseconds, 3);
        public readonly LongHistogram Delay = new(HighestMicroseconds, 3);
        public long Ok, BadStatus, BadRsc, Failed, LastCompletion;
        public string? FirstBad;
    }
}
