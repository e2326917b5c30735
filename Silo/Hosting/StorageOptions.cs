using System.ComponentModel.DataAnnotations;
using VirtualIoT.Gateway.Hosting;

namespace VirtualIoT.Silo.Hosting;

/// <summary>Where grain state lives. Section <c>Storage</c> of configuration.</summary>
public sealed class StorageOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Storage";

    /// <summary>
    /// <c>memory</c> (default: nothing to install, state is lost when the silo stops), <c>postgres</c> (VirtualIoT's
    /// group-commit storage, or Orleans' ADO.NET persistence with <c>Storage:Postgres:GroupCommit=false</c>; see
    /// <see cref="Storage.PostgresStorageOptions"/>; the schema is applied at start) or <c>azuretable</c> (Orleans
    /// Azure Table storage, Azurite locally).
    /// </summary>
    [Required]
    public string Provider { get; set; } = BackendNames.Memory;

    /// <summary>
    /// Npgsql connection string for <c>postgres</c>, Azure Storage connection string for <c>azuretable</c>; unused
    /// for <c>memory</c>. No default: a database is never guessed.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Azure table holding the grain state (<c>azuretable</c> only). Default <c>VirtualIoTResources</c>. Table
    /// names are 3 to 63 letters or digits, starting with a letter.
    /// </summary>
    public string TableName { get; set; } = "VirtualIoTResources";

    /// <summary>
    /// <c>memory</c> only: keep the state in Orleans' storage grains, where every silo of a cluster finds it, instead
    /// of in the silo's own process. Default false, and ignored with <c>postgres</c> clustering (always shared there).
    /// Set it to true on every silo of a <c>localhost</c> cluster of several silos (the primary included); a silo
    /// joining a primary (<c>Orleans:PrimarySiloPort</c>) refuses to start without it.
    /// </summary>
    public bool SharedMemory { get; set; }
}
