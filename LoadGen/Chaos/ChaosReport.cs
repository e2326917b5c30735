using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace VirtualIoT.LoadGen.Chaos;

/// <summary>Everything a chaos run found, as printed and as written to <c>--results</c>.</summary>
public sealed record ChaosResult
{
    public string Tool { get; init; } = "VirtualIoT.LoadGen chaos";

    public required IReadOnlyList<string> Arguments { get; init; }

    public required ChaosSettings Settings { get; init; }

    public required DateTimeOffset Started { get; init; }

    public required DateTimeOffset Finished { get; init; }

    public required string? LoadAverageBefore { get; init; }

    public required string? LoadAverageAfter { get; init; }

    public required WriteSummary Writes { get; init; }

    /// <summary>Every fault injected, in order, with how long the cluster took to serve every device again.</summary>
    public required IReadOnlyList<FaultRecord> Faults { get; init; }

    /// <summary>Over the silo kills: time until every device had a write acknowledged again (median and max, seconds).</summary>
    public required double? FailoverMedianSeconds { get; init; }

    public required double? FailoverMaxSeconds { get; init; }

    /// <summary>
    /// Over the silo kills: the longest time a write waited after the kill for its acknowledgement (median and max,
    /// seconds; <see cref="FaultRecord.LongestWaitSeconds"/>): the failover without the wait for the devices' next write.
    /// </summary>
    public double? LongestWaitMedianSeconds { get; init; }

    public double? LongestWaitMaxSeconds { get; init; }

    /// <summary>Failed attempts (retried or final) by kind: <c>5000</c>, <c>http 503</c>, <c>connection</c>, <c>timeout</c>.</summary>
    public required IReadOnlyDictionary<string, long> ErrorsByKind { get; init; }

    /// <summary>The same, only those inside a fault's window (from the fault until every device was served again).</summary>
    public required IReadOnlyDictionary<string, long> ErrorsDuringFailover { get; init; }

    public required NotificationCount Notifications { get; init; }

    /// <summary>AE registrations during the traffic (<c>--registrations</c>); null when none were asked for.</summary>
    public RegistrationSummary? Registrations { get; init; }

    /// <summary>Why the run failed (lost or duplicated writes, a read-back that could not finish), one line each.</summary>
    public required IReadOnlyList<string> Problems { get; init; }

    /// <summary>0 = nothing acknowledged lost, duplicated or left unnotified; 2 = something was; 1 = the run could not be carried out.</summary>
    public required int ExitCode { get; init; }
}

public sealed record ChaosSettings(int Silos, int Gateways, bool StartedCluster, int Devices, double IntervalSeconds, double DurationSeconds,
    double KillEverySeconds, double RestartAfterSeconds, double GatewayKillEverySeconds, double PauseEverySeconds, double PauseForSeconds,
    double RetryForSeconds);

/// <param name="Sent">Writes the devices started (each with its own request identifier, retried under it).</param>
/// <param name="Acknowledged">Writes answered 2001, perhaps after retries.</param>
/// <param name="ReadBack">Acknowledged writes found when the containers were read back.</param>
/// <param name="Lost">Acknowledged writes not found: must be 0.</param>
/// <param name="Duplicates">Extra copies of any write found (a write must be stored at most once): must be 0.</param>
/// <param name="GaveUp">Writes still failing retryably when the device stopped retrying (the device knows: not acknowledged).</param>
/// <param name="Rejected">Writes answered with a final error (4xxx).</param>
/// <param name="StoredUnacknowledged">Writes not acknowledged but found stored (their answer was lost and their retries ran out).</param>
/// <param name="AcknowledgedAfterRetry">Writes acknowledged only after at least one retry.</param>
/// <param name="Attempts">Requests sent for writes (first attempts and retries).</param>
/// <param name="FailedAttempts">Attempts that failed retryably.</param>
/// <param name="ErrorRate">FailedAttempts / Attempts.</param>
/// <param name="UnacknowledgedRate">(Sent − Acknowledged) / Sent: what devices saw fail for good.</param>
/// <param name="LatencyMs">Acknowledged writes, first send to acknowledgement (retries and gateway retries included): p50, p99, max.</param>
public sealed record WriteSummary(long Sent, long Acknowledged, long ReadBack, long Lost, long Duplicates, long GaveUp, long Rejected,
    long StoredUnacknowledged, long AcknowledgedAfterRetry, long Attempts, long FailedAttempts, double ErrorRate, double UnacknowledgedRate,
    WriteLatency LatencyMs);

