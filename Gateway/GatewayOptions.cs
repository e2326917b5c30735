using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway;

/// <summary>Limits of the protocol bindings. Section <c>Gateway</c> of configuration.</summary>
public sealed class GatewayOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Gateway";

    /// <summary>
    /// Largest request body accepted, in bytes; a larger one is answered 4000. Default 1 MiB: a oneM2M
    /// representation is a few hundred bytes and content instances carry sensor readings, so 1 MiB leaves room for
    /// generous payloads while bounding what one request can make the gateway buffer (Kestrel's own limit is 30 MB).
    /// </summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Most structured addresses (<c>cse-in/app/temp</c>) remembered per process with the grain they resolve to;
    /// 0 disables the cache. Default 100,000: at a few hundred bytes per entry that is tens of megabytes, and it
    /// holds the paths of 100,000 devices' containers, so their requests cost one grain call, not one per segment.
    /// </summary>
    [Range(0, 10_000_000)]
    public int AddressCacheSize { get; set; } = 100_000;

    /// <summary>
    /// How long the gateway keeps retrying a retrieve, discovery, update or delete whose grain the cluster cannot
    /// reach (a silo died and its resources are moving to the others; <see cref="Pipeline.ClusterFailurePolicy"/>):
    /// no new attempt starts later than this after the first. Zero disables the retries. Default 15 s: the
    /// platform's failure detection hands a dead silo's resources over in about 3 s (BENCHMARKS.md, "Failover"),
    /// Orleans' own defaults in about 11 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Pause after the first failed attempt, doubled after each further one. Default 50 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Longest pause between two attempts. Default 0.25 s: an attempt that meets a dead silo fails at once, and the
    /// pause is what a request waits after the survivors have taken the silo's grains over.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The HTTP <c>Retry-After</c> (seconds) sent with the 5000 answer to a request the cluster could not carry out
    /// (a create, or retries out of budget). Default 3: about the time failure detection needs.
    /// </summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 3;

    /// <summary>
    /// Most member requests one request to a group's <c>fopt</c> has in flight at once. Default 64: enough to keep
    /// both cores of a small silo busy with a 1,000-member group, while one fan-out cannot flood the cluster with
    /// thousands of simultaneous grain calls.
    /// </summary>
    [Range(1, 4096)]
    public int GroupFanOutParallelism { get; set; } = 64;

    /// <summary>
    /// Longest a request may ask to be held before it runs (<c>oet</c>, operation execution time); a later
    /// <c>oet</c> is answered 4000. The waiting request holds no thread and no grain, only its connection (HTTP)
    /// or a little memory (MQTT). Default 10 minutes: long enough for scheduled actuation a few minutes ahead,
    /// short enough that clients and proxies still hold the HTTP connection.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxExecutionDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a retrieve of a polling channel's <c>pcu</c> without <c>rqet</c> (<c>X-M2M-RET</c>) waits for a
    /// request to be queued before it answers 4008; with <c>rqet</c>, it waits until then. The wait holds no thread
    /// and no grain turn. Default 10 s, ACME's request expiration delta.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan PollWait { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Source-generated DataAnnotations validation of <see cref="GatewayOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
}
