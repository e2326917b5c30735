using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// Idle MQTT connections at scale: opens N MQTT 3.1.1 connections (clean session, client IDs
/// <c>C&lt;prefix&gt;&lt;n&gt;</c>) to the broker, spread over K loopback source addresses (127.0.0.2..), at a bounded
/// rate with bounded concurrency; measures the broker process's memory at each step; holds them idle; checks that
/// every one still answers a PINGREQ and that a sample still gets oneM2M answers; then disconnects them all.
/// </summary>
/// <remarks>
/// The client is a lean raw-socket implementation (CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH QoS 0, PINGREQ,
/// DISCONNECT), not MQTTnet: an idle connection here costs one socket and one pending zero-byte receive, so the
/// client stays small and the figures are the broker's. With <c>--server-pid</c> it reads the broker process's
/// <c>/proc/PID/status</c> (VmRSS) and <c>/proc/PID/stat</c> (CPU time) itself at each step (Linux only).
/// </remarks>
internal static partial class MqttConnectionsCommand
{
    private const long HighestMicroseconds = 120_000_000;

    public static async Task<int> RunAsync(CommandLine options)
    {
        var settings = new Settings(options);
        RaiseFileLimit(settings.Connections);
        var run = new Run(settings);
        return await run.ExecuteAsync();
    }

    private sealed class Settings
    {
        public Settings(CommandLine options)
        {
            Broker = new IPEndPoint(IPAddress.Parse(options.String("host", "127.0.0.1")), options.Int("port", 1883));
            Connections = options.Int("connections", 50_000);
            var sources = options.Int("sources", 4);
            var first = IPAddress.Parse(options.String("first-source", "127.0.0.2")).GetAddressBytes();
            Sources = [.. Enumerable.Range(0, sources).Select(i => new IPAddress([first[0], first[1], first[2], (byte)(first[3] + i)]))];
            var prefix = options.String("prefix", "mqc");
            var ids = options.String("ids", "ae");
            IdPrefix = ids switch
            {
                "ae" => "C" + prefix,
                "plain" when prefix.Length > 0 && prefix[0] is not ('C' or 'S') => prefix,
                _ => throw new ArgumentException("--ids is 'ae' (client IDs C<prefix><n>) or 'plain' (<prefix><n>, prefix not starting with C or S)"),
            };
            FirstIndex = options.Int("first-index", 0);
            KeepAliveSeconds = options.Int("keepalive", 300);
            Rate = options.Double("rate", 2000);
            Concurrency = options.Int("concurrency", 64);
            HoldSeconds = options.Double("hold", 30);
            SettleSeconds = options.Double("settle", 5);
            Sample = Math.Min(options.Int("sample", 100), Connections);
            ServerPid = options.Int("server-pid", 0);
            ConnectTimeout = TimeSpan.FromSeconds(options.Double("connect-timeout", 30));
            Steps = [.. options.String("steps", "10000,25000").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Where(s => s > 0 && s < Connections)
                .Append(Connections).Distinct().Order()];
            if (Connections <= 0 || sources <= 0 || sources > 250 || Rate <= 0 || Concurrency <= 0 || KeepAliveSeconds is <= 0 or > 65535)
            {
                throw new ArgumentException("--connections, --sources (1..250), --rate, --concurrency and --keepalive (1..65535) must be positive");
            }
        }

        public IPEndPoint Broker { get; }
        public int Connections { get; }
        public IPAddress[] Sources { get; }
        public string IdPrefix { get; }
        public int FirstIndex { get; }

        public int KeepAliveSeconds { get; }
        public double Rate { get; }
        public int Concurrency { get; }
        public double HoldSeconds { get; }
        public double SettleSeconds { get; }
        public int Sample { get; }
        public int ServerPid { get; }
        public TimeSpan ConnectTimeout { get; }
        public int[] Steps { get; }

        // Connection i (0-based in this process) has client ID <IdPrefix><FirstIndex + i>.
        public string ClientId(int index) => IdPrefix + (FirstIndex + index).ToString(CultureInfo.InvariantCulture);
    }