/// <summary>Percentiles of the acknowledged writes' time from first send to acknowledgement, milliseconds.</summary>
public sealed record WriteLatency(double P50, double P99, double Max);

/// <param name="Kind">kill silo, kill gateway or pause silo.</param>
/// <param name="Process">silo0, gateway1 ...</param>
/// <param name="AtSeconds">Since the traffic started.</param>
/// <param name="RestartedAtSeconds">When it was started (or resumed) again; null when it was not.</param>
/// <param name="ReadyAfterSeconds">From the restart until the process answered HTTP again.</param>
/// <param name="ServedAgainAfterSeconds">From the fault (from the restart for a database or whole-cluster outage) until every device had a write sent after it acknowledged; null when some never did.</param>
/// <param name="LongestWaitSeconds">
/// The longest time a write in flight at the fault, or a device's first write sent after it, waited after the fault (or
/// after its own sending, if later) for its acknowledgement: how long the fault held requests up. Unlike
/// <paramref name="ServedAgainAfterSeconds"/> it does not count the time until a device sent its next write.
/// </param>
/// <param name="DevicesDelayed">Devices whose write waited at least 0.5 s (those whose grains the victim held).</param>
/// <param name="Errors">Failed attempts in the fault's window by kind.</param>
public sealed record FaultRecord(string Kind, string Process, double AtSeconds, double? RestartedAtSeconds, double? ReadyAfterSeconds,
    double? ServedAgainAfterSeconds, double? LongestWaitSeconds, int? DevicesDelayed, IReadOnlyDictionary<string, long> Errors);

/// <param name="SubscribedDevices">Devices whose container has a subscription.</param>
/// <param name="Expected">Acknowledged writes to those containers: each must be notified.</param>
/// <param name="Delivered">Of those, notified at least once.</param>
/// <param name="Missing">Expected − Delivered when the wait ended.</param>
/// <param name="Redelivered">Notifications of an instance already notified (at-least-once delivery).</param>
/// <param name="Refused">Notifications the receiver refused during its outage (<c>--subscriber-outage-at</c>); each must come again.</param>
public sealed record NotificationCount(int SubscribedDevices, long Expected, long Delivered, long Missing, long Redelivered, long Refused = 0);

/// <param name="Sent">AE registrations started during the traffic, each retried under its own request identifier.</param>
/// <param name="Acknowledged">Answered 2001, perhaps after retries.</param>
/// <param name="AcknowledgedAfterRetry">Acknowledged only after at least one retry.</param>
/// <param name="AlreadyRegistered">Answered 4117 or 4105: a retry whose first attempt had registered the AE was not recognised; must be 0.</param>
/// <param name="ReadBack">Acknowledged AEs retrieved afterwards.</param>
/// <param name="Lost">Acknowledged AEs not found: must be 0.</param>
public sealed record RegistrationSummary(long Sent, long Acknowledged, long AcknowledgedAfterRetry, long AlreadyRegistered, long ReadBack, long Lost);

/// <summary>Source-generated JSON for the report file.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ChaosResult))]
internal sealed partial class ChaosJsonContext : JsonSerializerContext
{
    public static string Serialize(ChaosResult result) => JsonSerializer.Serialize(result, Default.ChaosResult);
}

