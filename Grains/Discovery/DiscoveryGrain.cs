using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using VirtualIoT.Grains.Domain;

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
        var found = await Visit(target, targetId, ResourceType.CSEBase, 0, walk, cancellationToken);
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
