using Microsoft.Extensions.DependencyInjection;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Quadtree;
using Orleans.Storage;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources;

namespace VirtualIoT.Grains.Index;

/// <summary>Stored state of one geo index shard: which of its pages exist (<see cref="GeoIndexPage"/>).</summary>
[GenerateSerializer, Alias("VirtualIoT.GeoIndexState")]
public sealed class GeoIndexState
{
    /// <summary>Bitmask of the pages that are stored.</summary>
    [Id(0)] public ulong Pages { get; set; }
}

/// <summary>One page of a geo index shard: the located resources that hash to it.</summary>
[GenerateSerializer, Alias("VirtualIoT.GeoIndexPage")]
public sealed class GeoIndexPage
{
    /// <summary>Entries by resource ID.</summary>
    [Id(0)] public Dictionary<string, GeoEntry> Entries { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>How located resources are spread over the index's shards and their pages.</summary>
internal static class GeoIndex
{
    /// <summary>
    /// Number of shards: fixed, since an entry's shard is a hash of its resource ID (another count would look in the
    /// wrong shards). 32 keeps 100,000 located resources at about 3,000 per shard (about 50 per stored page), each
    /// shard's query well under a millisecond, while a discovery's fan-out stays 32 calls.
    /// </summary>
    public const int Shards = 32;

    /// <summary>The shard holding <paramref name="resourceId"/>.</summary>
    public static int ShardOf(string resourceId) => (int)(Policies.Hash(resourceId) % Shards);

    /// <summary>The page of its shard holding <paramref name="resourceId"/> (other bits of the hash than the shard's).</summary>
    public static int PageOf(string resourceId) => (int)(Policies.Hash(resourceId) / Shards % StoredPages<GeoIndexPage>.PageCount);

    /// <summary>The index shard to tell of <paramref name="resourceId"/>.</summary>
    public static IGeoIndexGrain For(IGrainFactory grains, string resourceId) => grains.GetGrain<IGeoIndexGrain>(ShardOf(resourceId));
}

/// <summary>
/// One shard of the spatial index (<see cref="IGeoIndexGrain"/>): its entries are stored in pages by hash of the
/// resource ID, so that a change rewrites one page, and held in memory in a NetTopologySuite quadtree (which, unlike
/// an STR-tree, takes inserts and removals after queries) keyed by each location's envelope. A query takes the
/// candidates whose envelope meets the query's, then keeps those the exact predicate holds for.
/// </summary>
internal sealed class GeoIndexGrain(
    [PersistentState("geo-index", GrainStorageNames.Resources)] IPersistentState<GeoIndexState> store) : Grain, IGeoIndexGrain
{
    private readonly GeoIndexPage?[] _content = new GeoIndexPage?[StoredPages<GeoIndexPage>.PageCount];
    private readonly Dictionary<string, Geometry> _geometries = new(StringComparer.Ordinal);
    private readonly Quadtree<string> _tree = new();
    private StoredPages<GeoIndexPage>? _pages;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _pages = new StoredPages<GeoIndexPage>(ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources),
            "geo-page", "vi-geo", this.GetPrimaryKeyLong().ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (page, content) in await _pages.LoadAsync(store.State.Pages))
        {
            _content[page] = content;
            foreach (var (resourceId, entry) in content.Entries)
            {
                Add(resourceId, entry);
            }
        }
    }

    public async ValueTask Locate(string resourceId, GeoEntry? entry)
    {
        var page = GeoIndex.PageOf(resourceId);
        var entries = (_content[page] ??= new GeoIndexPage()).Entries;
        var known = entries.GetValueOrDefault(resourceId);
        if (known == entry)
        {
            return;
        }

        Remove(resourceId);
        if (entry is null)
        {
            entries.Remove(resourceId);
        }
        else
        {
            entries[resourceId] = entry;
            Add(resourceId, entry);
        }

        var pages = await _pages!.WriteAsync(page, entries.Count == 0 ? null : _content[page], store.State.Pages);
        if (pages != store.State.Pages)
        {
            store.State.Pages = pages;
            await store.WriteStateAsync();
        }
    }

    public ValueTask<List<GeoMatch>> Query(GeometryType geometryType, string geometry, GeoSpatialFunction function, string pathPrefix)
    {
        var matches = new List<GeoMatch>();
        if (GeoLocation.Parse((long)geometryType, geometry, out _) is not { } query)
        {
            return ValueTask.FromResult(matches);
        }

        foreach (var resourceId in _tree.Query(query.EnvelopeInternal))
        {
            var entry = _content[GeoIndex.PageOf(resourceId)]?.Entries.GetValueOrDefault(resourceId);
            if (entry is not null && entry.Path.StartsWith(pathPrefix, StringComparison.Ordinal)
                && _geometries.TryGetValue(resourceId, out var location) && GeoLocation.Relates(query, function, location))
            {
                matches.Add(new GeoMatch(resourceId, entry.Path, entry.Type));
            }
        }

        return ValueTask.FromResult(matches);
    }

    private void Add(string resourceId, GeoEntry entry)
    {
        if (GeoLocation.Parse(entry.GeometryType, entry.Coordinates, out _) is { } location)
        {
            _geometries[resourceId] = location;
            _tree.Insert(location.EnvelopeInternal, resourceId);
        }
    }

    private void Remove(string resourceId)
    {
        if (_geometries.Remove(resourceId, out var location))
        {
            _tree.Remove(location.EnvelopeInternal, resourceId);
        }
    }
}
