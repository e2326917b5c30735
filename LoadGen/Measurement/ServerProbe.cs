using System.Globalization;
using System.Text.Json;

namespace VirtualIoT.LoadGen.Measurement;

/// <summary>The server side at one moment: silo memory and CPU time (from /proc) and grain activations.</summary>
/// <param name="Label">When it was taken (<c>start</c>, <c>registered</c>, <c>steady-end</c>, …).</param>
/// <param name="At">UTC time of the snapshot.</param>
/// <param name="RssBytes">Sum of the silos' VmRSS; null without <c>--silo-pid</c> or when a process is gone.</param>
/// <param name="CpuSeconds">Sum of the silos' user + system CPU time.</param>
/// <param name="Activations">Grain activations in the cluster; null when neither source answered.</param>
/// <param name="AeActivations">Activations of the AE grain type, when the source tells types apart.</param>
/// <param name="ActivationSource">Where <paramref name="Activations"/> came from (<c>dashboard</c>, <c>metrics</c>).</param>
/// <param name="HeapBytes">
/// Managed heap after the last garbage collection (<c>dotnet_gc_last_collection_heap_size_bytes</c> on <c>/metrics</c>,
/// first base URL's silo only): live memory when <c>--silo-gc</c> just ran one; RSS also counts what the collector keeps.
/// </param>
public sealed record ServerSnapshot(string Label, DateTimeOffset At, long? RssBytes, double? CpuSeconds, long? Activations, long? AeActivations,
    string? ActivationSource, long? HeapBytes = null);

/// <summary>
/// Reads the silos' figures from the OS (<c>/proc/PID/status</c> VmRSS, <c>/proc/PID/stat</c> utime + stime) and
/// the activation count from the Orleans dashboard's counters (<c>{base}/dashboard/DashboardCounters</c>), else
/// from the Prometheus endpoint (<c>{base}/metrics</c>, <c>orleans_catalog_activations</c>). Everything optional:
/// another CSE has neither endpoint, and then the figures are null rather than a failed run.
/// </summary>
internal sealed class ServerProbe(LoadGenOptions options, HttpClient http)
{
    private static readonly double s_clockTicks = 100; // USER_HZ: 100 on every Linux LoadGen runs on.

    /// <summary>Silo processes that could not be asked for a collection (<see cref="LoadGenOptions.SiloGc"/>).</summary>
    public List<string> GcFailures { get; } = [];

    public async Task<ServerSnapshot> TakeAsync(string label, CancellationToken cancellationToken)
    {
        if (options.SiloGc && options.SiloPids.Count > 0)
        {
            GcFailures.AddRange(await SiloGc.CollectAsync(options.SiloPids, cancellationToken));
        }

        long? rss = null;
        double? cpu = null;
        if (options.SiloPids.Count > 0)
        {
            rss = 0;
            cpu = 0;
            foreach (var pid in options.SiloPids)
            {
                var (pidRss, pidCpu) = ReadProcess(pid);
                rss = pidRss is null ? null : rss + pidRss;
                cpu = pidCpu is null ? null : cpu + pidCpu;
            }
        }

        var (activations, ae, source) = await ReadActivationsAsync(cancellationToken);
        var root = options.BaseUrl.AbsoluteUri.TrimEnd('/');
        var (heap, _) = await FetchAsync($"{root}/metrics", text => (SumPrometheus(text, "dotnet_gc_last_collection_heap_size_bytes", null).Total, null), cancellationToken);
        return new ServerSnapshot(label, DateTimeOffset.UtcNow, rss, cpu, activations, ae, source, heap);
    }

    /// <summary>VmRSS in bytes and CPU seconds of process <paramref name="pid"/>; nulls when it cannot be read.</summary>
    internal static (long? Rss, double? Cpu) ReadProcess(int pid)
    {
        try
        {
            long? rss = null;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    rss = long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                    break;
                }
            }

