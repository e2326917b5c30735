using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using VirtualIoT.LoadGen.Devices;
using VirtualIoT.LoadGen.Measurement;

namespace VirtualIoT.LoadGen;

public sealed partial class Run
{
    /// <summary>Notifications of acknowledged instances on subscribed containers, not (yet) received.</summary>
    public long MissingNotifications => _receiver is null ? 0 : Devices.MissingNotifications();

    private LoadGenResult BuildResult(IReadOnlyList<string> arguments, DateTimeOffset started, string? loadBefore, List<string> problems)
    {
        var exitCode = problems.Count > 0 ? 1 : 0;
        var warnings = new List<string>();
        var phaseSeconds = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var phase in _phases)
        {
            phaseSeconds[phase.Name] = phase.Seconds;
            if (phase.TimedOut)
            {
                warnings.Add($"phase {phase.Name} hit its time bound");
            }
        }

        var operations = new List<OperationResult>();
        foreach (var stats in _stats)
        {
            if (stats.Completed == 0 && stats.Dropped == 0)
            {
                continue;
            }

            var byRsc = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var (rsc, count) in stats.ByRsc())
            {
                byRsc[rsc.ToString(CultureInfo.InvariantCulture)] = count;
            }

            var seconds = phaseSeconds.GetValueOrDefault(PhaseOf(stats.Operation));
            operations.Add(new OperationResult(Name(stats.Operation), stats.ExpectedRsc, stats.Ok, stats.Errors, stats.Failed, stats.Timeouts,
                stats.Dropped, byRsc, seconds > 0 ? Math.Round(stats.Ok / seconds, 1) : 0, LatencySummary.Of(stats.Latency),
                LatencySummary.Of(stats.Service), stats.FirstProblem));
            if (stats.Errors + stats.Failed + stats.Timeouts + stats.Dropped > 0)
            {
                warnings.Add($"{Name(stats.Operation)}: {stats.Errors} error answers, {stats.Failed} failed, {stats.Timeouts} timeouts, {stats.Dropped} dropped"
                    + (stats.FirstProblem is null ? "" : $" (first: {stats.FirstProblem})"));
            }
        }

        NotificationSummary? notifications = null;
        if (_receiver is not null)
        {
            var expected = Devices.SumAcked(DeviceFlags.Subscribed);
            var missing = Devices.MissingNotifications();
            notifications = new NotificationSummary(expected, _receiver.Received, missing, _receiver.Duplicates, _receiver.Verifications,
                _receiver.Unreadable, LatencySummary.Of(_receiver.Latency));
            if (missing > 0)
            {
                problems.Add($"{missing} of {expected} expected notifications did not arrive within {_options.NotificationWait.TotalSeconds:F0} s");
                exitCode = Math.Max(exitCode, 2);
            }
        }

        VerificationSummary? verification = null;
        if (_options.Verify && _phases.Exists(p => p.Name == "verify"))
        {
            verification = new VerificationSummary(_verifyChecked, _verifyWrong, _verifyLost, _verifyExtra, _verifyWrongLatest, _verifyUnreadable,
                [.. _examples]);
            if (_verifyWrong > 0)
            {
                problems.Add($"verification: {_verifyLost} acknowledged instances lost, {_verifyExtra} extra, {_verifyWrongLatest} wrong latest, "
                    + $"{_verifyUnreadable} unreadable, over {_verifyWrong} of {_verifyChecked} devices");
                exitCode = Math.Max(exitCode, 2);
            }
        }

        warnings.AddRange(_probe.GcFailures.Select(f => "silo GC not induced: " + f));
        using var self = Process.GetCurrentProcess();
        return new LoadGenResult
        {
            Arguments = arguments,
            Options = _options,
            Machine = new MachineInfo(Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription,
                loadBefore, LoadAverage()),
            Started = started,
            Finished = DateTimeOffset.UtcNow,
            Phases = [.. _phases],
            Operations = operations,
            Devices = new DeviceSummary(_options.Devices, Devices.CountWith(DeviceFlags.Registered), Devices.CountWith(DeviceFlags.HasContainer),
                Devices.CountWith(DeviceFlags.Subscribed), Devices.SumAcked(), SumUnknown(), _steadyScheduled, _skippedUnregistered, _readsSkipped,
                _mqttPeak, _deleted, _mqtt?.Redirects ?? 0),
            Notifications = notifications,
            Verification = verification,
            Server = ServerFigures(),
            Client = new ClientSummary(Math.Round(self.TotalProcessorTime.TotalSeconds, 2), self.PeakWorkingSet64),
            Problems = [.. problems],
            Warnings = warnings,
            ExitCode = exitCode,
        };
    }

    private long SumUnknown()
    {
        long n = 0;
        for (var d = 0; d < Devices.Count; d++)
        {
            n += Devices.Unknown(d);
        }

        return n;
    }

    private ServerSummary ServerFigures()
    {
        ServerSnapshot? Find(string label) => _snapshots.Find(s => s.Label == label);
        var start = Find("start");
        var registered = Find("registered");
        var steadyEnd = Find("steady-end");
        var devices = Devices.CountWith(DeviceFlags.HasContainer);
        double? bytesPerDevice = null;
        double? bytesPerActivation = null;
        double? cpuPerRequest = null;
        double? cpuPerRegistrationRequest = null;
        if (start?.RssBytes is { } rss0 && registered?.RssBytes is { } rss1 && devices > 0)
        {
            bytesPerDevice = Math.Round((double)(rss1 - rss0) / devices, 1);
            if (start.Activations is { } a0 && registered.Activations is { } a1 && a1 > a0)
            {
                bytesPerActivation = Math.Round((double)(rss1 - rss0) / (a1 - a0), 1);
            }
        }

        if (start?.CpuSeconds is { } c0 && registered?.CpuSeconds is { } c1)
        {
            var requests = _stats[(int)Operation.AeCreate].Completed + _stats[(int)Operation.ContainerCreate].Completed
                + _stats[(int)Operation.SubscriptionCreate].Completed;
            cpuPerRegistrationRequest = requests > 0 ? Math.Round((c1 - c0) * 1e6 / requests, 1) : null;
            if (steadyEnd?.CpuSeconds is { } c2)
            {
                var steady = _stats[(int)Operation.ContentInstanceCreate].Completed + _stats[(int)Operation.LatestRetrieve].Completed
                    + _stats[(int)Operation.Discovery].Completed;
                cpuPerRequest = steady > 0 ? Math.Round((c2 - c1) * 1e6 / steady, 1) : null;
            }
        }

        var idle = Find("idle");
        var (rssPerIdleDevice, rssPerActiveGrain) = IdleFigures(start, registered, idle, devices, s => s.RssBytes);
        var (heapPerIdleDevice, heapPerActiveGrain) = IdleFigures(start, registered, idle, devices, s => s.HeapBytes);
        return new ServerSummary([.. _snapshots], bytesPerDevice, bytesPerActivation, cpuPerRequest, cpuPerRegistrationRequest, rssPerIdleDevice,
            rssPerActiveGrain, heapPerIdleDevice, heapPerActiveGrain);
    }

    private static string PhaseOf(Operation operation) => operation switch
    {
        Operation.AeCreate or Operation.ContainerCreate or Operation.SubscriptionCreate => "registration",
        Operation.ContentInstanceCreate or Operation.LatestRetrieve or Operation.Discovery => "steady",
        Operation.VerifyContainer or Operation.VerifyLatest => "verify",
        _ => "teardown",
    };

    /// <summary>Short operation names used in the console and the result file.</summary>
    public static string Name(Operation operation) => operation switch
    {
        Operation.AeCreate => "ae-create",
        Operation.ContainerCreate => "cnt-create",
        Operation.SubscriptionCreate => "sub-create",
        Operation.ContentInstanceCreate => "cin-create",
        Operation.LatestRetrieve => "la-retrieve",
        Operation.Discovery => "discovery",
        Operation.VerifyContainer => "verify-cnt",
        Operation.VerifyLatest => "verify-la",
        _ => "ae-delete",
    };
}
