using System.ComponentModel.DataAnnotations;

namespace VirtualIoT.Silo;

/// <summary>Where this silo listens and when it lets idle grains go. Section <c>Orleans</c> of configuration.</summary>
public sealed class SiloHostOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Orleans";

    /// <summary>Silo-to-silo port. Default 11111 (Orleans' own default).</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port for Orleans clients such as standalone gateways. Default 30000 (Orleans' own default).</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// With <c>localhost</c> clustering, the silo port of the primary silo that holds the development membership
    /// table; unset for the primary itself (the default). Unused with <c>postgres</c> clustering.
    /// </summary>
    [Range(1, 65535)]
    public int? PrimarySiloPort { get; set; }

    /// <summary>
    /// The IP address this silo binds and advertises to the cluster with <c>postgres</c> clustering. Default
    /// <c>127.0.0.1</c>: a cluster on one machine; set the host's address to span machines.
    /// </summary>
    [Required, RegularExpression(@"^[0-9A-Fa-f:.]+$")]
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// How long a grain (an AE, a container, …) stays in memory after its last call before Orleans deactivates it
    /// (<c>GrainCollectionOptions.CollectionAge</c>). An idle device then costs only its stored state: nothing in
    /// the silo with PostgreSQL or Azure Table storage, its state record with memory storage. Default 15 min
    /// (Orleans' own default); lower it where many devices talk rarely, at the price of an activation (one storage
    /// read) on their next request.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "365.00:00:00")]
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How often the silo looks for grains idle longer than <see cref="CollectionAge"/>
    /// (<c>GrainCollectionOptions.CollectionQuantum</c>); must be shorter than it. Default 1 min (Orleans' own default).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Most grain addresses the silo caches from the grain directory (<c>GrainDirectoryOptions.CacheSize</c>).
    /// Default 100,000; Orleans' own default, 1,000,000, reserves about 17 MB of managed heap at start whatever the
    /// number of grains. A call to a grain whose address is not cached costs a directory lookup, which for a grain on
    /// another silo may be a remote call; raise it for clusters of several silos with more active grains than this.
    /// </summary>
    [Range(1_000, 10_000_000)]
    public int DirectoryCacheSize { get; set; } = 100_000;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CollectionAge <= CollectionQuantum)
        {
            yield return new ValidationResult(
                $"CollectionAge ({CollectionAge}) must be longer than CollectionQuantum ({CollectionQuantum})",
                [nameof(CollectionAge), nameof(CollectionQuantum)]);
        }
    }
}
