using System.Diagnostics;

namespace VirtualIoT.LoadGen.Chaos;

/// <summary>The faults of a chaos run: kills, pauses, a database restart and a whole-cluster restart.</summary>
internal sealed partial class ChaosRun
{
    private bool _clusterDown;

    private sealed class Fault(string kind, string target, ClusterProcess? process, long at)
    {
        public string Kind { get; } = kind;

        /// <summary>silo0, gateway1, postgres or cluster.</summary>
        public string Target { get; } = target;

        /// <summary>The process killed or paused; null for the database and the whole cluster.</summary>
        public ClusterProcess? Process { get; } = process;

        public long At { get; } = at;

        public long? RestartedAt { get; set; }

        public long? ReadyAt { get; set; }
    }

    private Task AllFaultsAsync(long until, CancellationToken cancellationToken) => Task.WhenAll(
        FaultLoopAsync("kill silo", options.KillEvery, _silos, KillAsync, until, cancellationToken),
        FaultLoopAsync("kill gateway", options.GatewayKillEvery, _gateways, KillAsync, until, cancellationToken),
        FaultLoopAsync("pause silo", options.PauseEvery, _silos, PauseAsync, until, cancellationToken),
        OnceAsync(options.PostgresRestartAt, RestartPostgresAsync, until, cancellationToken),
        OnceAsync(options.ClusterRestartAt, RestartClusterAsync, until, cancellationToken),
        OnceAsync(options.SubscriberOutageAt, SubscriberOutageAsync, until, cancellationToken));

    private async Task FaultLoopAsync(string kind, TimeSpan every, List<ClusterProcess> targets, Func<Fault, CancellationToken, Task> inject,
        long until, CancellationToken cancellationToken)
    {
        if (every <= TimeSpan.Zero || targets.Count == 0)
        {
            return;
        }

        for (var next = _trafficStart + Ticks(every); next < until; next += Ticks(every))
        {
            await DelayUntilAsync(next, cancellationToken);

            // Never the last process of its kind that is up, nor one still starting: the cluster must have
            // somewhere to go, and a fault measures the failover of a process that served.
            List<ClusterProcess> up;
            lock (_faults)
            {
                up = _clusterDown ? [] : [.. targets.Where(p => p.IsReady)];
            }

            if (up.Count < 2)
            {
                Log($"{kind}: skipped, only {up.Count} up");
                continue;
            }

            var victim = up[_random.Next(up.Count)];
            var fault = new Fault(kind, victim.Name, victim, Stopwatch.GetTimestamp());
            lock (_faults)
            {
                _faults.Add(fault);
            }

            await inject(fault, cancellationToken);
        }
    }

    private async Task OnceAsync(TimeSpan? at, Func<CancellationToken, Task> inject, long until, CancellationToken cancellationToken)
    {
        if (at is not { } offset || _trafficStart + Ticks(offset) >= until)
        {
            return;
        }

        await DelayUntilAsync(_trafficStart + Ticks(offset), cancellationToken);
        await inject(cancellationToken);
    }

