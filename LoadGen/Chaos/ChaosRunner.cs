using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace VirtualIoT.LoadGen.Chaos;

/// <summary>
/// The chaos run: starts (or attaches to) silos on PostgreSQL membership and storage and standalone gateways, sends
/// device writes through the gateways in turn, kills a random silo with SIGKILL on a schedule and starts it again,
/// optionally kills gateways and pauses silos, then reads every container back and reports what was acknowledged,
/// lost, duplicated and notified (<see cref="ChaosResult"/>). Bounded in time; stops every process it started.
/// </summary>
public static class ChaosRunner
{
    /// <summary>Command-line entry (<c>LoadGen chaos ...</c>): parses, runs, prints the report; returns the exit code.</summary>
    public static async Task<int> MainAsync(IReadOnlyList<string> args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(ChaosOptions.Usage);
            return 0;
        }

        var options = ChaosOptions.Parse(args, out var error);
        if (options is null)
        {
            await Console.Error.WriteLineAsync($"LoadGen chaos: {error}");
            await Console.Error.WriteLineAsync(ChaosOptions.Usage);
            return 1;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl+C ends the run: its processes are stopped and what was measured so far is reported.
            e.Cancel = true;
            cancel.Cancel();
        };
        try
        {
            var result = await RunAsync(options, ["chaos", .. args], Console.Out, cancel.Token);
            ChaosSummary.Write(Console.Out, result);
            return result.ExitCode;
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"LoadGen chaos: {exception.Message}");
            return 1;
        }
    }

    /// <summary>Runs a chaos run and writes the report file when asked; progress lines go to <paramref name="log"/>.</summary>
    public static async Task<ChaosResult> RunAsync(ChaosOptions options, IReadOnlyList<string> arguments, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var run = new ChaosRun(options, log);
        var result = await run.ExecuteAsync(arguments, cancellationToken);
        if (options.ResultsPath is { } path)
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            await File.WriteAllTextAsync(path, ChaosJsonContext.Serialize(result), CancellationToken.None);
        }

        return result;
    }
}

/// <summary>One chaos run's processes, devices, faults and figures.</summary>
internal sealed partial class ChaosRun(ChaosOptions options, TextWriter log) : IAsyncDisposable
{
    private readonly List<ClusterProcess> _silos = [];
    private readonly List<ClusterProcess> _gateways = [];
    private readonly List<Fault> _faults = [];
    private readonly List<Task> _restarts = [];
    private readonly List<IPEndPoint> _brokers = [];
    private readonly Random _random = new(options.Seed);
    private readonly long _origin = Stopwatch.GetTimestamp();
    private ChaosSubscriber? _subscriber;
    private ChaosDevices? _devices;
    private long _trafficStart;

    public async Task<ChaosResult> ExecuteAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var loadBefore = LoadAverage();
        var endpoints = await StartClusterAsync(cancellationToken);
        if (options.Subscribers > 0)
        {
            _subscriber = new ChaosSubscriber();
            await _subscriber.StartAsync(0, cancellationToken);
        }

        _devices = new ChaosDevices(options, endpoints, _brokers);
        using (var setup = Bounded(cancellationToken))
        {
            await _devices.SetUpAsync(_subscriber?.UrlPrefix, setup.Token);
        }

        Log($"{options.Devices} devices registered; traffic for {options.Duration.TotalSeconds:0} s through {endpoints.Count} endpoints");
        _trafficStart = Stopwatch.GetTimestamp();
        var until = _trafficStart + Ticks(options.Duration);
        var traffic = Task.WhenAll(_devices.WriteAsync(until, cancellationToken), _devices.RegisterAsync(_trafficStart, until, cancellationToken));
        var faults = AllFaultsAsync(until, cancellationToken);
        var progress = ProgressAsync(until, cancellationToken);
        await traffic;
        await faults;
        await progress;
        await Task.WhenAll(_restarts);
        Log($"traffic done: {_devices.All.Sum(d => d.Acknowledged.Count)} writes acknowledged");

