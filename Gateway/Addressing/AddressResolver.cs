namespace VirtualIoT.Gateway.Addressing;

/// <summary>
/// Turns a <see cref="ParsedAddress"/> into the grain to call. A resource ID names its grain directly
/// (<see cref="ResourceIds"/>); a structured address is looked up in the <see cref="AddressCache"/> and, on a miss,
/// resolved by asking each resource on the way for its child (<see cref="IResourceGrain.ResolveChild"/>), starting
/// from the longest cached prefix. On the hot path (cached address or resource ID) no grain is called.
/// </summary>
public sealed class AddressResolver
{
    private const string Latest = "la";
    private const string Oldest = "ol";
    private const string FanOutPoint = "fopt";

    private readonly IGrainFactory _grains;
    private readonly CseIdentity _cse;
    private readonly AddressCache _cache;

    // Grain references by resource ID. An ID always names the same grain, so these never go stale; building a
    // reference costs Orleans an interface-type lookup, which a fan-out to a thousand members would pay per member.
    private readonly AddressCache _byId;

    // Shards of the CSEBase's child name index (ICseBaseGrain.ChildIndexShards); 0 until first asked.
    private int _cseBaseShards;

    /// <summary>Creates a resolver.</summary>
    public AddressResolver(IGrainFactory grains, CseIdentity cse, AddressCache cache)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(cse);
        ArgumentNullException.ThrowIfNull(cache);
        _grains = grains;
        _cse = cse;
        _cache = cache;
        _byId = new AddressCache(cache.Capacity);
    }

    /// <summary>The CSEBase resource ID (<c>id-in</c>).</summary>
    public string CseBaseId => _cse.CseBaseId;

    /// <summary>This CSE's identifiers.</summary>
    public CseIdentity Cse => _cse;

    /// <summary>The sub-target of a polling channel's virtual <c>pcu</c> (pollingChannelURI).</summary>
    public const string PollingChannelUri = "pcu";

    /// <summary>The sub-target of a subscription's virtual <c>ntsr</c> (notificationTargetSelfReference, R4).</summary>
    public const string NotificationTargetSelfReference = "ntsr";

    /// <summary>True for the sub-target of a request to a group's virtual <c>fopt</c> (<c>fopt</c> or <c>fopt/…</c>).</summary>
    public static bool IsFanOut(string? subTarget) => subTarget is not null && IsFanOutPath(subTarget);

    /// <summary>
    /// Resolves an address. With <paramref name="useCache"/> false every name is resolved afresh (and the cache
    /// refreshed): the retry after a cached address turned out stale.
    /// </summary>
    public ValueTask<ParseResult<ResolvedTarget>> ResolveAsync(ParsedAddress address, bool useCache = true)
    {
        if (address.IsUnstructured)
        {
            return new(ResolveId(address.BaseId));
        }

        var relative = address.RelativePath.Span;
        if (relative is Latest or Oldest && ResourceIds.Classify(address.BaseId, _cse.CseBaseId) is { } baseType
            && ResourceTypeRegistry.Find(baseType)?.HasLatestAndOldest == true)
        {
            // Hybrid <container ri>/la: the ID already names the container's grain.
            var grain = GrainById(address.BaseId)!;
            return new(new ResolvedTarget(grain, address.BaseId, relative is Latest ? Latest : Oldest, FromCache: false));
        }

        if (ResourceIds.Classify(address.BaseId, _cse.CseBaseId) is { } leafType && VirtualLeaf(leafType, relative) is { } leaf)
        {
            // Hybrid <pollingChannel ri>/pcu, <subscription ri>/ntsr: the ID already names the grain.
            return new(new ResolvedTarget(GrainById(address.BaseId)!, address.BaseId, leaf, FromCache: false));
        }

        if (IsFanOutPath(relative) && ResourceIds.Classify(address.BaseId, _cse.CseBaseId) is { } fanOutType
            && ResourceTypeRegistry.Find(fanOutType)?.HasFanOutPoint == true)
        {
            // Hybrid <group ri>/fopt[/…]: the ID already names the group's grain.
            var grain = GrainById(address.BaseId)!;
            return new(new ResolvedTarget(grain, address.BaseId, relative.ToString(), FromCache: false));
        }

        if (useCache && _cache.TryGet(address.CseRelative.Span, out var entry))
        {
            return new(new ResolvedTarget(entry.Grain, entry.ResourceId, entry.SubTarget, FromCache: true, entry.Name));
        }

        return WalkAsync(address, useCache);
    }

    /// <summary>Drops a cached address (its resource was deleted).</summary>
    public void Forget(ParsedAddress address)
    {
        if (!address.IsUnstructured)
        {
            _cache.Remove(address.CseRelative.Span);
        }
    }

    /// <summary>The virtual child a resource of <paramref name="type"/> has under <paramref name="name"/> (<c>pcu</c>, <c>ntsr</c>), or null.</summary>
    private static string? VirtualLeaf(ResourceType type, ReadOnlySpan<char> name) =>
        name is PollingChannelUri && ResourceTypeRegistry.Find(type)?.HasPollingChannelUri == true ? PollingChannelUri
        : name is NotificationTargetSelfReference && ResourceTypeRegistry.Find(type)?.HasNotificationTargetSelfReference == true ? NotificationTargetSelfReference
        : null;

    private static bool IsFanOutPath(ReadOnlySpan<char> relative) =>
        relative.StartsWith(FanOutPoint) && (relative.Length == FanOutPoint.Length || relative[FanOutPoint.Length] == '/');

    private ParseResult<ResolvedTarget> ResolveId(string ri)
    {
        var grain = GrainById(ri);
        if (grain is null)
        {
            return OneM2MError.NotFound($"no resource with ID '{ri}'");
        }

        // A content instance lives in its container's grain, which finds it by its ID.
        var subTarget = ResourceTypeRegistry.IsHeld(ResourceIds.Classify(ri, _cse.CseBaseId)) ? ri : null;
        return new ResolvedTarget(grain, ri, subTarget, FromCache: false);
    }

    private async ValueTask<ParseResult<ResolvedTarget>> WalkAsync(ParsedAddress address, bool useCache)
    {
        var cseRelative = address.CseRelative;
        var relative = address.RelativePath;

        // relative is a suffix of cseRelative: "cse-in/app/temp" = "cse-in" + "/" + "app/temp".
        var relativeStart = cseRelative.Length - relative.Length;

        IResourceGrain? grain = null;
        string ri = address.BaseId;
        var type = ResourceType.CSEBase;
        var position = 0; // characters of relative already resolved
        var fromCache = false;
        string? resolvedName = null;

        if (useCache)
        {
            var end = relative.Length;
            while ((end = relative.Span[..end].LastIndexOf('/')) > 0)
            {
                if (_cache.TryGet(cseRelative.Span[..(relativeStart + end)], out var prefix) && prefix.SubTarget is null)
                {
                    (grain, ri, type, position, fromCache, resolvedName) = (prefix.Grain, prefix.ResourceId, prefix.Type, end + 1, true, prefix.Name);
                    break;
                }
            }
        }

        if (grain is null)
        {
            var baseType = ResourceIds.Classify(address.BaseId, _cse.CseBaseId);
            grain = GrainById(address.BaseId);
            if (grain is null || ResourceTypeRegistry.IsHeld(baseType))
            {
                return OneM2MError.NotFound($"no resource with ID '{address.BaseId}'");
            }

            type = baseType!.Value;
        }

        while (position < relative.Length)
        {
            var slash = relative.Span[position..].IndexOf('/');
            var segmentEnd = slash < 0 ? relative.Length : position + slash;
            var segment = relative[position..segmentEnd];
            var isLast = segmentEnd == relative.Length;
            var key = cseRelative[..(relativeStart + segmentEnd)];
            position = segmentEnd + 1;

            if (isLast && segment.Span is Latest or Oldest && ResourceTypeRegistry.Find(type)?.HasLatestAndOldest == true)
            {
                var subTarget = segment.Span is Latest ? Latest : Oldest;
                _cache.Set(key.ToString(), new CachedAddress(grain, ri, type, subTarget, resolvedName));
                return new ResolvedTarget(grain, ri, subTarget, fromCache, resolvedName);
            }

            if (isLast && VirtualLeaf(type, segment.Span) is { } leaf)
            {
                _cache.Set(key.ToString(), new CachedAddress(grain, ri, type, leaf, resolvedName));
                return new ResolvedTarget(grain, ri, leaf, fromCache, resolvedName);
            }

            if (segment.Span is FanOutPoint && ResourceTypeRegistry.Find(type)?.HasFanOutPoint == true)
            {
                // The group's fanOutPoint and whatever follows it, for each member (TS-0001 10.2.7.6); not cached.
                return new ResolvedTarget(grain, ri, relative[(position - segment.Length - 1)..].ToString(), fromCache, resolvedName);
            }

            var name = segment.ToString();
            var child = type == ResourceType.CSEBase ? await ResolveCseBaseChild(grain, ri, name) : await grain.ResolveChild(name);
            if (child is null)
            {
                if (fromCache)
                {
                    // The cached start may be a deleted resource: try once more from the top.
                    return await WalkAsync(address, useCache: false);
                }

                return OneM2MError.NotFound($"no resource named '{name}' in '{cseRelative[..(relativeStart + segmentEnd)]}'");
            }

            if (ResourceTypeRegistry.IsHeld(child.Type))
            {
                if (!isLast)
                {
                    return OneM2MError.NotFound($"a {ResourceTypeRegistry.ShortName(child.Type)} has no child resources ('{cseRelative}')");
                }

                // Sent by name, not ID, and not cached: instances come and go (mni eviction), and a name may be
                // reused by a later instance; the container resolves the name when the request arrives.
                return new ResolvedTarget(grain, child.ResourceId, name, fromCache, resolvedName);
            }

            var childGrain = GrainById(child.ResourceId);
            if (childGrain is null)
            {
                return new OneM2MError(ResponseStatusCode.NotImplemented,
                    $"resources of type {(int)child.Type} cannot be addressed yet ('{child.ResourceId}')");
            }

            (grain, ri, type, resolvedName) = (childGrain, child.ResourceId, child.Type, name);
            _cache.Set(key.ToString(), new CachedAddress(grain, ri, type, null, name));
        }

        return new ResolvedTarget(grain, ri, null, fromCache, resolvedName);
    }

    /// <summary>
    /// A child of the CSEBase by name, from the index shard that holds the name (as the CSEBase itself finds it): one
    /// grain call rather than two. The number of shards is the CSEBase's own, asked once.
    /// </summary>
    private async ValueTask<ChildReference?> ResolveCseBaseChild(IResourceGrain cseBase, string cseBaseId, string name)
    {
        var shards = Volatile.Read(ref _cseBaseShards);
        if (shards == 0)
        {
            shards = await cseBase.AsReference<ICseBaseGrain>().ChildIndexShards();
            Volatile.Write(ref _cseBaseShards, shards);
        }

        return await _grains.GetGrainByKey<IChildIndexGrain>(ChildIndexShards.KeyOf(cseBaseId, name, shards)).Lookup(name);
    }

    /// <summary>The grain that answers for resource ID <paramref name="ri"/> (null when this CSE assigns no such ID), built once per ID.</summary>
    private IResourceGrain? GrainById(string ri)
    {
        if (_byId.TryGet(ri, out var known))
        {
            return known.Grain;
        }

        var grain = _grains.GetResourceGrain(ri, _cse.CseBaseId);
        if (grain is not null && ResourceIds.Classify(ri, _cse.CseBaseId) is { } type && !ResourceTypeRegistry.IsHeld(type))
        {
            // A held resource's ID (a content instance) names its holder's grain: not kept, instances come and go.
            _byId.Set(ri, new CachedAddress(grain, ri, type, null, null));
        }

        return grain;
    }
}
