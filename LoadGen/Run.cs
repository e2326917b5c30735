using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using VirtualIoT.LoadGen.Devices;
using VirtualIoT.LoadGen.Measurement;
using VirtualIoT.LoadGen.Scheduling;
using VirtualIoT.LoadGen.Transport;

namespace VirtualIoT.LoadGen;

/// <summary>
/// One LoadGen run: the phases (registration, steady state with readers, notification drain, verification,
/// teardown), each a feed of jobs into a bounded queue drained by a fixed set of workers, one per pooled
/// connection. Scheduled phases are open loop: the <see cref="Pacer"/> queues each job at its time whatever the
/// answers do, and a job that finds the queue full is dropped and counted, never delayed into a closed loop.
/// </summary>
public sealed partial class Run : IAsyncDisposable
{
    private const int ExampleLimit = 20;

    private readonly LoadGenOptions _options;
    private readonly CancellationToken _runToken;
    private readonly OperationStats[] _stats;
    private readonly Lane[] _lanes;
    private readonly HttpClient _probeHttp = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ConcurrentQueue<string> _examples = new();
    private readonly List<PhaseResult> _phases = [];
    private readonly List<ServerSnapshot> _snapshots = [];
    private readonly ServerProbe _probe;
    private readonly EndpointSet? _endpoints;
    private string? _lastEndpointChange;
    private MqttDevices? _mqtt;
    private readonly WebSocketDevices? _webSockets;
    private NotificationReceiver? _receiver;
    private long _requestCounter;
    private long _phaseDone;
    private long _steadyScheduled;
    private long _skippedUnregistered;
    private long _readsSkipped;
    private int _mqttPeak;
    private long _deleted;
    private long _verifyChecked;
    private long _verifyWrong;
    private long _verifyLost;
    private long _verifyExtra;
    private long _verifyWrongLatest;
    private long _verifyUnreadable;

    private Run(LoadGenOptions options, IReadOnlyList<Endpoint> endPoints, CancellationToken runToken)
    {
        _options = options;
        _runToken = runToken;
        EndPoint = endPoints[0].Address;
        _endpoints = options.EndpointsFile is null ? null : new EndpointSet(endPoints);
        Devices = new DeviceTable(options.Devices, options.Subscribers > 0);
        _stats =
        [
            new(Operation.AeCreate, 2001),
            new(Operation.ContainerCreate, 2001),
            new(Operation.SubscriptionCreate, 2001),
            new(Operation.ContentInstanceCreate, 2001),
            new(Operation.LatestRetrieve, 2000),
            new(Operation.Discovery, 2000),
            new(Operation.VerifyContainer, 2000),
            new(Operation.VerifyLatest, 2000),
            new(Operation.AeDelete, 2002),
        ];
        _lanes = new Lane[options.MaxConnections];
        for (var i = 0; i < _lanes.Length; i++)
        {
            // Lane i talks to base URL i mod n: the connections are spread evenly, and device d's requests go to
            // base URL d mod n (RunPhaseAsync), as a device keeps talking to the gateway it resolved. With an
            // endpoints file, every lane talks to whichever endpoint its request's device has now (EndpointSet).
            _lanes[i] = new Lane(endPoints[i % endPoints.Count], OpenChannel, runToken);
        }

        _probe = new ServerProbe(options, _probeHttp);
        if (options.Protocol == DeviceProtocol.WebSocket)
        {
            _webSockets = new WebSocketDevices(endPoints, options.MaxConnections, new BindingOptions(Serialization: options.Serialization));
        }
    }

