using System.ComponentModel.DataAnnotations;

namespace VirtualIoT.Silo.Storage;

/// <summary>
/// How grain state is written to PostgreSQL (<c>Storage:Provider=postgres</c>). Section <c>Storage:Postgres</c> of
/// configuration.
/// </summary>
public sealed class PostgresStorageOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Storage:Postgres";

    /// <summary>
    /// <c>true</c> (default): VirtualIoT's own storage, where writes from many grains share one transaction (group
    /// commit), so throughput is not bounded by PostgreSQL's single-row commit rate; each write is still committed
    /// before its <c>WriteStateAsync</c> returns. <c>false</c>: Orleans' stock ADO.NET persistence (one commit per
    /// write, table <c>OrleansStorage</c>), kept to measure the baseline. The two keep their rows in different
    /// tables: switching does not carry state over.
    /// </summary>
    public bool GroupCommit { get; set; } = true;

    /// <summary>
    /// Most writes one transaction takes (default 256). A writer takes whatever is queued, up to this many, as soon
    /// as its previous transaction has committed: under light load a batch holds one write and adds no delay;
    /// under heavy load batches grow until commits keep up. Larger batches hold row locks longer.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// Transactions in flight at once, each on its own connection (default 2): while one waits for its commit to
    /// reach disk, the next batch is already being sent.
    /// </summary>
    [Range(1, 32)]
    public int Writers { get; set; } = 2;
}
