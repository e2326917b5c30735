using System.Diagnostics;
using VirtualIoT.LoadGen.Devices;
using VirtualIoT.LoadGen.Measurement;

namespace VirtualIoT.LoadGen;

public sealed partial class Run
{
    /// <summary>How often the idle phase asks for the activation count.</summary>
    private static readonly TimeSpan s_idlePoll = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The idle phase (<see cref="LoadGenOptions.IdleWait"/>): no requests, only polls of the activation count until
    /// the CSE has deactivated the devices' grains, that is until the AE activations (else all activations above
    /// the start's) are down to 1 % of the registered devices. Ends early then, or at the bound, marked timed out.
    /// </summary>
    private async Task WaitForIdleAsync()
    {
        Phase = "idle";
        var registered = Devices.CountWith(DeviceFlags.Registered);
        var target = registered / 100;
        var baseline = _snapshots.Find(s => s.Label == "start")?.Activations ?? 0;
        PhasePlanned = registered;
        Volatile.Write(ref _phaseDone, 0);
        PhaseStarted = Stopwatch.GetTimestamp();
        var deadline = PhaseStarted + (long)(_options.IdleWait.TotalSeconds * Stopwatch.Frequency);
        long? active = null;
        while (true)
        {
            var (total, ae, _) = await _probe.ReadActivationsAsync(_runToken);
            active = IdleActivations(total, ae, baseline);
            if (active is { } n)
            {
                Volatile.Write(ref _phaseDone, Math.Max(0, registered - n));
            }

            if (active <= target || Stopwatch.GetTimestamp() >= deadline)
            {
                break;
            }

            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            await Task.Delay(left < s_idlePoll ? left : s_idlePoll, _runToken);
        }

        var seconds = Stopwatch.GetElapsedTime(PhaseStarted).TotalSeconds;
        _phases.Add(new PhaseResult("idle", Math.Round(seconds, 3), PhasePlanned, PhaseDone, 0, active is null || active > target));
    }

    /// <summary>The device activations still there: the AE type's when the source tells types apart, else all above the start's.</summary>
    internal static long? IdleActivations(long? total, long? ae, long baseline) => ae ?? (total is { } t ? Math.Max(0, t - baseline) : null);

    /// <summary>
    /// Memory per registered idle device (at <c>idle</c> minus at <c>start</c>, over the devices) and per active
    /// grain (at <c>registered</c> minus at <c>idle</c>, over the activations that went away), from the snapshots'
    /// <paramref name="memory"/> (RSS or managed heap); nulls without an idle snapshot or without its inputs.
    /// </summary>
    internal static (double? PerIdleDevice, double? PerActiveGrain) IdleFigures(ServerSnapshot? start, ServerSnapshot? registered,
        ServerSnapshot? idle, long devices, Func<ServerSnapshot, long?> memory)
    {
        double? perIdle = null;
        double? perActive = null;
        if (start is not null && idle is not null && memory(start) is { } m0 && memory(idle) is { } mIdle && devices > 0)
        {
            perIdle = Math.Round((double)(mIdle - m0) / devices, 1);
            if (registered is not null && memory(registered) is { } m1 && registered.Activations is { } a1 && idle.Activations is { } aIdle && a1 > aIdle)
            {
                perActive = Math.Round((double)(m1 - mIdle) / (a1 - aIdle), 1);
            }
        }

        return (perIdle, perActive);
    }
}