/// <summary>The console form of a <see cref="ChaosResult"/>.</summary>
internal static class ChaosSummary
{
    public static void Write(TextWriter output, ChaosResult result)
    {
        var c = CultureInfo.InvariantCulture;
        var w = result.Writes;
        var s = result.Settings;
        output.WriteLine();
        output.WriteLine(string.Create(c, $"chaos: {s.Silos} silos, {s.Gateways} gateways, {s.Devices} devices every {s.IntervalSeconds:0.###} s for {s.DurationSeconds:0} s; load average {result.LoadAverageBefore} -> {result.LoadAverageAfter}"));
        output.WriteLine(string.Create(c, $"writes: sent {w.Sent}, acknowledged {w.Acknowledged}, read back {w.ReadBack}, LOST {w.Lost}, DUPLICATES {w.Duplicates}"));
        output.WriteLine(string.Create(c, $"        gave up {w.GaveUp}, rejected {w.Rejected}, stored but unacknowledged {w.StoredUnacknowledged}, acknowledged after retry {w.AcknowledgedAfterRetry}"));
        output.WriteLine(string.Create(c, $"        attempts {w.Attempts}, failed attempts {w.FailedAttempts} (error rate {w.ErrorRate:P2}), unacknowledged {w.UnacknowledgedRate:P3}"));
        output.WriteLine(string.Create(c, $"        write latency (first send to acknowledgement) p50 {w.LatencyMs.P50:0.0} ms, p99 {w.LatencyMs.P99:0.0} ms, max {w.LatencyMs.Max:0.0} ms"));
        output.WriteLine(string.Create(c, $"errors by kind: {Join(result.ErrorsByKind)}; during failover windows: {Join(result.ErrorsDuringFailover)}"));
        foreach (var fault in result.Faults)
        {
            output.WriteLine(string.Create(c,
                $"  {fault.AtSeconds,7:0.0} s  {fault.Kind,-12} {fault.Process,-9} served again after {Seconds(fault.ServedAgainAfterSeconds)} (longest wait {Seconds(fault.LongestWaitSeconds)}, {fault.DevicesDelayed?.ToString(c) ?? "-"} devices delayed), restarted at {Seconds(fault.RestartedAtSeconds)} (ready +{Seconds(fault.ReadyAfterSeconds)}); errors {Join(fault.Errors)}"));
        }

        output.WriteLine(string.Create(c, $"failover (silo kills): median {Seconds(result.FailoverMedianSeconds)}, max {Seconds(result.FailoverMaxSeconds)}; longest wait past the kill: median {Seconds(result.LongestWaitMedianSeconds)}, max {Seconds(result.LongestWaitMaxSeconds)}"));
        var n = result.Notifications;
        output.WriteLine(string.Create(c, $"notifications: {n.SubscribedDevices} subscribed containers, expected {n.Expected}, delivered {n.Delivered}, MISSING {n.Missing}, redelivered {n.Redelivered}, refused during the receiver's outage {n.Refused}"));
        if (result.Registrations is { } r)
        {
            output.WriteLine(string.Create(c, $"registrations: sent {r.Sent}, acknowledged {r.Acknowledged} ({r.AcknowledgedAfterRetry} after retry), read back {r.ReadBack}, LOST {r.Lost}, already registered {r.AlreadyRegistered}"));
        }

        foreach (var problem in result.Problems)
        {
            output.WriteLine("PROBLEM: " + problem);
        }

        output.WriteLine(result.ExitCode == 0 ? "chaos: PASSED (nothing acknowledged lost, duplicated or left unnotified)" : $"chaos: FAILED (exit code {result.ExitCode})");
    }

    private static string Seconds(double? value) => value is { } v ? v.ToString("0.00 's'", CultureInfo.InvariantCulture) : "-";

    private static string Join(IReadOnlyDictionary<string, long> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}: {kv.Value}")));
}