    /// <summary>With an endpoints file: how many endpoints the devices are spread over now, and the last change; else null.</summary>
    public string? Endpoints => _endpoints is null ? null
        : _endpoints.Current.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) + (Volatile.Read(ref _lastEndpointChange) is { } change ? $" ({change})" : "");

    /// <summary>The CSE's (first) HTTP endpoint.</summary>
    public IPEndPoint EndPoint { get; }

    public DeviceTable Devices { get; }

    public IReadOnlyList<OperationStats> Stats => _stats;

    /// <summary>Name of the phase running now.</summary>
    public string Phase { get; private set; } = "starting";

    /// <summary>Jobs the current phase plans, and has done so far.</summary>
    public long PhasePlanned { get; private set; }

    public long PhaseDone => Volatile.Read(ref _phaseDone);

    public long PhaseStarted { get; private set; } = Stopwatch.GetTimestamp();

    internal NotificationReceiver? Receiver => _receiver;

    internal MqttDevices? Mqtt => _mqtt;

    /// <summary>Runs every phase and returns the result; never throws for what the CSE answers.</summary>
    public static async Task<LoadGenResult> ExecuteAsync(LoadGenOptions options, IReadOnlyList<string> arguments, Func<Run, CancellationToken, Task>? view,
        CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var loadBefore = LoadAverage();
        var endPoints = new List<Endpoint>();
        if (options.EndpointsFile is { } file)
        {
            endPoints.AddRange(await EndpointSet.ReadAsync(file, cancellationToken));
            if (endPoints.Count == 0)
            {
                throw new InvalidOperationException($"{file} lists no endpoint");
            }

            options = options with { BaseUrls = [.. endPoints.Select(e => e.BaseUrl)] };
        }
        else
        {
            foreach (var baseUrl in options.BaseUrls)
            {
                endPoints.Add(await Endpoint.ResolveAsync(baseUrl, cancellationToken));
            }
        }

        await using var run = new Run(options, endPoints, cancellationToken);
        using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watchTask = run._endpoints is { } set
            ? set.WatchAsync(options.EndpointsFile!, TimeSpan.FromSeconds(1), run.EndpointsChanged, watchStop.Token)
            : Task.CompletedTask;
        using var viewStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var viewTask = view is null ? Task.CompletedTask : Task.Run(() => view(run, viewStop.Token), CancellationToken.None);
        var problems = new List<string>();
        try
        {
            await run.RunPhasesAsync(problems);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            problems.Add("cancelled");
        }
        finally
        {
            run.Phase = "done";
            await watchStop.CancelAsync();
            await watchTask;
            await viewStop.CancelAsync();
            try
            {
                await viewTask;
            }
            catch (OperationCanceledException)
            {
                // The view stops by cancellation.
            }
        }

        return run.BuildResult(arguments, started, loadBefore, problems);
    }

    /// <summary>
    /// A lane's channel to <paramref name="endpoint"/>: the devices' binding; MQTT and WebSocket devices have connections
    /// of their own, and their lanes carry the reads, verification and teardown over HTTP.
    /// </summary>
    private IRequestChannel OpenChannel(Endpoint endpoint) =>
        RequestChannels.Open(_options.Protocol is DeviceProtocol.Mqtt or DeviceProtocol.WebSocket ? DeviceProtocol.Http : _options.Protocol, endpoint,
            new BindingOptions(_options.CoapPort, Serialization: _options.Serialization));

    private void EndpointsChanged(IReadOnlyList<Endpoint> before, IReadOnlyList<Endpoint> after)
    {
        var moved = EndpointSet.Moved(_options.Devices, before, after);
        Volatile.Write(ref _lastEndpointChange, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:HH:mm:ss} {before.Count} -> {after.Count}, {moved:N0} devices moved"));
    }

    private async Task RunPhasesAsync(List<string> problems)
    {
        if (!await ProbeAsync(problems))
        {
            return;
        }

        if (_options.Subscribers > 0)
        {
            _receiver = new NotificationReceiver(Devices);
            await _receiver.StartAsync(_options.NotifyHost, _options.NotifyPort, _runToken);
        }

        if (_options.Protocol == DeviceProtocol.Mqtt)
        {
            var host = _options.MqttHost ?? _options.BaseUrl.Host;
            var broker = IPAddress.TryParse(host, out var ip) ? ip : (await Dns.GetHostAddressesAsync(host, _runToken))[0];
            _mqtt = new MqttDevices(_options, broker);
        }

        var probe = _probe;
        _snapshots.Add(await probe.TakeAsync("start", _runToken));

        await RegisterAsync();
        _snapshots.Add(await probe.TakeAsync("registered", _runToken));
        var registered = Devices.CountWith(DeviceFlags.HasContainer);
        if (registered == 0)
        {
            problems.Add("no device could be registered (AE and container); see the operations' RSCs");
            return;
        }

        if (registered < _options.Devices)
        {
            problems.Add($"{_options.Devices - registered} of {_options.Devices} devices were not registered");
        }

        if (_options.IdleWait > TimeSpan.Zero)
        {
            await WaitForIdleAsync();
            _snapshots.Add(await probe.TakeAsync("idle", _runToken));
        }

        await SteadyAsync();
        _snapshots.Add(await probe.TakeAsync("steady-end", _runToken));
        await WaitForNotificationsAsync();

        if (_options.Verify)
        {
            await VerifyAsync();
        }

        if (_mqtt is not null)
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(_runToken);
            bound.CancelAfter(_options.PhaseTimeout);
            await _mqtt.DisconnectAllAsync(_options.MaxConnections, bound.Token);
        }

        if (_options.Teardown)
        {
            await TeardownAsync();
            _snapshots.Add(await probe.TakeAsync("teardown-end", _runToken));
        }
    }

    /// <summary>Fails fast, naming the URL, when the CSEBase does not answer the admin's retrieve.</summary>
    private async Task<bool> ProbeAsync(List<string> problems)
    {
        Phase = "probe";
        var spec = new RequestSpec(OneM2MOperation.Retrieve, _options.CseBaseName, _options.AdminOriginator, NextRequestId());
        var lane = _lanes[0];
        try
        {
            var reply = await lane.ExchangeAsync(spec, _options.RequestTimeout);
            if (reply.Rsc == 2000)
            {
                return true;
            }

            problems.Add($"GET {_options.BaseUrl}{_options.CseBaseName} as {_options.AdminOriginator} answered HTTP {reply.Status} RSC {reply.Rsc}, not 2000");
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException)
        {
            problems.Add($"the CSE at {_options.BaseUrl} does not answer: {exception.Message}");
        }

        return false;
    }

    // ---- phases ---------------------------------------------------------------------------------------------

    private Task RegisterAsync()
    {
        var n = _options.Devices;
        if (_options.RegisterRate > 0)
        {
            var schedule = new RampSchedule(n, _options.RegisterRate, Stopwatch.Frequency);
            var bound = TimeSpan.FromSeconds(n / _options.RegisterRate) + _options.PhaseTimeout;
            return RunPhaseAsync("registration", n, bound, (writer, token) => PaceAsync(writer, new Pacer(schedule), long.MaxValue,
                (s, k, intended) => new Job(JobKind.Register, schedule.DeviceOf(k), 0, intended), token));
        }

        return RunPhaseAsync("registration", n, _options.PhaseTimeout, (writer, token) => FeedAllAsync(writer, JobKind.Register, _ => true, token));
    }

    private Task SteadyAsync()
    {
        var frequency = Stopwatch.Frequency;
        var interval = (long)(_options.Interval.TotalSeconds * frequency);
        var writes = new SteadySchedule(_options.Devices, interval, _options.Seed);
        var readRate = _options.Readers * _options.SteadyRate;
        var reads = readRate > 0 ? new ReaderSchedule(_options.Devices, readRate, frequency, _options.Seed) : null;
        var durationTicks = (long)(_options.Duration.TotalSeconds * frequency);
        var planned = (long)((_options.SteadyRate + readRate) * _options.Duration.TotalSeconds);
        var pacer = reads is null ? new Pacer(writes) : new Pacer(writes, reads);
        var bound = _options.Duration + _options.RequestTimeout + _options.RequestTimeout + TimeSpan.FromSeconds(10);
        return RunPhaseAsync("steady", planned, bound, (writer, token) => PaceAsync(writer, pacer, durationTicks, (s, k, intended) =>
        {
            if (s == 0)
            {
                Interlocked.Increment(ref _steadyScheduled);
                return new Job(JobKind.Post, writes.DeviceOf(k), writes.SequenceOf(k), intended);
            }

            var kind = reads!.IsDiscovery(k, _options.DiscoveryShare) ? JobKind.Discover : JobKind.Read;
            return new Job(kind, reads.DeviceOf(k), 0, intended);
        }, token));
    }

    private async Task WaitForNotificationsAsync()
    {
        if (_receiver is null)
        {
            return;
        }

        Phase = "notifications";
        PhasePlanned = Devices.SumAcked(DeviceFlags.Subscribed);
        PhaseStarted = Stopwatch.GetTimestamp();
        var deadline = PhaseStarted + (long)(_options.NotificationWait.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            Volatile.Write(ref _phaseDone, _receiver.Received);
            if (Devices.MissingNotifications() == 0)
            {
                break;
            }

            await Task.Delay(100, _runToken);
        }

        Volatile.Write(ref _phaseDone, _receiver.Received);
        var seconds = Stopwatch.GetElapsedTime(PhaseStarted).TotalSeconds;
        _phases.Add(new PhaseResult("notifications", Math.Round(seconds, 3), PhasePlanned, _receiver.Received, 0,
            Devices.MissingNotifications() > 0));
    }

    private Task VerifyAsync() =>
        RunPhaseAsync("verify", Devices.CountWith(DeviceFlags.HasContainer), _options.PhaseTimeout,
            (writer, token) => FeedAllAsync(writer, JobKind.Verify, d => Devices.Has(d, DeviceFlags.HasContainer), token));

    private Task TeardownAsync() =>
        RunPhaseAsync("teardown", Devices.CountWith(DeviceFlags.Registered), _options.PhaseTimeout,
            (writer, token) => FeedAllAsync(writer, JobKind.Delete, d => Devices.Has(d, DeviceFlags.Registered), token));

    /// <summary>
    /// Runs one phase: the feed queues jobs, one worker per lane drains them. The phase ends when the feed is done
    /// and the queue is empty, or at <paramref name="bound"/>, whichever comes first.
    /// </summary>
    private async Task RunPhaseAsync(string name, long planned, TimeSpan bound, Func<ChannelWriter<Job>, CancellationToken, Task> feed)
    {
        Phase = name;
        PhasePlanned = planned;
        Volatile.Write(ref _phaseDone, 0);
        PhaseStarted = Stopwatch.GetTimestamp();
        using var phaseToken = CancellationTokenSource.CreateLinkedTokenSource(_runToken);
        phaseToken.CancelAfter(bound);
        // One queue per endpoint, drained by that endpoint's lanes; a device's jobs always go to the same queue. With
        // a changing endpoint set, one queue: each lane sends each job to its device's endpoint of the moment.
        var endpoints = _endpoints is null ? Math.Min(_options.BaseUrls.Count, _lanes.Length) : 1;
        var queues = new Channel<Job>[endpoints];
        for (var e = 0; e < endpoints; e++)
        {
            queues[e] = Channel.CreateBounded<Job>(new BoundedChannelOptions(Math.Max(1, _options.MaxPending / endpoints))
            {
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }

        var queue = new DeviceRouter(queues);
        var workers = new Task[_lanes.Length];
        for (var i = 0; i < workers.Length; i++)
        {
            var lane = _lanes[i];
            var reader = queues[i % endpoints].Reader;
            workers[i] = Task.Run(() => WorkAsync(lane, reader, phaseToken.Token), CancellationToken.None);
        }

        var timedOut = false;
        try
        {
            await feed(queue, phaseToken.Token);
        }
        catch (OperationCanceledException) when (!_runToken.IsCancellationRequested)
        {
            timedOut = true;
        }
        finally
        {
            queue.TryComplete();
        }

        try
        {
            await Task.WhenAll(workers);
        }
        catch (OperationCanceledException) when (!_runToken.IsCancellationRequested)
        {
            timedOut = true;
        }

        // Jobs still queued when the bound struck were never sent: count them, so nothing vanishes from the report.
        foreach (var left in queues.SelectMany(Drain))
        {
            _stats[(int)FirstOperation(left.Kind)].RecordDropped();
        }

        _runToken.ThrowIfCancellationRequested();
        var seconds = Stopwatch.GetElapsedTime(PhaseStarted).TotalSeconds;
        var done = PhaseDone;
        _phases.Add(new PhaseResult(name, Math.Round(seconds, 3), planned, done, seconds > 0 ? Math.Round(done / seconds, 1) : 0, timedOut));
    }

    /// <summary>Open loop: the pacer (on its own thread) queues each job at its time; a full queue drops it.</summary>
    private Task PaceAsync(ChannelWriter<Job> writer, Pacer pacer, long durationTicks, Func<int, long, long, Job> make, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var end = durationTicks == long.MaxValue ? long.MaxValue : start + durationTicks;
        return Task.Factory.StartNew(() => pacer.Run(start, end, (s, k, intended) =>
        {
            var job = make(s, k, intended);
            if ((job.Kind == JobKind.Post || job.Kind == JobKind.Read || job.Kind == JobKind.Discover) && !Devices.Has(job.Device, DeviceFlags.HasContainer))
            {
                Interlocked.Increment(ref _skippedUnregistered);
                Interlocked.Increment(ref _phaseDone);
                return;
            }

            if (!writer.TryWrite(job))
            {
                _stats[(int)FirstOperation(job.Kind)].RecordDropped();
                Interlocked.Increment(ref _phaseDone);
            }
        }, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Closed loop over the devices: each job is queued as soon as there is room.</summary>
    private async Task FeedAllAsync(ChannelWriter<Job> writer, JobKind kind, Func<int, bool> include, CancellationToken cancellationToken)
    {
        for (var d = 0; d < _options.Devices; d++)
        {
            if (include(d))
            {
                await writer.WriteAsync(new Job(kind, d, 0, 0), cancellationToken);
            }
        }
    }

    private async Task WorkAsync(Lane lane, ChannelReader<Job> queue, CancellationToken cancellationToken)
    {
        while (await queue.WaitToReadAsync(cancellationToken))
        {
            while (queue.TryRead(out var job))
            {
                await ExecuteAsync(lane, job);
                Interlocked.Increment(ref _phaseDone);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    private void Example(string text)
    {
        if (_examples.Count < ExampleLimit)
        {
            _examples.Enqueue(text);
        }
    }

    private string NextRequestId() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{_options.Prefix}-{Interlocked.Increment(ref _requestCounter)}");

    private static void InterlockedMax(ref int location, int value)
    {
        var current = Volatile.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static string? LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{text[0]} {text[1]} {text[2]}";
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lane in _lanes)
        {
            lane.Dispose();
        }

        _webSockets?.Dispose();

        if (_mqtt is not null)
        {
            await _mqtt.DisposeAsync();
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }

        _probeHttp.Dispose();
    }
}
