using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Index;

namespace VirtualIoT.Grains.Discovery;

/// <summary>
/// Discovery (<c>fu=1</c>, TS-0004 7.3.3.17): a depth-first walk below the target, one <see cref="IClusterResourceGrain.Describe"/>
/// call per resource grain (content instances are filtered by their container), stopping as soon as
/// <c>ofst</c> + <c>lim</c> results are found. Results are CSE-relative structured addresses, or resource IDs for
/// <c>drt=2</c>. Resources the originator may not discover are left out, with their subtrees.
/// </summary>
[StatelessWorker]
internal sealed class DiscoveryGrain(IOptions<CseOptions> options) : Grain, IDiscoveryGrain
{
    /// <summary>Geo-query candidates asked at once: enough to hide the calls' latency, few enough to stop soon after the limit.</summary>
    private const int ConfirmBatch = 64;

    private readonly CseOptions _options = options.Value;

    public async ValueTask<ResourceResponse> Discover(string targetId, ResourceRequest request, CancellationToken cancellationToken = default)
    {
        var filter = request.Filter ?? new FilterCriteria { Usage = FilterUsage.Discovery };
        if (request.ResultContent is not (null or ResultContent.DiscoveryResultReferences or ResultContent.ChildResourceReferences))
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, "result content not valid for discovery");
        }

        var target = GrainFactory.GetClusterResource(targetId, _options.CseBaseId);
        if (target is null)
        {
            return ResourceResponse.Missing();
        }

        var walk = new Walk(filter, request.Originator, request.IdentifierForm == IdentifierForm.Unstructured,
            Math.Max(0, (filter.Offset ?? 1) - 1), Math.Min(filter.Limit ?? _options.MaxDiscoveryResults, _options.MaxDiscoveryResults));
        var found = filter is { GeometryType: { } gmty, Geometry: { } geom, GeoSpatialFunction: { } gsf }
            ? await VisitLocated(target, targetId, new GeoQuery(gmty, geom, gsf), walk, cancellationToken)
            : await Visit(target, targetId, ResourceType.CSEBase, 0, walk, cancellationToken);
        if (!found)
        {
            return ResourceResponse.Missing();
        }

        if (request.ResultContent == ResultContent.ChildResourceReferences)
        {
            return new ResourceResponse(ResponseStatusCode.Ok, Representation.ReferenceList(walk.References));
        }

        return new ResourceResponse(ResponseStatusCode.Ok, Representation.UriList(walk.Results));
    }

    /// <summary>Visits one resource grain and its subtree; false when the grain holds no resource.</summary>
    private async Task<bool> Visit(IClusterResourceGrain grain, string resourceId, ResourceType type, int depth, Walk walk,
        CancellationToken cancellationToken)
    {
        string? continuation = null;
        var first = true;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            var view = await grain.Describe(walk.Filter, walk.Originator, continuation);
            if (!view.Exists)
            {
                return false;
            }

            if (first && depth > 0 && view.Matches)
            {
                walk.Add(resourceId, view.Path, type);
            }

            first = false;
            var childDepth = depth + 1;
            if (walk.Filter.Level is { } level && childDepth > level)
            {
                return true;
            }

            foreach (var instance in view.MatchingInstances)
            {
                if (walk.Full)
                {
                    return true;
                }

                // A held instance's ID names its type (cin…, fci…).
                walk.Add(instance.Key, instance.Value, ResourceIds.Classify(instance.Key, _options.CseBaseId) ?? ResourceType.ContentInstance);
            }

            foreach (var child in view.Children)
            {
                if (walk.Full)
                {
                    return true;
                }

                if (GrainFactory.GetClusterResource(child.ResourceId, _options.CseBaseId) is { } childGrain)
                {
                    await Visit(childGrain, child.ResourceId, child.Type, childDepth, walk, cancellationToken);
                }
            }

            continuation = view.Continuation;
        }
        while (continuation is not null && !walk.Full);

        return true;
    }

    /// <summary>
    /// A geo-query: the spatial index's shards name the located resources below the target whose location relates
    /// to the query's geometry, rather than a walk of every resource; each candidate (in address order, within
    /// <c>lvl</c>) is then asked itself, as the walk asks every resource, whether it still exists, matches the whole
    /// filter and may be discovered by the originator. False when the target holds no resource.
    /// </summary>
    private async Task<bool> VisitLocated(IClusterResourceGrain target, string targetId, GeoQuery query, Walk walk, CancellationToken cancellationToken)
    {
        var targetPath = _options.CseBaseName;
        if (targetId != _options.CseBaseId)
        {
            var view = await target.Describe(walk.Filter, walk.Originator, null);
            if (!view.Exists)
            {
                return false;
            }

            targetPath = view.Path;
        }

        var prefix = targetPath + "/";
        var shards = new Task<List<GeoMatch>>[GeoIndex.Shards];
        for (var shard = 0; shard < shards.Length; shard++)
        {
            shards[shard] = GrainFactory.GetGrain<IGeoIndexGrain>(shard).Query(query.Type, query.Geometry, query.Function, prefix).AsTask();
        }

        var candidates = new List<GeoMatch>();
        foreach (var matches in await Task.WhenAll(shards))
        {
            foreach (var match in matches)
            {
                if ((walk.Filter.Level is not { } level || 1 + match.Path.AsSpan(prefix.Length).Count('/') <= level)
                    && (walk.Filter.ResourceTypes is not { Count: > 0 } types || types.Contains((int)match.Type)))
                {
                    candidates.Add(match);
                }
            }
        }

        candidates.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        for (var start = 0; start < candidates.Count && !walk.Full; start += ConfirmBatch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = candidates.GetRange(start, Math.Min(ConfirmBatch, candidates.Count - start));
            var views = await Task.WhenAll(batch.Select(c =>
                GrainFactory.GetClusterResource(c.ResourceId, _options.CseBaseId)?.Describe(walk.Filter, walk.Originator, null).AsTask()
                ?? Task.FromResult(new DiscoveryView(false, "", false, [], [], null))));
            for (var i = 0; i < batch.Count && !walk.Full; i++)
            {
                if (views[i] is { Exists: true, Matches: true } view)
                {
                    walk.Add(batch[i].ResourceId, view.Path, batch[i].Type);
                }
            }
        }

        return true;
    }

    private sealed record GeoQuery(GeometryType Type, string Geometry, GeoSpatialFunction Function);

    /// <summary>State of one discovery walk.</summary>
    private sealed class Walk(FilterCriteria filter, string originator, bool unstructured, int skip, int limit)
    {
        private int _skip = skip;

        public FilterCriteria Filter { get; } = filter;

        public string Originator { get; } = originator;

        public List<object?> Results { get; } = [];

        public List<object?> References { get; } = [];

        public bool Full => Results.Count >= limit;

        public void Add(string resourceId, string path, ResourceType type)
        {
            if (_skip > 0)
            {
                _skip--;
                return;
            }

            var address = unstructured ? resourceId : path;
            Results.Add(address);
            var name = path[(path.LastIndexOf('/') + 1)..];
            References.Add(Representation.ChildReference(name, type, address));
        }
    }
}