    private sealed class Run(Settings settings)
    {
        private readonly Connection?[] _connections = new Connection?[settings.Connections];
        private readonly ConcurrentDictionary<string, int> _errors = new(StringComparer.Ordinal);
        private readonly LongHistogram _connectLatency = new(HighestMicroseconds, 3);
        private readonly Lock _histogramGate = new();
        private readonly StringBuilder _summary = new();
        private int _established;
        private string? _firstError;

        public async Task<int> ExecuteAsync()
        {
            var s = settings;
            var perSource = (s.Connections + s.Sources.Length - 1) / s.Sources.Length;
            var portRange = EphemeralPorts();
            Console.WriteLine($"MQTTCONN plan: {s.Connections} connections to {s.Broker} from {s.Sources.Length} source address(es) " +
                $"{s.Sources[0]}..{s.Sources[^1]} ({perSource} each; ephemeral ports per address: {portRange}), client IDs {s.ClientId(0)}.., " +
                $"keep-alive {s.KeepAliveSeconds} s, rate {s.Rate}/s, concurrency {s.Concurrency}, steps {string.Join(',', s.Steps)}, hold {s.HoldSeconds} s");
            if (portRange > 0 && perSource > portRange - 100)
            {
                Console.WriteLine($"MQTTCONN warning: {perSource} connections per source address exceed its ephemeral port range; use more --sources");
            }

            Add("connections", s.Connections);
            Add("sources", s.Sources.Length);
            Add("ids", s.ClientId(0) + ".." + s.ClientId(s.Connections - 1));
            var baseline = Probe.Take(s.ServerPid);
            Add("server_rss_base_mb", baseline.RssMb);
            Console.WriteLine($"MQTTCONN step connections=0 {baseline}");

            // ---- ramp, step by step --------------------------------------------------------------------------------
            var ramp = Stopwatch.StartNew();
            var from = 0;
            Probe last = baseline;
            var previousEstablished = 0;
            foreach (var step in s.Steps)
            {
                var segment = Stopwatch.StartNew();
                await ConnectRangeAsync(from, step);
                var segmentSeconds = segment.Elapsed.TotalSeconds;
                var connectedAt = Probe.Take(s.ServerPid);
                await Task.Delay(TimeSpan.FromSeconds(s.SettleSeconds));
                var probe = Probe.Take(s.ServerPid);
                var established = Volatile.Read(ref _established);
                var perConnection = KiloBytesPer(probe.RssKb - baseline.RssKb, established);
                var marginal = KiloBytesPer(probe.RssKb - last.RssKb, established - previousEstablished);
                var rampCpu = connectedAt.CpuSeconds - last.CpuSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"MQTTCONN step connections={step} established={established} errors={ErrorCount()} segment_seconds={segmentSeconds:F1} " +
                    $"rate={(step - from) / segmentSeconds:F0}/s {probe} rss_per_conn_kb={perConnection:F2} marginal_kb={marginal:F2} " +
                    $"server_cpu_s_for_segment={rampCpu:F1} {ConnectLatency()}"));
                Add($"rss_{step}_mb", probe.RssMb);
                Add($"per_conn_kb_{step}", perConnection.ToString("F2", CultureInfo.InvariantCulture));
                Add($"marginal_kb_{step}", marginal.ToString("F2", CultureInfo.InvariantCulture));
                last = probe;
                previousEstablished = established;
                from = step;
            }

            var rampSeconds = ramp.Elapsed.TotalSeconds;
            Add("established", Volatile.Read(ref _established));
            Add("connect_errors", ErrorCount());
            Add("ramp_seconds", rampSeconds.ToString("F1", CultureInfo.InvariantCulture));
            Add(ConnectLatency());

