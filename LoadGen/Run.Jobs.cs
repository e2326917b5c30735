using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using VirtualIoT.LoadGen.Devices;
using VirtualIoT.LoadGen.Measurement;
using VirtualIoT.LoadGen.Transport;

namespace VirtualIoT.LoadGen;

// The jobs of a run: what one job of each kind sends, and how each answer is recorded and checked.
public sealed partial class Run
{
    private enum JobKind : byte
    {
        Register,
        Post,
        Read,
        Discover,
        Verify,
        Delete,
    }

    /// <summary>One unit of work; <c>Intended</c> is its scheduled Stopwatch time, 0 in closed-loop phases.</summary>
    private readonly record struct Job(JobKind Kind, int Device, int Sequence, long Intended);

    private static IEnumerable<Job> Drain(Channel<Job> queue)
    {
        while (queue.Reader.TryRead(out var job))
        {
            yield return job;
        }
    }

    /// <summary>
    /// Queues device d's jobs for endpoint d mod n (one queue per endpoint), so each device keeps talking to one
    /// silo's binding, as a real device talks to the gateway it resolved, and a cluster can keep its grains there.
    /// </summary>
    private sealed class DeviceRouter(Channel<Job>[] queues) : ChannelWriter<Job>
    {
        public override bool TryWrite(Job item) => QueueOf(item).Writer.TryWrite(item);

        public override ValueTask WriteAsync(Job item, CancellationToken cancellationToken = default) =>
            QueueOf(item).Writer.WriteAsync(item, cancellationToken);