            return (rss, ParseCpuSeconds(File.ReadAllText($"/proc/{pid}/stat")));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return (null, null);
        }
    }

    /// <summary>utime + stime (fields 14 and 15) of a /proc/PID/stat line, in seconds.</summary>
    internal static double ParseCpuSeconds(string stat)
    {
        // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / s_clockTicks;
    }

    /// <summary>Activations in the cluster (all, and of the AE type) and where they came from; nulls when nothing answers.</summary>
    public async Task<(long? Total, long? Ae, string? Source)> ReadActivationsAsync(CancellationToken cancellationToken)
    {
        var root = options.BaseUrl.AbsoluteUri.TrimEnd('/');
        var dashboard = await FetchAsync($"{root}/dashboard/DashboardCounters", ParseDashboardCounters, cancellationToken);
        if (dashboard.Total is not null)
        {
            return (dashboard.Total, dashboard.Ae, "dashboard");
        }

        var metrics = await FetchAsync($"{root}/metrics", ParsePrometheusActivations, cancellationToken);
        return metrics.Total is null ? (null, null, null) : (metrics.Total, metrics.Ae, "metrics");
    }

    /// <summary>GETs <paramref name="url"/> (5 s at most) and parses it; nulls when it does not answer 2xx or cannot be read.</summary>
    private async Task<(long? Total, long? Ae)> FetchAsync(string url, Func<string, (long? Total, long? Ae)> parse, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            using var response = await http.GetAsync(url, timeout.Token);
            return response.IsSuccessStatusCode ? parse(await response.Content.ReadAsStringAsync(timeout.Token)) : (null, null);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or JsonException)
        {
            // Another CSE, or the endpoint switched off: the figure stays null.
            return (null, null);
        }
    }

    /// <summary>
    /// Sum of <c>orleans_catalog_activations</c> samples, and of those with <c>grain_type="ae"</c>
    /// (Prometheus text format; a comment or other metric is skipped).
    /// </summary>
    internal static (long? Total, long? Ae) ParsePrometheusActivations(string text) =>
        SumPrometheus(text, "orleans_catalog_activations", "grain_type=\"ae\"");

    /// <summary>Sum of the samples of metric <paramref name="name"/>, and of those whose labels hold <paramref name="label"/>.</summary>
    private static (long? Total, long? Ae) SumPrometheus(string text, string name, string? label)
    {
        long? total = null;
        long? ae = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (!line.StartsWith(name, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[name.Length..];
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' '))
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            var valueText = line[(space + 1)..];
            var labelsEnd = line.LastIndexOf('}');
            if (labelsEnd > space)
            {
                continue;
            }

            // "name{labels} value" or "name{labels} value timestamp"
            var parts = line[(labelsEnd + 1)..].Trim().Split(' ');
            valueText = parts[0];
            if (!double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            total = (total ?? 0) + (long)value;
            if (label is not null && line.Contains(label, StringComparison.Ordinal))
            {
                ae = (ae ?? 0) + (long)value;
            }
        }

        return (total, ae);
    }

    /// <summary>
    /// Activations from the dashboard's counters: the <c>totalActivationCount</c> member, and the
    /// <c>activationCount</c> of <c>simpleGrainStats</c> entries whose grain type ends in <c>AeGrain</c>.
    /// </summary>
    internal static (long? Total, long? Ae) ParseDashboardCounters(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        long? total = null;
        long? ae = null;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("totalActivationCount", out var t) && t.TryGetInt64(out var totalValue))
        {
            total = totalValue;
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("simpleGrainStats", out var stats) && stats.ValueKind == JsonValueKind.Array)
        {
            long sum = 0;
            ae = 0; // Types with no activation are absent from the list.
            foreach (var entry in stats.EnumerateArray())
            {
                if (entry.TryGetProperty("activationCount", out var count) && count.TryGetInt64(out var n))
                {
                    sum += n;
                    if (entry.TryGetProperty("grainType", out var type) && type.GetString() is { } name
                        && name.EndsWith("AeGrain", StringComparison.Ordinal))
                    {
                        ae += n;
                    }
                }
            }

            total ??= sum;
        }

        return (total, ae);
    }
}