    private static async Task DelayUntilAsync(long timestamp, CancellationToken cancellationToken)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }
    }

    private Task KillAsync(Fault fault, CancellationToken cancellationToken)
    {
        var process = fault.Process!;
        process.Kill();
        Log($"SIGKILL {process.Name}");
        if (process.CanRestart)
        {
            lock (_faults)
            {
                _restarts.Add(RestartAsync(fault, cancellationToken));
            }
        }

        return Task.CompletedTask;
    }

    private async Task RestartAsync(Fault fault, CancellationToken cancellationToken)
    {
        await Task.Delay(options.RestartAfter, cancellationToken);
        var process = fault.Process!;
        lock (_faults)
        {
            // A whole-cluster restart in the meantime starts it (or has started it) with the others.
            if (_clusterDown || process.IsUp)
            {
                return;
            }

            process.Start();
        }

        fault.RestartedAt = Stopwatch.GetTimestamp();
        try
        {
            await process.WaitReadyAsync(options.CseBaseName, options.AdminOriginator, options.PhaseTimeout, cancellationToken);
            fault.ReadyAt = Stopwatch.GetTimestamp();
            Log($"{process.Name} started again, ready after {Stopwatch.GetElapsedTime(fault.RestartedAt.Value).TotalSeconds:0.0} s");
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
        {
            Log($"{process.Name} did not come back: {exception.Message}");
        }
    }

    private Task PauseAsync(Fault fault, CancellationToken cancellationToken)
    {
        lock (_faults)
        {
            _restarts.Add(PauseAndResumeAsync(fault, cancellationToken));
        }

        return Task.CompletedTask;
    }

    private async Task PauseAndResumeAsync(Fault fault, CancellationToken cancellationToken)
    {
        var process = fault.Process!;
        await process.PauseAsync();
        Log($"SIGSTOP {process.Name} for {options.PauseFor.TotalSeconds:0.#} s");
        try
        {
            await Task.Delay(options.PauseFor, cancellationToken);
        }
        finally
        {
            await process.ResumeAsync();
            fault.RestartedAt = fault.ReadyAt = Stopwatch.GetTimestamp();
            Log($"SIGCONT {process.Name}");
        }
    }

    /// <summary>
    /// Stops the database (<see cref="ChaosOptions.PostgresDownCommand"/>) and starts it again after
    /// <see cref="ChaosOptions.PostgresDownFor"/>: membership, reminders and (with <c>postgres</c>) grain storage are
    /// gone meanwhile; the platform must answer 5000 and carry on by itself afterwards.
    /// </summary>
    private async Task RestartPostgresAsync(CancellationToken cancellationToken)
    {
        var fault = new Fault("restart postgres", "postgres", null, Stopwatch.GetTimestamp());
        lock (_faults)
        {
            _faults.Add(fault);
        }

        await RunCommandAsync(options.PostgresDownCommand!, cancellationToken);
        Log($"PostgreSQL stopped for {options.PostgresDownFor.TotalSeconds:0.#} s");
        await Task.Delay(options.PostgresDownFor, cancellationToken);
        fault.RestartedAt = Stopwatch.GetTimestamp();
        await RunCommandAsync(options.PostgresUpCommand!, cancellationToken);
        fault.ReadyAt = Stopwatch.GetTimestamp();
        Log($"PostgreSQL started again ({Stopwatch.GetElapsedTime(fault.RestartedAt.Value).TotalSeconds:0.0} s)");
    }

    /// <summary>
    /// SIGKILLs every silo and gateway at once, as a power cut would, and starts them all again after
    /// <see cref="ChaosOptions.ClusterDownFor"/>: everything acknowledged, every subscription and every queued
    /// notification must come back from storage alone.
    /// </summary>
    private async Task RestartClusterAsync(CancellationToken cancellationToken)
    {
        var fault = new Fault("restart cluster", "cluster", null, Stopwatch.GetTimestamp());
        lock (_faults)
        {
            _faults.Add(fault);
            _clusterDown = true;
            foreach (var process in _gateways.Concat(_silos))
            {
                process.Kill();
            }
        }

        Log($"SIGKILL every silo and gateway; down for {options.ClusterDownFor.TotalSeconds:0.#} s");
        await Task.Delay(options.ClusterDownFor, cancellationToken);
        lock (_faults)
        {
            foreach (var process in _silos.Concat(_gateways))
            {
                process.Start();
            }

            _clusterDown = false;
        }

        fault.RestartedAt = Stopwatch.GetTimestamp();
        try
        {
            await Task.WhenAll(_silos.Concat(_gateways)
                .Select(p => p.WaitReadyAsync(options.CseBaseName, options.AdminOriginator, options.PhaseTimeout, cancellationToken)));
            fault.ReadyAt = Stopwatch.GetTimestamp();
            Log($"cluster started again, ready after {Stopwatch.GetElapsedTime(fault.RestartedAt.Value).TotalSeconds:0.0} s");
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
        {
            Log($"the cluster did not come back: {exception.Message}");
        }
    }

    /// <summary>The notification receiver refuses everything for <see cref="ChaosOptions.SubscriberOutageFor"/>: notifications queue up in the CSE.</summary>
    private async Task SubscriberOutageAsync(CancellationToken cancellationToken)
    {
        if (_subscriber is null)
        {
            return;
        }

        var fault = new Fault("subscriber outage", "receiver", null, Stopwatch.GetTimestamp());
        lock (_faults)
        {
            _faults.Add(fault);
        }

        _subscriber.Refusing = true;
        Log($"notification receiver refuses for {options.SubscriberOutageFor.TotalSeconds:0.#} s");
        try
        {
            await Task.Delay(options.SubscriberOutageFor, cancellationToken);
        }
        finally
        {
            _subscriber.Refusing = false;
            fault.RestartedAt = fault.ReadyAt = Stopwatch.GetTimestamp();
            Log($"notification receiver accepts again ({_subscriber.Refused} refused)");
        }
    }

    private async Task RunCommandAsync(string command, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot run " + command);
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            Log($"'{command}' failed ({process.ExitCode}): {(await error).Trim()} {(await output).Trim()}");
        }
    }
}
