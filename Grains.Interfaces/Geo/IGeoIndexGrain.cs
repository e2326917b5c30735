using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Cluster-internal spatial index of located resources (R4 <c>loc</c>), so that a geo-query (<c>gmty</c>, <c>geom</c>,
/// <c>gsf</c>) finds its candidates without walking the resource tree. One of a fixed number of shards
/// (key = shard number, by hash of the resource ID); a discovery asks every shard. A resource tells its shard of its
/// <c>loc</c> after each change is stored and before it answers, so a geo-query right after finds it; discovery
/// confirms each candidate with the resource itself, so a stale entry (a call that failed) can hide a resource from
/// a geo-query until its next change or activation, but never show one that no longer matches.
/// </summary>
[Alias("VirtualIoT.IGeoIndexGrain")]
public interface IGeoIndexGrain : IGrainWithIntegerKey
{
    /// <summary>Records where <paramref name="resourceId"/> is (<paramref name="entry"/>), or forgets it (null).</summary>
    [Alias("Locate")]
    ValueTask Locate(string resourceId, GeoEntry? entry);

    /// <summary>
    /// The indexed resources whose structured path starts with <paramref name="pathPrefix"/> and whose location
    /// relates to the query's geometry as <paramref name="function"/> says (the query's geometry the subject).
    /// </summary>
    [Alias("Query"), ReadOnly]
    ValueTask<List<GeoMatch>> Query(GeometryType geometryType, string geometry, GeoSpatialFunction function, string pathPrefix);
}

/// <summary>A located resource as the index keeps it.</summary>
/// <param name="Path">Its CSE-relative structured address (<c>cse-in/ae/cnt</c>).</param>
/// <param name="Type">Its resource type.</param>
/// <param name="GeometryType"><c>loc/typ</c>.</param>
/// <param name="Coordinates"><c>loc/crd</c>: GeoJSON coordinates as text.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.GeoEntry")]
public sealed record GeoEntry(
    [property: Id(0)] string Path,
    [property: Id(1)] ResourceType Type,
    [property: Id(2)] long GeometryType,
    [property: Id(3)] string Coordinates);

/// <summary>A resource a geo-query found in the index.</summary>
/// <param name="ResourceId">Its resource ID.</param>
/// <param name="Path">Its structured address.</param>
/// <param name="Type">Its resource type.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.GeoMatch")]
public sealed record GeoMatch([property: Id(0)] string ResourceId, [property: Id(1)] string Path, [property: Id(2)] ResourceType Type);
