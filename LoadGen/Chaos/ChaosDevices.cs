using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using VirtualIoT.LoadGen.Transport;

namespace VirtualIoT.LoadGen.Chaos;

/// <summary>A write the CSE acknowledged (2001): its sequence number, when it was first sent and when it was acknowledged (Stopwatch ticks).</summary>
internal readonly record struct AcknowledgedWrite(int Sequence, long FirstSent, long Acknowledged);

/// <summary>A failed attempt (retried or not): when it ended and what it was (<c>5000</c>, <c>http 503</c>, <c>connection</c>, <c>timeout</c>).</summary>
internal readonly record struct FailedAttempt(long At, string Kind);

/// <summary>
/// The simulated devices of a chaos run: each registers an AE with a container (some with a subscription), then
/// writes a content instance every interval whose <c>con</c> (<c>&lt;prefix&gt;:&lt;device&gt;:&lt;sequence&gt;</c>)
/// is unique, so a read-back can tell every write apart. A write that meets a retryable failure (5xxx, a broken
/// connection, a timeout) is sent again with the same request identifier through the next gateway until it is
/// acknowledged or <see cref="ChaosOptions.RetryFor"/> has passed; a device thus sees success or a retryable error.
/// </summary>
internal sealed class ChaosDevices : IDisposable
{
    private readonly ChaosOptions _options;
    private readonly IReadOnlyList<Uri> _gateways;
    private readonly IReadOnlyList<IPEndPoint> _brokers;
    private readonly Device[] _devices;
    private readonly ConcurrentQueue<FailedAttempt> _failures = new();
    private readonly ConcurrentQueue<(string AeId, Outcome Outcome)> _registrations = new();
    private long _attempts;
    private long _retried;

    /// <param name="options">The run's options.</param>
    /// <param name="gateways">HTTP endpoints the requests go through, in turn.</param>
    /// <param name="brokers">MQTT brokers of the same gateways, in the same order, with <c>--protocol mqtt</c>; else empty.</param>
    public ChaosDevices(ChaosOptions options, IReadOnlyList<Uri> gateways, IReadOnlyList<IPEndPoint> brokers)
    {
        _options = options;
        _gateways = gateways;
        _brokers = brokers;
        _devices = new Device[options.Devices];
        var subscribed = (int)Math.Round(options.Devices * options.Subscribers);
        for (var i = 0; i < _devices.Length; i++)
        {
            _devices[i] = new Device(i, string.Create(CultureInfo.InvariantCulture, $"C{options.Prefix}{i}"), i < subscribed, gateways, brokers, options.CseId);
        }
    }

    public IReadOnlyList<Device> All => _devices;

    /// <summary>Requests sent for writes, first attempts and retries.</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Writes that were acknowledged only after at least one retry.</summary>
    public long Retried => Interlocked.Read(ref _retried);

    public IReadOnlyCollection<FailedAttempt> Failures => _failures;

    /// <summary>The <c>con</c> of a device's write.</summary>
    public string Content(int device, int sequence) => string.Create(CultureInfo.InvariantCulture, $"{_options.Prefix}:{device}:{sequence}");