        var notifications = await WaitForNotificationsAsync(cancellationToken);
        var (readBack, problems) = await ReadBackAsync(cancellationToken);
        var registrations = options.Registrations > 0 ? await _devices.CheckRegistrationsAsync(cancellationToken) : null;
        return Report(arguments, started, loadBefore, readBack, notifications, registrations, problems);
    }

    // ---- cluster ----------------------------------------------------------------------------------------------

    private async Task<IReadOnlyList<Uri>> StartClusterAsync(CancellationToken cancellationToken)
    {
        if (!options.StartsCluster)
        {
            for (var i = 0; i < options.AttachSiloPids.Count; i++)
            {
                _silos.Add(ClusterProcess.Attach(ProcessRole.Silo, i, options.AttachSiloPids[i], null));
            }

            Log($"attached: {options.AttachGateways.Count} gateways, {_silos.Count} silos that may be killed (not restarted)");
            return options.AttachGateways;
        }

        Directory.CreateDirectory(options.LogDirectory);
        var ports = new PortBlock(options.BasePort);
        var clusterId = "chaos-" + options.Prefix;
        string[] storage = options.Storage == "azuretable"
            ? ["--Storage:Provider", "azuretable", "--Storage:ConnectionString", options.AzureTable!, "--Storage:TableName", "chaos" + options.Prefix]
            : ["--Storage:Provider", "postgres", "--Storage:ConnectionString", options.Postgres!];
        string[] backend =
        [
            "--Clustering:Provider", "postgres", "--Clustering:ConnectionString", options.Postgres!, "--Clustering:ClusterId", clusterId,
            .. storage, "--Coap:Enabled", "false", "--Logging:LogLevel:Default", "Warning",
        ];
        var mqtt = options.Protocol == "mqtt";
        var extra = options.SiloArguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < options.Silos; i++)
        {
            var http = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{ports.Next()}"));
            string[] own =
            [
                "--Urls", http.GetLeftPart(UriPartial.Authority),
                "--Orleans:SiloPort", ports.Next().ToString(CultureInfo.InvariantCulture),
                "--Orleans:GatewayPort", ports.Next().ToString(CultureInfo.InvariantCulture),
                .. Broker(mqtt && options.Gateways == 0, ports),
            ];
            _silos.Add(ClusterProcess.FromDll(ProcessRole.Silo, i, http, options.SiloDll!, [.. own, .. backend, .. extra], options.LogDirectory));
        }

        for (var i = 0; i < options.Gateways; i++)
        {
            var http = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{ports.Next()}"));
            _gateways.Add(ClusterProcess.FromDll(ProcessRole.Gateway, i, http, options.GatewayDll!,
                ["--Urls", http.GetLeftPart(UriPartial.Authority), .. Broker(mqtt, ports), .. backend], options.LogDirectory));
        }

        // The first silo applies the schema; the others start once it is there.
        _silos[0].Start();
        await _silos[0].WaitReadyAsync(options.CseBaseName, options.AdminOriginator, options.PhaseTimeout, cancellationToken);
        foreach (var process in _silos.Skip(1).Concat(_gateways))
        {
            process.Start();
        }

        await Task.WhenAll(_silos.Skip(1).Concat(_gateways)
            .Select(p => p.WaitReadyAsync(options.CseBaseName, options.AdminOriginator, options.PhaseTimeout, cancellationToken)));
        Log($"started {_silos.Count} silos and {_gateways.Count} gateways (cluster {clusterId}, storage {options.Storage}, devices over {options.Protocol}, logs in {options.LogDirectory})");
        return _gateways.Count > 0 ? [.. _gateways.Select(g => g.Http!)] : [.. _silos.Select(s => s.Http!)];
    }

    /// <summary>
    /// The MQTT broker settings of a process the devices reach over MQTT (its port is remembered in
    /// <see cref="_brokers"/>, in the order of the endpoints), or the broker off.
    /// </summary>
    private string[] Broker(bool enabled, PortBlock ports)
    {
        if (!enabled)
        {
            return ["--Mqtt:Enabled", "false"];
        }

        var port = ports.Next();
        _brokers.Add(new IPEndPoint(IPAddress.Loopback, port));
        return ["--Mqtt:Enabled", "true", "--Mqtt:Port", port.ToString(CultureInfo.InvariantCulture)];
    }

    // ---- progress, notifications, read-back -------------------------------------------------------------------

    private async Task ProgressAsync(long until, CancellationToken cancellationToken)
    {
        while (Stopwatch.GetTimestamp() < until && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            var devices = _devices!.All;
            Log($"acknowledged {devices.Sum(d => d.Acknowledged.Count)}, gave up {devices.Sum(d => d.GaveUp.Count)}, " +
                $"failed attempts {_devices.Failures.Count}, silos up {_silos.Count(s => s.IsUp)}/{_silos.Count}");
        }
    }

    private async Task<NotificationCount> WaitForNotificationsAsync(CancellationToken cancellationToken)
    {
        var subscribed = _devices!.All.Where(d => d.Subscribed).ToList();
        long expected = subscribed.Sum(d => d.Acknowledged.Count);
        long Delivered() => _subscriber is null ? 0
            : subscribed.Sum(d => (long)d.Acknowledged.Count(w => _subscriber.WasNotified(d.Index, _devices.Content(d.Index, w.Sequence))));
        var deadline = Stopwatch.GetTimestamp() + Ticks(options.NotificationWait);
        var delivered = Delivered();
        while (delivered < expected && Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            delivered = Delivered();
        }

        Log($"notifications: {delivered} of {expected} delivered");
        return new NotificationCount(subscribed.Count, expected, delivered, expected - delivered, _subscriber?.Redelivered ?? 0, _subscriber?.Refused ?? 0);
    }

    private async Task<(Dictionary<int, List<string>> Contents, List<string> Problems)> ReadBackAsync(CancellationToken cancellationToken)
    {
        var contents = new Dictionary<int, List<string>>();
        var problems = new List<string>();
        using var bound = Bounded(cancellationToken);
        try
        {
            await Parallel.ForEachAsync(_devices!.All, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = bound.Token }, async (device, token) =>
            {
                var found = await _devices.ReadBackAsync(device, token);
                lock (contents)
                {
                    contents[device.Index] = found ?? [];
                }
            });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            problems.Add($"read-back did not finish within {options.PhaseTimeout.TotalSeconds:0} s ({contents.Count} of {options.Devices} containers read)");
        }
        catch (InvalidOperationException exception)
        {
            problems.Add(exception.Message);
        }

        Log($"read back {contents.Count} containers");
        return (contents, problems);
    }

    // ---- report -----------------------------------------------------------------------------------------------

    private ChaosResult Report(IReadOnlyList<string> arguments, DateTimeOffset started, string? loadBefore,
        Dictionary<int, List<string>> contents, NotificationCount notifications, RegistrationSummary? registrations, List<string> problems)
    {
        var devices = _devices!;
        long acknowledged = 0, readBack = 0, lost = 0, duplicates = 0, storedUnacknowledged = 0;
        var lostExamples = new List<string>();
        foreach (var device in devices.All)
        {
            acknowledged += device.Acknowledged.Count;
            if (!contents.TryGetValue(device.Index, out var found))
            {
                continue;
            }

            var copies = new Dictionary<int, int>();
            foreach (var con in found)
            {
                if (devices.SequenceOf(device.Index, con) is { } sequence)
                {
                    copies[sequence] = copies.GetValueOrDefault(sequence) + 1;
                }
            }

            foreach (var write in device.Acknowledged)
            {
                if (copies.ContainsKey(write.Sequence))
                {
                    readBack++;
                }
                else
                {
                    lost++;
                    if (lostExamples.Count < 5)
                    {
                        lostExamples.Add(devices.Content(device.Index, write.Sequence));
                    }
                }
            }

            duplicates += copies.Values.Sum(n => (long)n - 1);
            storedUnacknowledged += device.GaveUp.Concat(device.Rejected).Count(copies.ContainsKey);
        }

        if (contents.Count < devices.All.Count && problems.Count == 0)
        {
            problems.Add($"only {contents.Count} of {devices.All.Count} containers were read back");
        }

        if (lost > 0)
        {
            problems.Add($"{lost} acknowledged writes lost, e.g. {string.Join(", ", lostExamples)}");
        }

        if (duplicates > 0)
        {
            problems.Add($"{duplicates} duplicate copies of writes found");
        }

        if (notifications.Missing > 0)
        {
            problems.Add($"{notifications.Missing} acknowledged writes on subscribed containers were never notified");
        }

        if (registrations is { Lost: > 0 } or { AlreadyRegistered: > 0 })
        {
            problems.Add($"registrations: {registrations.Lost} acknowledged AEs not found, {registrations.AlreadyRegistered} retries answered as already registered");
        }

        var failures = devices.Failures.ToList();
        var faults = _faults.Select(f => FaultRecord(f, failures)).ToList();
        var kills = faults.Where(f => f.Kind == "kill silo").ToList();
        var failovers = kills.Where(f => f.ServedAgainAfterSeconds is not null).Select(f => f.ServedAgainAfterSeconds!.Value).Order().ToList();
        var waits = kills.Where(f => f.LongestWaitSeconds is not null).Select(f => f.LongestWaitSeconds!.Value).Order().ToList();
        var sent = devices.All.Sum(d => (long)d.Written);
        var attempts = devices.Attempts;
        var windows = faults.Select(f => (Start: f.AtSeconds, End: f.AtSeconds + (f.ServedAgainAfterSeconds ?? options.KillEvery.TotalSeconds))).ToList();
        return new ChaosResult
        {
            Arguments = arguments,
            Settings = new ChaosSettings(options.StartsCluster ? options.Silos : options.AttachSiloPids.Count,
                options.StartsCluster ? options.Gateways : options.AttachGateways.Count, options.StartsCluster, options.Devices,
                options.Interval.TotalSeconds, options.Duration.TotalSeconds, options.KillEvery.TotalSeconds, options.RestartAfter.TotalSeconds,
                options.GatewayKillEvery.TotalSeconds, options.PauseEvery.TotalSeconds, options.PauseFor.TotalSeconds, options.RetryFor.TotalSeconds),
            Started = started,
            Finished = DateTimeOffset.UtcNow,
            LoadAverageBefore = loadBefore,
            LoadAverageAfter = LoadAverage(),
            Writes = new WriteSummary(sent, acknowledged, readBack, lost, duplicates, devices.All.Sum(d => (long)d.GaveUp.Count),
                devices.All.Sum(d => (long)d.Rejected.Count), storedUnacknowledged, devices.Retried, attempts, failures.Count,
                attempts == 0 ? 0 : Math.Round((double)failures.Count / attempts, 6), sent == 0 ? 0 : Math.Round((double)(sent - acknowledged) / sent, 6),
                Latency(devices)),
            Faults = faults,
            FailoverMedianSeconds = failovers.Count == 0 ? null : Math.Round(failovers[failovers.Count / 2], 2),
            FailoverMaxSeconds = failovers.Count == 0 ? null : Math.Round(failovers[^1], 2),
            LongestWaitMedianSeconds = waits.Count == 0 ? null : Math.Round(waits[waits.Count / 2], 2),
            LongestWaitMaxSeconds = waits.Count == 0 ? null : Math.Round(waits[^1], 2),
            ErrorsByKind = CountByKind(failures),
            ErrorsDuringFailover = CountByKind(failures.Where(f => windows.Any(w => Since(f.At) >= w.Start && Since(f.At) <= w.End))),
            Notifications = notifications,
            Registrations = registrations,
            Problems = problems,
            ExitCode = lost > 0 || duplicates > 0 || notifications.Missing > 0 || registrations is { Lost: > 0 } or { AlreadyRegistered: > 0 } ? 2
                : problems.Count > 0 ? 1 : 0,
        };
    }

    private FaultRecord FaultRecord(Fault fault, List<FailedAttempt> failures)
    {
        // Served again: every device has had a write that it first sent after the fault acknowledged. For an outage of
        // the database or of the whole cluster, after its end (the restart): writes sent during it cannot succeed.
        // Longest wait: over the same writes (each device's first one sent after the fault) and the writes in flight at
        // the fault, the longest time one of them waited after the fault for its acknowledgement. Served again
        // includes the wait for the device's next write (up to one interval) when nothing was in flight; this does not.
        var from = fault.Process is null && fault.RestartedAt is { } end ? end : fault.At;
        double? servedAgain = 0, longestWait = 0;
        var delayed = 0;
        foreach (var device in _devices!.All)
        {
            var firstAfter = device.Acknowledged.FindIndex(w => w.FirstSent >= from);
            if (firstAfter < 0)
            {
                servedAgain = longestWait = null;
                break;
            }

            servedAgain = Math.Max(servedAgain.Value, Seconds(device.Acknowledged[firstAfter].Acknowledged - from));
            var wait = device.Acknowledged.Take(firstAfter + 1).Where(w => w.Acknowledged >= from)
                .Max(w => Seconds(w.Acknowledged - Math.Max(w.FirstSent, from)));
            longestWait = Math.Max(longestWait!.Value, wait);
            delayed += wait >= DelayedWait ? 1 : 0;
        }

        var windowEnd = from + Ticks(servedAgain is { } s ? TimeSpan.FromSeconds(s) : options.KillEvery);
        return new FaultRecord(fault.Kind, fault.Target, Math.Round(Since(fault.At), 2),
            fault.RestartedAt is { } restarted ? Math.Round(Since(restarted), 2) : null,
            fault is { RestartedAt: { } r, ReadyAt: { } ready } ? Math.Round(Seconds(ready - r), 2) : null,
            servedAgain is { } served ? Math.Round(served, 2) : null,
            longestWait is { } longest ? Math.Round(longest, 2) : null, longestWait is null ? null : delayed,
            CountByKind(failures.Where(f => f.At >= fault.At && f.At <= windowEnd)));
    }

    /// <summary>A device whose write waited this long past a fault counts as delayed by it (its grains were on the victim).</summary>
    private const double DelayedWait = 0.5;

    private static WriteLatency Latency(ChaosDevices devices)
    {
        var milliseconds = devices.All.SelectMany(d => d.Acknowledged).Select(w => Seconds(w.Acknowledged - w.FirstSent) * 1000).Order().ToList();
        double At(double percentile) => milliseconds.Count == 0 ? 0
            : Math.Round(milliseconds[Math.Min(milliseconds.Count - 1, (int)Math.Ceiling(percentile * milliseconds.Count) - 1)], 1);
        return new WriteLatency(At(0.50), At(0.99), milliseconds.Count == 0 ? 0 : Math.Round(milliseconds[^1], 1));
    }

    private static SortedDictionary<string, long> CountByKind(IEnumerable<FailedAttempt> failures)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var failure in failures)
        {
            counts[failure.Kind] = counts.GetValueOrDefault(failure.Kind) + 1;
        }

        return counts;
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private CancellationTokenSource Bounded(CancellationToken cancellationToken)
    {
        var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(options.PhaseTimeout);
        return bound;
    }

    private double Since(long timestamp) => Seconds(timestamp - _trafficStart);

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private void Log(string line)
    {
        lock (log)
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{Stopwatch.GetElapsedTime(_origin).TotalSeconds,6:0.0}s] {line}"));
        }
    }

    private static string? LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _devices?.Dispose();
        if (_subscriber is not null)
        {
            await _subscriber.DisposeAsync();
        }

        foreach (var process in _gateways.Concat(_silos))
        {
            process.Dispose();
        }
    }
}