            // ---- idle hold ---------------------------------------------------------------------------------------------
            var holdStart = Probe.Take(s.ServerPid);
            var clientCpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            Console.WriteLine($"MQTTCONN holding {Volatile.Read(ref _established)} idle connections for {s.HoldSeconds} s");
            await Task.Delay(TimeSpan.FromSeconds(s.HoldSeconds));
            var holdEnd = Probe.Take(s.ServerPid);
            var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - clientCpuStart).TotalSeconds;
            var lost = _connections.Count(c => c is { ClosedByBroker: true });
            var idleCpuPercent = s.HoldSeconds > 0 ? 100 * (holdEnd.CpuSeconds - holdStart.CpuSeconds) / s.HoldSeconds : 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"MQTTCONN hold done: {holdEnd} server_cpu_pct_of_one_core={idleCpuPercent:F1} client_cpu_s={clientCpu:F1} closed_by_broker={lost}"));
            Add("hold_seconds", s.HoldSeconds.ToString("F0", CultureInfo.InvariantCulture));
            Add("idle_server_cpu_pct", idleCpuPercent.ToString("F1", CultureInfo.InvariantCulture));
            Add("rss_hold_end_mb", holdEnd.RssMb);
            Add("closed_by_broker_during_hold", lost);

            // ---- still alive? every connection pings, a sample asks the CSE ----------------------------------------------
            var (pingOk, pingSeconds) = await PingAllAsync();
            Add("ping_ok", pingOk);
            Add("ping_seconds", pingSeconds.ToString("F1", CultureInfo.InvariantCulture));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MQTTCONN ping: {pingOk} of {Volatile.Read(ref _established)} answered PINGREQ in {pingSeconds:F1} s"));
            var (sample, sampleOk, sampleChecked) = await SampleAsync();
            Add(sample);
            Console.WriteLine($"MQTTCONN sample: {sample}");

            // ---- disconnect everything -----------------------------------------------------------------------------------
            var disconnect = Stopwatch.StartNew();
            var closedByBroker = await DisconnectAllAsync();
            var disconnectSeconds = disconnect.Elapsed.TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(s.SettleSeconds));
            var after = Probe.Take(s.ServerPid);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"MQTTCONN disconnected in {disconnectSeconds:F1} s ({closedByBroker} closed by the broker after DISCONNECT); after {s.SettleSeconds} s: {after}"));
            Add("disconnect_seconds", disconnectSeconds.ToString("F1", CultureInfo.InvariantCulture));
            Add("rss_after_disconnect_mb", after.RssMb);
            Add("client_rss_mb", Environment.WorkingSet / (1024 * 1024));
            if (_firstError is not null)
            {
                Console.WriteLine($"MQTTCONN first error: {_firstError}");
                Console.WriteLine($"MQTTCONN errors by kind: {string.Join(", ", _errors.OrderByDescending(e => e.Value).Select(e => $"{e.Key}={e.Value}"))}");
            }

            Console.WriteLine("MQTTCONN " + _summary.ToString().TrimEnd());
            var failed = Volatile.Read(ref _established) < s.Connections || pingOk < Volatile.Read(ref _established) || lost > 0
                || sampleOk < sampleChecked;
            return failed ? 2 : 0;
        }

        private void Add(string name, object value) => _summary.Append(CultureInfo.InvariantCulture, $"{name}={value} ");

        private void Add(string fields) => _summary.Append(fields).Append(' ');

        private int ErrorCount() => _errors.Values.Sum();

        private static double KiloBytesPer(long kiloBytes, int count) => count > 0 ? (double)kiloBytes / count : 0;

        private string ConnectLatency()
        {
            lock (_histogramGate)
            {
                return _connectLatency.TotalCount == 0 ? "connect_p50_ms=- connect_p99_ms=- connect_max_ms=-"
                    : string.Create(CultureInfo.InvariantCulture,
                        $"connect_p50_ms={_connectLatency.GetValueAtPercentile(50) / 1000.0:F2} connect_p99_ms={_connectLatency.GetValueAtPercentile(99) / 1000.0:F2} connect_max_ms={_connectLatency.GetMaxValue() / 1000.0:F1}");
            }
        }

        private void Error(string kind, string detail)
        {
            _errors.AddOrUpdate(kind, 1, static (_, n) => n + 1);
            Interlocked.CompareExchange(ref _firstError, $"{kind}: {detail}", null);
        }

        // Connections [from, to) at settings.Rate per second on a fixed schedule, at most settings.Concurrency at once.
        private async Task ConnectRangeAsync(int from, int to)
        {
            var start = Stopwatch.GetTimestamp();
            var next = from - 1;
            var workers = Enumerable.Range(0, Math.Min(settings.Concurrency, to - from)).Select(async _ =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < to)
                {
                    var due = TimeSpan.FromSeconds((index - from) / settings.Rate) - Stopwatch.GetElapsedTime(start);
                    if (due > TimeSpan.FromMilliseconds(1))
                    {
                        await Task.Delay(due);
                    }

                    await ConnectOneAsync(index);
                }
            });
            await Task.WhenAll(workers);
        }

        private async Task ConnectOneAsync(int index)
        {
            var source = settings.Sources[index % settings.Sources.Length];
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var connection = new Connection(socket);
            var started = Stopwatch.GetTimestamp();
            using var timeout = new CancellationTokenSource(settings.ConnectTimeout);
            var stage = "bind";
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                stage = "tcp_connect";
                await socket.ConnectAsync(settings.Broker, timeout.Token);
                stage = "connack";
                connection.Start();
                var connack = connection.Expect(PacketType.ConnAck);
                await socket.SendAsync(Packets.Connect(settings.ClientId(index), settings.KeepAliveSeconds), SocketFlags.None, timeout.Token);
                var returnCode = await connack.WaitAsync(timeout.Token);
                if (returnCode.Span.Length < 2 || returnCode.Span[1] != 0)
                {
                    var code = returnCode.Span.Length >= 2 ? returnCode.Span[1] : -1;
                    Error($"connack_{code}", $"client {settings.ClientId(index)}: CONNACK return code {code}");
                    connection.Abort();
                    return;
                }

                var micros = Stopwatch.GetElapsedTime(started).Ticks / 10;
                lock (_histogramGate)
                {
                    _connectLatency.RecordValue(Math.Min(micros, HighestMicroseconds));
                }

                _connections[index] = connection;
                Interlocked.Increment(ref _established);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or ConnectionClosedException)
            {
                var kind = e switch
                {
                    SocketException se => $"{stage}_{se.SocketErrorCode}",
                    OperationCanceledException => $"{stage}_timeout",
                    ConnectionClosedException => $"{stage}_closed_by_broker",
                    _ => $"{stage}_{e.GetType().Name}",
                };
                Error(kind, $"client {settings.ClientId(index)} from {source}: {e.Message}");
                connection.Abort();
            }
        }

        private async Task<(int Ok, double Seconds)> PingAllAsync()
        {
            var stopwatch = Stopwatch.StartNew();
            var ok = 0;
            await Parallel.ForEachAsync(_connections.Where(c => c is not null), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(settings.Concurrency, 256) },
                async (connection, _) =>
                {
                    try
                    {
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                        var response = connection!.Expect(PacketType.PingResp);
                        await connection.SendAsync(Packets.PingReq, timeout.Token);
                        await response.WaitAsync(timeout.Token);
                        Interlocked.Increment(ref ok);
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or ConnectionClosedException or ObjectDisposedException)
                    {
                        Error("ping_" + e.GetType().Name, e.Message);
                    }
                });
            return (ok, stopwatch.Elapsed.TotalSeconds);
        }

        // A oneM2M retrieve of the CSEBase over a sample of the held connections, spread over the whole range: each
        // subscribes to its response topic, publishes the request (QoS 0) and waits for the response primitive.
        // Answered: a response primitive with the request's rqi, whatever its rsc (an unregistered AE gets 4103).
        private async Task<(string Text, int Ok, int Checked)> SampleAsync()
        {
            if (settings.Sample == 0)
            {
                return ("sample_ok=0 sample_checked=0", 0, 0);
            }

            var latency = new LongHistogram(HighestMicroseconds, 3);
            var codes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
            var ok = 0;
            var checkedCount = 0;
            var indexes = Enumerable.Range(0, settings.Sample).Select(i => (int)((long)i * settings.Connections / settings.Sample)).Distinct();
            await Parallel.ForEachAsync(indexes, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (index, cancellationToken) =>
            {
                if (_connections[index] is not { } connection)
                {
                    return;
                }

                Interlocked.Increment(ref checkedCount);
                var id = settings.ClientId(index);
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                    var suback = connection.Expect(PacketType.SubAck);
                    await connection.SendAsync(Packets.Subscribe(1, $"/oneM2M/resp/{id}/id-in/json"), timeout.Token);
                    var granted = await suback.WaitAsync(timeout.Token);
                    if (granted.Length < 3 || granted.Span[2] == 0x80)
                    {
                        codes.AddOrUpdate("suback_refused", 1, static (_, n) => n + 1);
                        return;
                    }

                    var started = Stopwatch.GetTimestamp();
                    var publish = connection.Expect(PacketType.Publish);
                    var rqi = "mqconn-" + index.ToString(CultureInfo.InvariantCulture);
                    var request = $$"""{"op":2,"to":"cse-in","fr":"{{id}}","rqi":"{{rqi}}","rvi":"3"}""";
                    await connection.SendAsync(Packets.Publish($"/oneM2M/req/{id}/id-in/json", Encoding.UTF8.GetBytes(request)), timeout.Token);
                    var payload = await publish.WaitAsync(timeout.Token);
                    var micros = Stopwatch.GetElapsedTime(started).Ticks / 10;
                    using var json = JsonDocument.Parse(payload);
                    var rsc = json.RootElement.TryGetProperty("rsc", out var r) ? r.ToString() : "none";
                    var rqiOk = json.RootElement.TryGetProperty("rqi", out var q) && q.GetString() == rqi;
                    codes.AddOrUpdate(rqiOk ? rsc : rsc + "_wrong_rqi", 1, static (_, n) => n + 1);
                    if (rqiOk && rsc != "none")
                    {
                        Interlocked.Increment(ref ok);
                    }

                    lock (latency)
                    {
                        latency.RecordValue(Math.Min(micros, HighestMicroseconds));
                    }
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or ConnectionClosedException or JsonException)
                {
                    codes.AddOrUpdate(e is OperationCanceledException ? "timeout" : e.GetType().Name, 1, static (_, n) => n + 1);
                }
            });
            var rscs = string.Join(',', codes.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}:{c.Value}"));
            var text = latency.TotalCount == 0
                ? $"sample_ok={ok} sample_checked={checkedCount} sample_rsc={rscs}"
                : string.Create(CultureInfo.InvariantCulture,
                    $"sample_ok={ok} sample_checked={checkedCount} sample_rsc={rscs} sample_p50_ms={latency.GetValueAtPercentile(50) / 1000.0:F2} sample_max_ms={latency.GetMaxValue() / 1000.0:F1}");
            return (text, ok, checkedCount);
        }

        // DISCONNECT on every connection, then waits (10 s at most) for the broker to close it, so that the broker
        // side closes first and the client's ports do not linger in TIME_WAIT.
        private async Task<int> DisconnectAllAsync()
        {
            var closedByBroker = 0;
            await Parallel.ForEachAsync(_connections.Where(c => c is not null), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(settings.Concurrency, 256) },
                async (connection, _) =>
                {
                    try
                    {
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                        await connection!.SendAsync(Packets.Disconnect, timeout.Token);
                        await connection.Closed.WaitAsync(timeout.Token);
                        Interlocked.Increment(ref closedByBroker);
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
                    {
                        Error("disconnect_" + e.GetType().Name, e.Message);
                    }
                    finally
                    {
                        connection!.Abort();
                    }
                });
            Array.Clear(_connections);
            return closedByBroker;
        }

        private static int EphemeralPorts()
        {
            try
            {
                var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
                return int.Parse(parts[1], CultureInfo.InvariantCulture) - int.Parse(parts[0], CultureInfo.InvariantCulture) + 1;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return 0;
            }
        }
    }

    private enum PacketType
    {
        ConnAck = 2,
        Publish = 3,
        SubAck = 9,
        PingResp = 13,
    }
}