        /// <summary>Waits until every endpoint's queue has room (or one is completed: false).</summary>
        public override async ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
        {
            foreach (var queue in queues)
            {
                if (!await queue.Writer.WaitToWriteAsync(cancellationToken))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool TryComplete(Exception? error = null)
        {
            var completed = true;
            foreach (var queue in queues)
            {
                completed &= queue.Writer.TryComplete(error);
            }

            return completed;
        }

        private Channel<Job> QueueOf(Job job) => queues[job.Device % queues.Length];
    }

    private static Operation FirstOperation(JobKind kind) => kind switch
    {
        JobKind.Register => Operation.AeCreate,
        JobKind.Post => Operation.ContentInstanceCreate,
        JobKind.Read => Operation.LatestRetrieve,
        JobKind.Discover => Operation.Discovery,
        JobKind.Verify => Operation.VerifyContainer,
        _ => Operation.AeDelete,
    };

    private ValueTask ExecuteAsync(Lane lane, Job job) => job.Kind switch
    {
        JobKind.Register => RegisterDeviceAsync(lane, job),
        JobKind.Post => PostAsync(lane, job),
        JobKind.Read => ReadAsync(lane, job),
        JobKind.Discover => DiscoverAsync(lane, job),
        JobKind.Verify => VerifyDeviceAsync(lane, job),
        _ => DeleteAsync(lane, job),
    };

    private async ValueTask RegisterDeviceAsync(Lane lane, Job job)
    {
        var d = job.Device;
        var aeId = _options.AeId(d);
        if (_mqtt is not null)
        {
            var connectStart = Stopwatch.GetTimestamp();
            try
            {
                await _mqtt.ConnectAsync(d, lane.Arm(_options.RequestTimeout));
                InterlockedMax(ref _mqttPeak, _mqtt.Connected);
            }
            catch (Exception exception) when (IsTransportFailure(exception))
            {
                var stats = _stats[(int)Operation.AeCreate];
                stats.RecordFailure(exception is OperationCanceledException, job.Intended == 0 ? connectStart : job.Intended, connectStart, Stopwatch.GetTimestamp());
                Note(stats, $"MQTT connect of {aeId}: {exception.Message}");
                return;
            }
        }

        var ae = await SendAsync(lane, Operation.AeCreate, job.Intended, d, OwnConnections, new RequestSpec(
            OneM2MOperation.Create, _options.CseBaseName, aeId, NextRequestId(), 2,
            $"{{\"m2m:ae\":{{\"rn\":\"{aeId}\",\"api\":\"N{_options.Prefix}\",\"rr\":false,\"srv\":[\"3\"]}}}}"));
        if (ae?.Rsc != 2001)
        {
            return;
        }

        Devices.Set(d, DeviceFlags.Registered);
        var aePath = $"{_options.CseBaseName}/{aeId}";
        var container = await SendAsync(lane, Operation.ContainerCreate, 0, d, OwnConnections, new RequestSpec(
            OneM2MOperation.Create, aePath, aeId, NextRequestId(), 3, $"{{\"m2m:cnt\":{{\"rn\":\"{_options.ContainerName}\"}}}}"));
        if (container?.Rsc != 2001)
        {
            return;
        }

        Devices.Set(d, DeviceFlags.HasContainer);
        if (!IsSubscriber(d, _options.Subscribers) || _receiver is null)
        {
            return;
        }

        // Subscriptions always go over HTTP: the subscribing application is not the device.
        var subscription = await SendAsync(lane, Operation.SubscriptionCreate, 0, d, false, new RequestSpec(
            OneM2MOperation.Create, $"{aePath}/{_options.ContainerName}", aeId, NextRequestId(), 23,
            $"{{\"m2m:sub\":{{\"rn\":\"lgsub\",\"nu\":[\"{_receiver.UrlPrefix}{d}\"],\"enc\":{{\"net\":[3]}}}}}}"));
        if (subscription?.Rsc == 2001)
        {
            Devices.Set(d, DeviceFlags.Subscribed);
        }
    }

    /// <summary>Exactly floor(N × ratio) devices, spread evenly over the indices.</summary>
    public static bool IsSubscriber(int device, double ratio) =>
        ratio > 0 && Math.Floor((device + 1) * ratio) > Math.Floor(device * ratio);

    private async ValueTask PostAsync(Lane lane, Job job)
    {
        var d = job.Device;
        var aeId = _options.AeId(d);
        var spec = new RequestSpec(OneM2MOperation.Create, $"{_options.CseBaseName}/{aeId}/{_options.ContainerName}", aeId, NextRequestId(), 4,
            $"{{\"m2m:cin\":{{\"cnf\":\"text/plain:0\",\"con\":\"{ContentValue.Format(job.Sequence, job.Intended)}\"}}}}");
        var reply = await SendAsync(lane, Operation.ContentInstanceCreate, job.Intended, d, OwnConnections, spec);
        if (reply is null)
        {
            Devices.RecordUnknown(d);
        }
        else if (reply.Value.Rsc == 2001)
        {
            Devices.RecordAcked(d, job.Sequence);
        }
    }

    private async ValueTask ReadAsync(Lane lane, Job job)
    {
        // la of a device that has written nothing yet is a correct 4004; read a neighbour that has an instance.
        var d = job.Device;
        for (var i = 0; i < 64 && Devices.Acked(d) == 0; i++)
        {
            d = (d + 1) % Devices.Count;
        }

        if (Devices.Acked(d) == 0)
        {
            Interlocked.Increment(ref _readsSkipped);
            return;
        }

        await SendAsync(lane, Operation.LatestRetrieve, job.Intended, d, false, new RequestSpec(OneM2MOperation.Retrieve,
            $"{_options.CseBaseName}/{_options.AeId(d)}/{_options.ContainerName}/la", _options.AdminOriginator, NextRequestId()));
    }

    private async ValueTask DiscoverAsync(Lane lane, Job job) =>
        await SendAsync(lane, Operation.Discovery, job.Intended, job.Device, false, new RequestSpec(OneM2MOperation.Retrieve,
            $"{_options.CseBaseName}/{_options.AeId(job.Device)}", _options.AdminOriginator, NextRequestId(), Query: "fu=1&ty=3"));

    private async ValueTask VerifyDeviceAsync(Lane lane, Job job)
    {
        var d = job.Device;
        var aeId = _options.AeId(d);
        var containerPath = $"{_options.CseBaseName}/{aeId}/{_options.ContainerName}";
        Interlocked.Increment(ref _verifyChecked);
        var container = await SendAsync(lane, Operation.VerifyContainer, 0, d, false,
            new RequestSpec(OneM2MOperation.Retrieve, containerPath, _options.AdminOriginator, NextRequestId(), KeepBody: true));
        var latest = await SendAsync(lane, Operation.VerifyLatest, 0, d, false,
            new RequestSpec(OneM2MOperation.Retrieve, containerPath + "/la", _options.AdminOriginator, NextRequestId(), KeepBody: true));
        if (container is null || latest is null || container.Value.Rsc is not (2000 or 4004) || latest.Value.Rsc is not (2000 or 4004))
        {
            Interlocked.Increment(ref _verifyUnreadable);
            Interlocked.Increment(ref _verifyWrong);
            Example($"{aeId}: could not be read back (container RSC {container?.Rsc}, la RSC {latest?.Rsc})");
            return;
        }

        Readback readback;
        try
        {
            var (cni, mni) = container.Value.Rsc == 2000 ? Verification.ParseContainer(container.Value.Body) : (0, null);
            var sequence = latest.Value.Rsc == 2000 ? Verification.ParseLatestSequence(latest.Value.Body) : null;
            readback = new Readback(container.Value.Rsc == 2000, cni, mni, sequence);
        }
        catch (System.Text.Json.JsonException exception)
        {
            Interlocked.Increment(ref _verifyUnreadable);
            Interlocked.Increment(ref _verifyWrong);
            Example($"{aeId}: unreadable answer: {exception.Message}");
            return;
        }

        var acked = Devices.Acked(d);
        var lastAcked = Devices.LastAcked(d);
        var unknown = Devices.Unknown(d);
        var verdict = Verification.Check(acked, lastAcked, unknown, readback);
        if (verdict.IsCorrect)
        {
            return;
        }

        Interlocked.Increment(ref _verifyWrong);
        Interlocked.Add(ref _verifyLost, verdict.Lost);
        Interlocked.Add(ref _verifyExtra, verdict.Extra);
        if (verdict.WrongLatest)
        {
            Interlocked.Increment(ref _verifyWrongLatest);
        }

        Example($"{aeId}: acknowledged {acked} (last {lastAcked}, {unknown} unanswered), found container={readback.ContainerFound} "
            + $"cni={readback.CurrentNrOfInstances} mni={readback.MaxNrOfInstances?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} "
            + $"la={readback.LatestSequence?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}: lost {verdict.Lost}, extra {verdict.Extra}, wrong latest {verdict.WrongLatest}");
    }

    private async ValueTask DeleteAsync(Lane lane, Job job)
    {
        var d = job.Device;
        var aeId = _options.AeId(d);
        var reply = await SendAsync(lane, Operation.AeDelete, 0, d, false,
            new RequestSpec(OneM2MOperation.Delete, $"{_options.CseBaseName}/{aeId}", aeId, NextRequestId()));
        if (reply?.Rsc == 2002)
        {
            // Flags stay: the result reports what was registered; the deletions are counted on their own.
            Interlocked.Increment(ref _deleted);
        }
    }

    // MQTT and WebSocket devices send their own requests over the device's connection, not a lane's.
    private bool OwnConnections => _mqtt is not null || _webSockets is not null;

    /// <summary>
    /// Sends one request and records it; null when no answer came (failure or timeout). <paramref name="viaDevice"/>: over
    /// the device's own connection (MQTT, WebSocket), else over the lane's.
    /// </summary>
    private async ValueTask<Reply?> SendAsync(Lane lane, Operation operation, long intended, int device, bool viaDevice, RequestSpec spec)
    {
        var stats = _stats[(int)operation];
        var sent = Stopwatch.GetTimestamp();
        if (intended == 0)
        {
            intended = sent;
        }

        try
        {
            var reply = viaDevice
                ? _mqtt is not null
                    ? await _mqtt.SendAsync(device, spec, lane.Arm(_options.RequestTimeout))
                    : await _webSockets!.SendAsync(device, spec, lane.Arm(_options.RequestTimeout))
                : _endpoints is not null
                    ? await lane.ExchangeAsync(_endpoints, device, spec, _options.RequestTimeout)
                    : await lane.ExchangeAsync(spec, _options.RequestTimeout);
            if (!stats.RecordAnswer(reply.Rsc, intended, sent, Stopwatch.GetTimestamp()))
            {
                Note(stats, $"{spec.Operation} {spec.To} as {spec.Originator}: HTTP {reply.Status} RSC {reply.Rsc}");
            }

            return reply;
        }
        catch (Exception exception) when (IsTransportFailure(exception))
        {
            var timeout = exception is OperationCanceledException;
            stats.RecordFailure(timeout, intended, sent, Stopwatch.GetTimestamp());
            Note(stats, $"{spec.Operation} {spec.To}: {(timeout ? "timeout" : exception.GetType().Name + ": " + exception.Message)}");
            return null;
        }
    }

    private bool IsTransportFailure(Exception exception) =>
        !_runToken.IsCancellationRequested && exception is IOException or SocketException or OperationCanceledException
            or MQTTnet.Exceptions.MqttCommunicationException or ObjectDisposedException or InvalidOperationException;

    private static void Note(OperationStats stats, string problem) => stats.NoteFirstProblem(problem);
}
