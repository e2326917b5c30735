using System.Text.Json;
using System.Text.Json.Serialization;
using HdrHistogram;

namespace VirtualIoT.LoadGen.Measurement;

/// <summary>Everything a run measured, with the exact options and arguments, as written to <c>--results</c>.</summary>
public sealed record LoadGenResult
{
    public string Tool { get; init; } = "VirtualIoT.LoadGen";

    public required IReadOnlyList<string> Arguments { get; init; }

    public required LoadGenOptions Options { get; init; }

    public required MachineInfo Machine { get; init; }

    public required DateTimeOffset Started { get; init; }

    public required DateTimeOffset Finished { get; init; }

    public required IReadOnlyList<PhaseResult> Phases { get; init; }

    public required IReadOnlyList<OperationResult> Operations { get; init; }

    public required DeviceSummary Devices { get; init; }

    public NotificationSummary? Notifications { get; init; }

    public VerificationSummary? Verification { get; init; }

    public required ServerSummary Server { get; init; }

    /// <summary>Client process CPU seconds and peak working set, to judge how much of the machine LoadGen took.</summary>
    public required ClientSummary Client { get; init; }

    /// <summary>Problems that make the run fail (loss, missing notifications, an unreachable CSE), one line each.</summary>
    public required IReadOnlyList<string> Problems { get; init; }

    /// <summary>What went wrong without failing the run: error answers, timeouts, dropped requests, phases that hit their bound.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>0 = clean, 1 = the run could not be carried out, 2 = loss or missing notifications found.</summary>
    public required int ExitCode { get; init; }
}

public sealed record MachineInfo(int ProcessorCount, string OperatingSystem, string Runtime, string? LoadAverageBefore, string? LoadAverageAfter);

/// <summary>One phase: how long it took and what it did.</summary>
/// <param name="Name">registration, steady, notifications, verify or teardown.</param>
/// <param name="Seconds">Wall-clock length of the phase.</param>
/// <param name="Work">Jobs carried out (a registration is one job of 2–4 requests).</param>
/// <param name="Planned">Jobs the phase had in its schedule or list.</param>
/// <param name="WorkPerSecond">Jobs per second over the phase.</param>
/// <param name="TimedOut">The phase hit its bound before its work was done.</param>
public sealed record PhaseResult(string Name, double Seconds, long Planned, long Work, double WorkPerSecond, bool TimedOut);

public sealed record LatencySummary(long Count, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public static LatencySummary Of(HistogramBase histogram)
    {
        var count = histogram.TotalCount;
        static double Ms(long microseconds) => Math.Round(microseconds / 1000.0, 3);
        return count == 0
            ? new LatencySummary(0, 0, 0, 0, 0, 0, 0)
            : new LatencySummary(count, Math.Round(histogram.GetMean() / 1000.0, 3), Ms(histogram.GetValueAtPercentile(50)),
                Ms(histogram.GetValueAtPercentile(90)), Ms(histogram.GetValueAtPercentile(99)), Ms(histogram.GetValueAtPercentile(99.9)),
                Ms(histogram.GetMaxValue()));
    }
}

/// <summary>One operation's figures; <c>Latency</c> from the intended send time, <c>Service</c> from the actual send.</summary>
public sealed record OperationResult(string Name, int ExpectedRsc, long Ok, long Errors, long Failed, long Timeouts, long Dropped,
    IReadOnlyDictionary<string, long> ByRsc, double OkPerSecond, LatencySummary Latency, LatencySummary Service, string? FirstProblem);

public sealed record DeviceSummary(int Requested, int Registered, int WithContainer, int Subscribed, long InstancesAcknowledged,
    long InstancesUnanswered, long SteadyScheduled, long SkippedUnregistered, long ReadsSkippedNoInstance, int MqttConnectedPeak, long Deleted,
    long MqttRedirects = 0);

public sealed record NotificationSummary(long Expected, long Received, long Missing, long Duplicates, long Verifications, long Unreadable,
    LatencySummary Latency);

public sealed record VerificationSummary(long DevicesChecked, long DevicesWrong, long Lost, long Extra, long WrongLatest, long Unreadable,
    IReadOnlyList<string> Examples);

/// <summary>Snapshots and the figures derived from them; null where a snapshot lacked the input.</summary>
/// <param name="Snapshots">Server figures at the start, after registration, at the end of the steady phase and after teardown.</param>
/// <param name="BytesPerRegisteredDevice">RSS growth over registration / devices registered (their grains still active).</param>
/// <param name="BytesPerActivation">RSS growth over registration / activation growth over registration.</param>
/// <param name="CpuMicrosecondsPerRequest">Silo CPU over the steady phase / requests completed in it.</param>
/// <param name="CpuMicrosecondsPerRegistrationRequest">Silo CPU over registration / its requests (AE, container, subscription).</param>
/// <param name="BytesPerIdleDevice">RSS at <c>idle</c> (grains deactivated, <c>--idle-wait</c>) minus RSS at <c>start</c>, per registered device.</param>
/// <param name="BytesPerActiveGrain">RSS at <c>registered</c> minus RSS at <c>idle</c>, per activation deactivated in between.</param>
/// <param name="HeapBytesPerIdleDevice">As <paramref name="BytesPerIdleDevice"/>, from the managed heap after the last GC.</param>
/// <param name="HeapBytesPerActiveGrain">As <paramref name="BytesPerActiveGrain"/>, from the managed heap after the last GC.</param>
public sealed record ServerSummary(IReadOnlyList<ServerSnapshot> Snapshots, double? BytesPerRegisteredDevice, double? BytesPerActivation,
    double? CpuMicrosecondsPerRequest, double? CpuMicrosecondsPerRegistrationRequest, double? BytesPerIdleDevice = null,
    double? BytesPerActiveGrain = null, double? HeapBytesPerIdleDevice = null, double? HeapBytesPerActiveGrain = null);

public sealed record ClientSummary(double CpuSeconds, long PeakWorkingSetBytes);

/// <summary>Source-generated JSON for the result file.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never, UseStringEnumConverter = true)]
[JsonSerializable(typeof(LoadGenResult))]
internal sealed partial class ResultJsonContext : JsonSerializerContext
{
    public static string Serialize(LoadGenResult result) => JsonSerializer.Serialize(result, Default.LoadGenResult);
}
