using System.Diagnostics;
using System.Globalization;
using System.Text;
using HdrHistogram;
using Spectre.Console;
using Spectre.Console.Rendering;
using VirtualIoT.LoadGen.Measurement;

namespace VirtualIoT.LoadGen;

/// <summary>
/// Progress while a run goes: a live Spectre.Console table refreshed once a second on a terminal, or a plain line
/// every few seconds (and at each phase change) when output is redirected, so logs stay readable.
/// </summary>
public static class ConsoleView
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    /// <summary>Live table on the console until <paramref name="cancellationToken"/> fires.</summary>
    public static async Task LiveAsync(Run run, CancellationToken cancellationToken)
    {
        var rates = new RateTracker();
        await AnsiConsole.Live(Render(run, rates)).AutoClear(false).StartAsync(async context =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(1000, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                context.UpdateTarget(Render(run, rates));
            }

            context.UpdateTarget(Render(run, rates));
        });
    }

    /// <summary>A plain progress line every <paramref name="every"/> and at each phase change.</summary>
    public static async Task PlainAsync(Run run, TextWriter output, TimeSpan every, CancellationToken cancellationToken)
    {
        var rates = new RateTracker();
        var phase = "";
        var last = Stopwatch.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(250, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (run.Phase != phase || Stopwatch.GetElapsedTime(last) >= every)
            {
                phase = run.Phase;
                last = Stopwatch.GetTimestamp();
                await output.WriteLineAsync(Line(run, rates));
            }
        }
    }

    /// <summary>One line: phase, progress and per-operation figures.</summary>
    public static string Line(Run run, RateTracker rates)
    {
        var text = new StringBuilder();
        text.Append(s_invariant, $"[{DateTime.UtcNow:HH:mm:ss}] {run.Phase} {run.PhaseDone:N0}/{run.PhasePlanned:N0} ({Stopwatch.GetElapsedTime(run.PhaseStarted).TotalSeconds:F0} s)");
        foreach (var stats in run.Stats)
        {
            if (stats.Completed == 0 && stats.Dropped == 0)
            {
                continue;
            }

            text.Append(s_invariant, $" | {Run.Name(stats.Operation)} ok {stats.Ok:N0} ({rates.Rate(stats):F0}/s) err {stats.Errors + stats.Failed + stats.Timeouts:N0}");
            if (stats.Dropped > 0)
            {
                text.Append(s_invariant, $" dropped {stats.Dropped:N0}");
            }

            var interval = stats.TakeInterval();
            text.Append(s_invariant, $" p99 {(interval.TotalCount > 0 ? interval.GetValueAtPercentile(99) / 1000.0 : 0):F1} ms (all {stats.Latency.GetValueAtPercentile(99) / 1000.0:F1})");
        }

        if (run.Endpoints is { } endpoints)
        {
            text.Append(s_invariant, $" | endpoints {endpoints}");
        }

        if (run.Receiver is { } receiver)
        {
            text.Append(s_invariant, $" | notifications {receiver.Received:N0} (missing {run.MissingNotifications:N0})");
        }

        rates.Advance(run.Stats);
        return text.ToString();
    }

    private static IRenderable Render(Run run, RateTracker rates)
    {
        var planned = Math.Max(1, run.PhasePlanned);
        var fraction = Math.Clamp((double)run.PhaseDone / planned, 0, 1);
        const int width = 40;
        var filled = (int)(fraction * width);
        var header = new Markup(string.Create(s_invariant,
            $"[bold]{Markup.Escape(run.Phase)}[/]  [green]{new string('█', filled)}[/][grey]{new string('░', width - filled)}[/]  {run.PhaseDone:N0}/{run.PhasePlanned:N0} ({fraction:P0}, {Stopwatch.GetElapsedTime(run.PhaseStarted).TotalSeconds:F0} s)"));
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in new[] { "operation", "ok", "ok/s", "errors", "failed", "timeouts", "dropped", "p50 ms", "p99 ms", "max ms" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var stats in run.Stats)
        {
            if (stats.Completed == 0 && stats.Dropped == 0)
            {
                continue;
            }

            table.AddRow(
                Run.Name(stats.Operation),
                stats.Ok.ToString("N0", s_invariant),
                rates.Rate(stats).ToString("F0", s_invariant),
                stats.Errors.ToString("N0", s_invariant),
                stats.Failed.ToString("N0", s_invariant),
                stats.Timeouts.ToString("N0", s_invariant),
                stats.Dropped.ToString("N0", s_invariant),
                Ms(stats.Latency.GetValueAtPercentile(50)),
                Ms(stats.Latency.GetValueAtPercentile(99)),
                Ms(stats.Latency.GetMaxValue()));
        }

        if (run.Receiver is { } receiver)
        {
            table.AddRow("notifications", receiver.Received.ToString("N0", s_invariant), "", $"missing {run.MissingNotifications:N0}", "", "",
                $"dup {receiver.Duplicates:N0}", Ms(receiver.Latency.GetValueAtPercentile(50)), Ms(receiver.Latency.GetValueAtPercentile(99)),
                Ms(receiver.Latency.GetMaxValue()));
        }

        rates.Advance(run.Stats);
        return new Rows(header, table);
    }

    private static string Ms(long microseconds) => (microseconds / 1000.0).ToString("F1", s_invariant);

    /// <summary>The closing summary: phases, operations, notifications, verification, server figures, problems.</summary>
    public static void WriteSummary(TextWriter output, LoadGenResult result)
    {
        var o = result.Options;
        output.WriteLine(string.Create(s_invariant,
            $"LoadGen {o.Protocol.ToString().ToLowerInvariant()} {string.Join(',', o.BaseUrls)} devices={o.Devices:N0} interval={o.Interval.TotalSeconds:0.###}s steady_rate={o.SteadyRate:F1}/s duration={o.Duration.TotalSeconds:0.###}s prefix={o.Prefix}"));
        foreach (var phase in result.Phases)
        {
            output.WriteLine(string.Create(s_invariant,
                $"phase {phase.Name,-13} {phase.Seconds,9:F1} s  {phase.Work,10:N0}/{phase.Planned:N0} jobs  {phase.WorkPerSecond,10:F1}/s{(phase.TimedOut ? "  TIMED OUT" : "")}"));
        }

        output.WriteLine("operation        ok       ok/s  errors failed timeouts dropped   p50 ms   p90 ms   p99 ms p99.9 ms   max ms  (latency from intended send)");
        foreach (var op in result.Operations)
        {
            var l = op.Latency;
            output.WriteLine(string.Create(s_invariant,
                $"{op.Name,-12} {op.Ok,9:N0} {op.OkPerSecond,10:F1} {op.Errors,7:N0} {op.Failed,6:N0} {op.Timeouts,8:N0} {op.Dropped,7:N0} {l.P50Ms,8:F2} {l.P90Ms,8:F2} {l.P99Ms,8:F2} {l.P999Ms,8:F2} {l.MaxMs,8:F2}"));
        }

        var d = result.Devices;
        var redirects = d.MqttRedirects > 0 ? string.Create(s_invariant, $"; MQTT redirections followed {d.MqttRedirects:N0}") : "";
        output.WriteLine(string.Create(s_invariant,
            $"devices: registered {d.Registered:N0}, with container {d.WithContainer:N0}, subscribed {d.Subscribed:N0}; instances acknowledged {d.InstancesAcknowledged:N0}, unanswered {d.InstancesUnanswered:N0}; deleted {d.Deleted:N0}{redirects}"));
        if (result.Notifications is { } n)
        {
            output.WriteLine(string.Create(s_invariant,
                $"notifications: expected {n.Expected:N0}, received {n.Received:N0}, missing {n.Missing:N0}, duplicates {n.Duplicates:N0}; latency p50 {n.Latency.P50Ms:F1} ms p99 {n.Latency.P99Ms:F1} ms max {n.Latency.MaxMs:F1} ms"));
        }

        if (result.Verification is { } v)
        {
            output.WriteLine(string.Create(s_invariant,
                $"verification: {v.DevicesChecked:N0} devices checked, {v.DevicesWrong:N0} wrong; lost {v.Lost:N0}, extra {v.Extra:N0}, wrong latest {v.WrongLatest:N0}, unreadable {v.Unreadable:N0}"));
            foreach (var example in v.Examples)
            {
                output.WriteLine("  " + example);
            }
        }

        var s = result.Server;
        foreach (var snapshot in s.Snapshots)
        {
            output.WriteLine(string.Create(s_invariant,
                $"server {snapshot.Label,-12} rss {Mib(snapshot.RssBytes)}  heap {Mib(snapshot.HeapBytes)}  cpu {(snapshot.CpuSeconds is { } cpu ? cpu.ToString("F2", s_invariant) + " s" : "-")}  activations {snapshot.Activations?.ToString("N0", s_invariant) ?? "-"} (ae {snapshot.AeActivations?.ToString("N0", s_invariant) ?? "-"}, {snapshot.ActivationSource ?? "no source"})"));
        }

        if (s.BytesPerRegisteredDevice is not null || s.CpuMicrosecondsPerRequest is not null)
        {
            output.WriteLine(string.Create(s_invariant,
                $"server per device: {s.BytesPerRegisteredDevice?.ToString("N0", s_invariant) ?? "-"} B per registered device (grains active), {s.BytesPerActivation?.ToString("N0", s_invariant) ?? "-"} B per activation; CPU {s.CpuMicrosecondsPerRequest?.ToString("F1", s_invariant) ?? "-"} µs per steady request, {s.CpuMicrosecondsPerRegistrationRequest?.ToString("F1", s_invariant) ?? "-"} µs per registration request"));
        }

        if (s.BytesPerIdleDevice is not null)
        {
            output.WriteLine(string.Create(s_invariant,
                $"server idle: RSS {s.BytesPerIdleDevice:N0} B per registered idle device, {N(s.BytesPerActiveGrain)} B per active grain; managed heap {N(s.HeapBytesPerIdleDevice)} B per idle device, {N(s.HeapBytesPerActiveGrain)} B per active grain"));
        }

        output.WriteLine(string.Create(s_invariant, $"client: {result.Client.CpuSeconds:F1} CPU-s, peak working set {result.Client.PeakWorkingSetBytes / 1048576.0:F0} MiB"));
        foreach (var warning in result.Warnings)
        {
            output.WriteLine("warning: " + warning);
        }

        foreach (var problem in result.Problems)
        {
            output.WriteLine("PROBLEM: " + problem);
        }

        output.WriteLine(result.ExitCode == 0 ? "result: OK" : $"result: FAILED (exit code {result.ExitCode})");
    }

    private static string N(double? value) => value?.ToString("N0", s_invariant) ?? "-";

    private static string Mib(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("F1", s_invariant) + " MiB" : "-";

    /// <summary>Per-operation rate over the last refresh interval.</summary>
    public sealed class RateTracker
    {
        private readonly Dictionary<Operation, long> _previous = [];
        private long _at = Stopwatch.GetTimestamp();

        public double Rate(OperationStats stats) =>
            (stats.Ok - _previous.GetValueOrDefault(stats.Operation)) / Math.Max(Stopwatch.GetElapsedTime(_at).TotalSeconds, 0.001);

        public void Advance(IReadOnlyList<OperationStats> stats)
        {
            foreach (var s in stats)
            {
                _previous[s.Operation] = s.Ok;
            }

            _at = Stopwatch.GetTimestamp();
        }
    }
}