    /// <summary>The sequence number in a <c>con</c> written by <paramref name="device"/>, or null when it is not one of its writes.</summary>
    public int? SequenceOf(int device, string? con)
    {
        var prefix = string.Create(CultureInfo.InvariantCulture, $"{_options.Prefix}:{device}:");
        return con is not null && con.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(con.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence : null;
    }

    /// <summary>Registers every device's AE and container (and subscription), a few at a time.</summary>
    public async Task SetUpAsync(string? notificationUrlPrefix, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(_devices, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (device, token) =>
        {
            var cse = _options.CseBaseName;
            await CreateAsync(device, Registration(device.AeId), token);
            await CreateAsync(device, new RequestSpec(OneM2MOperation.Create, $"{cse}/{device.AeId}", device.AeId, device.AeId + "-cnt", 3,
                """{"m2m:cnt":{"rn":"data"}}"""), token);
            if (device.Subscribed && notificationUrlPrefix is not null)
            {
                await CreateAsync(device, new RequestSpec(OneM2MOperation.Create, $"{cse}/{device.AeId}/data", device.AeId, device.AeId + "-sub", 23,
                    string.Concat("{\"m2m:sub\":{\"rn\":\"chaos\",\"nu\":[\"", notificationUrlPrefix,
                        device.Index.ToString(CultureInfo.InvariantCulture), "\"],\"enc\":{\"net\":[3]}}}")), token);
            }
        });
    }

    /// <summary>
    /// Registers <see cref="ChaosOptions.Registrations"/> further AEs (<c>C&lt;prefix&gt;r&lt;n&gt;</c>) one after the
    /// other, spread from <paramref name="start"/> to <paramref name="until"/> (Stopwatch ticks), each sent until a final
    /// answer like a write.
    /// </summary>
    public async Task RegisterAsync(long start, long until, CancellationToken cancellationToken)
    {
        using var device = new Device(_devices.Length, "", false, _gateways, [], _options.CseId);
        for (var n = 0; n < _options.Registrations; n++)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (until - start) * n / _options.Registrations);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            var aeId = string.Create(CultureInfo.InvariantCulture, $"C{_options.Prefix}r{n}");
            _registrations.Enqueue((aeId, await SendWithRetriesAsync(device, Registration(aeId), isWrite: false, cancellationToken)));
        }
    }

    /// <summary>The registrations of <see cref="RegisterAsync"/>, each acknowledged one retrieved (as the admin) to see it is there.</summary>
    public async Task<RegistrationSummary> CheckRegistrationsAsync(CancellationToken cancellationToken)
    {
        using var device = new Device(_devices.Length, "", false, _gateways, [], _options.CseId);
        long acknowledged = 0, retried = 0, alreadyRegistered = 0, readBack = 0;
        foreach (var (aeId, outcome) in _registrations)
        {
            alreadyRegistered += outcome.Reply is { Rsc: 4117 or 4105 } ? 1 : 0;
            if (outcome.Reply is not { Rsc: 2001 })
            {
                continue;
            }

            acknowledged++;
            retried += outcome.Attempts > 1 ? 1 : 0;
            var check = await SendWithRetriesAsync(device, new RequestSpec(OneM2MOperation.Retrieve, $"{_options.CseBaseName}/{aeId}",
                _options.AdminOriginator, aeId + "-check"), isWrite: false, cancellationToken);
            readBack += check.Reply is { Rsc: 2000 } ? 1 : 0;
        }

        return new RegistrationSummary(_registrations.Count, acknowledged, retried, alreadyRegistered, readBack, acknowledged - readBack);
    }

    private RequestSpec Registration(string aeId) => new(OneM2MOperation.Create, _options.CseBaseName, aeId, aeId + "-ae", 2,
        $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nchaos","rr":false,"srv":["3"]}}""");

    private async Task CreateAsync(Device device, RequestSpec spec, CancellationToken cancellationToken)
    {
        var outcome = await SendWithRetriesAsync(device, spec, isWrite: false, cancellationToken);
        // A repeated AE registration whose first attempt succeeded answers 2001 again (the CSE keeps the record);
        // 4117 or 4105 (a CSE without that record): the AE is there, as wanted.
        if (outcome.Reply is not { Rsc: 2001 or 4105 or 4117 })
        {
            throw new InvalidOperationException(
                $"setting up {device.AeId} failed: {spec.To} ty={spec.ResourceType} answered {outcome.Reply?.Rsc.ToString(CultureInfo.InvariantCulture) ?? outcome.LastFailure}");
        }
    }

    /// <summary>Every device writes at its interval until <paramref name="until"/> (Stopwatch ticks); writes in retry are finished.</summary>
    public Task WriteAsync(long until, CancellationToken cancellationToken) =>
        Task.WhenAll(_devices.Select(device => DeviceLoopAsync(device, until, cancellationToken)));

    private async Task DeviceLoopAsync(Device device, long until, CancellationToken cancellationToken)
    {
        var interval = _options.Interval;
        var due = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency * device.Index / _devices.Length);
        for (var sequence = 0; ; sequence++)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            if (Stopwatch.GetTimestamp() >= until || cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var sent = Stopwatch.GetTimestamp();
            var spec = new RequestSpec(OneM2MOperation.Create, $"{_options.CseBaseName}/{device.AeId}/data", device.AeId,
                string.Create(CultureInfo.InvariantCulture, $"{device.AeId}-w{sequence}"), 4,
                $$$"""{"m2m:cin":{"cnf":"text/plain:0","con":"{{{Content(device.Index, sequence)}}}"}}""");
            device.Written++;
            var outcome = await SendWithRetriesAsync(device, spec, isWrite: true, cancellationToken);
            if (outcome.Reply is { Rsc: 2001 })
            {
                device.Acknowledged.Add(new AcknowledgedWrite(sequence, sent, Stopwatch.GetTimestamp()));
                if (outcome.Attempts > 1)
                {
                    Interlocked.Increment(ref _retried);
                }
            }
            else if (outcome.Reply is { } rejected && !IsRetryable(rejected))
            {
                device.Rejected.Add(sequence);
            }
            else
            {
                device.GaveUp.Add(sequence);
            }

            // No catch-up burst after a long retry: the next write is due one interval later, or now.
            due = Math.Max(due + (long)(interval.TotalSeconds * Stopwatch.Frequency), Stopwatch.GetTimestamp());
        }
    }

    /// <summary>The outcome of a request sent until it got a final answer or its retry time was used up.</summary>
    internal readonly record struct Outcome(Reply? Reply, int Attempts, string? LastFailure);

    /// <summary>Sends <paramref name="spec"/> until a final answer or the retry time is used up; <paramref name="isWrite"/> counts its attempts and failures.</summary>
    private async Task<Outcome> SendWithRetriesAsync(Device device, RequestSpec spec, bool isWrite, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.RetryFor.TotalSeconds * Stopwatch.Frequency);
        string? lastFailure = null;
        Reply? last = null;
        for (var attempt = 0; ; attempt++)
        {
            var gateway = (device.Index + attempt) % _gateways.Count;
            if (isWrite)
            {
                Interlocked.Increment(ref _attempts);
            }

            try
            {
                var reply = await device.ExchangeAsync(gateway, spec, _options.RequestTimeout, cancellationToken);
                if (!IsRetryable(reply))
                {
                    return new Outcome(reply, attempt + 1, null);
                }

                last = reply;
                lastFailure = reply.Rsc >= 5000 ? reply.Rsc.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"http {reply.Status}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastFailure = "timeout";
            }
            catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or FormatException)
            {
                lastFailure = "connection";
            }

            if (isWrite)
            {
                _failures.Enqueue(new FailedAttempt(Stopwatch.GetTimestamp(), lastFailure));
            }

            // Pauses 250 ms, 500 ms, 1 s, then 2 s (the gateway's Retry-After is 3 s; the next gateway may be fine now).
            var pause = TimeSpan.FromMilliseconds(250 * (1 << Math.Min(attempt, 3)));
            if (Stopwatch.GetTimestamp() + (long)(pause.TotalSeconds * Stopwatch.Frequency) > deadline)
            {
                return new Outcome(last, attempt + 1, lastFailure);
            }

            await Task.Delay(pause, cancellationToken);
        }
    }

    /// <summary>A 5xxx answer (the gateway's "retry after" among them) or an HTTP 5xx without one: worth sending again.</summary>
    private static bool IsRetryable(Reply reply) => reply.Rsc >= 5000 || (reply.Rsc == 0 && reply.Status >= 500);

    /// <summary>
    /// Reads a device's container back with its instances (<c>rcn=4</c>) through the first gateway that answers;
    /// returns every <c>con</c> found, or null when no gateway answered before <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task<List<string>?> ReadBackAsync(Device device, CancellationToken cancellationToken)
    {
        var spec = new RequestSpec(OneM2MOperation.Retrieve, $"{_options.CseBaseName}/{device.AeId}/data", _options.AdminOriginator,
            device.AeId + "-readback", Query: "rcn=4", KeepBody: true);
        while (true)
        {
            var outcome = await SendWithRetriesAsync(device, spec, isWrite: false, cancellationToken);
            if (outcome.Reply is { Rsc: 2000, Body: { } body })
            {
                return Contents(body);
            }

            if (outcome.Reply is { } final && !IsRetryable(final))
            {
                throw new InvalidOperationException($"reading {spec.To} back answered {final.Rsc}: {final.Body}");
            }
        }
    }

    /// <summary>The <c>con</c> of every <c>m2m:cin</c> in a container retrieved with <c>rcn=4</c>.</summary>
    internal static List<string> Contents(string body)
    {
        using var document = JsonDocument.Parse(body);
        var contents = new List<string>();
        if (document.RootElement.TryGetProperty("m2m:cnt", out var container)
            && container.TryGetProperty("m2m:cin", out var instances) && instances.ValueKind == JsonValueKind.Array)
        {
            foreach (var instance in instances.EnumerateArray())
            {
                if (instance.TryGetProperty("con", out var con) && con.ValueKind == JsonValueKind.String)
                {
                    contents.Add(con.GetString()!);
                }
            }
        }

        return contents;
    }

    public void Dispose()
    {
        foreach (var device in _devices)
        {
            device.Dispose();
        }
    }

    /// <summary>One simulated device: its AE, what it wrote and what became of it, one connection per gateway.</summary>
    internal sealed class Device : IDisposable
    {
        private readonly HttpConnection[] _connections;
        private readonly string[] _authorities;
        private readonly ChaosMqttLink[] _links;
        private readonly byte[] _buffer = new byte[8 * 1024];

        /// <param name="index">Device number.</param>
        /// <param name="aeId">The device's AE-ID (its originator and MQTT client ID).</param>
        /// <param name="subscribed">Whether its container gets a subscription.</param>
        /// <param name="gateways">HTTP endpoints.</param>
        /// <param name="brokers">MQTT brokers of the same gateways (empty: HTTP only).</param>
        /// <param name="cseId">CSE-ID in the MQTT topics.</param>
        public Device(int index, string aeId, bool subscribed, IReadOnlyList<Uri> gateways, IReadOnlyList<IPEndPoint> brokers, string cseId)
        {
            Index = index;
            AeId = aeId;
            Subscribed = subscribed;
            _connections = [.. gateways.Select(g => new HttpConnection(new IPEndPoint(IPAddress.Parse(g.Host), g.Port)))];
            _authorities = [.. gateways.Select(g => g.Authority)];
            _links = [.. brokers.Select(b => new ChaosMqttLink(b, aeId, cseId.TrimStart('/')))];
        }

        public int Index { get; }

        public string AeId { get; }

        public bool Subscribed { get; }

        public int Written { get; set; }

        /// <summary>Acknowledged writes, in order (only the device's own loop adds).</summary>
        public List<AcknowledgedWrite> Acknowledged { get; } = [];

        /// <summary>Writes answered with a final error (4xxx): not acknowledged, and the device knows.</summary>
        public List<int> Rejected { get; } = [];

        /// <summary>Writes still failing when their retry time ran out: not acknowledged, and the device knows.</summary>
        public List<int> GaveUp { get; } = [];

        /// <summary>
        /// Sends <paramref name="spec"/> through gateway <paramref name="gateway"/>: over MQTT when the device has MQTT
        /// links and the request is its own (its AE-ID is the originator), else over HTTP (the admin's read-back,
        /// registrations of other AEs).
        /// </summary>
        public async Task<Reply> ExchangeAsync(int gateway, RequestSpec spec, TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (_links.Length > 0 && spec.Originator == AeId)
            {
                using var limited = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                limited.CancelAfter(timeout);
                return await _links[gateway].ExchangeAsync(spec, limited.Token);
            }

            var length = RequestFormatter.WriteHttp(_buffer, spec, _authorities[gateway], "/");
            if (length < 0)
            {
                throw new InvalidOperationException("request too large");
            }

            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(timeout);
            return await _connections[gateway].ExchangeAsync(_buffer.AsMemory(0, length), spec.KeepBody, bounded.Token);
        }

        public void Dispose()
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }

            foreach (var link in _links)
            {
                link.Dispose();
            }
        }
    }
}
