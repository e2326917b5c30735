using VirtualIoT.Gateway.Addressing;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// The binding-neutral half of every protocol binding: a parsed request primitive and its parsed target address go
/// in, the response primitive comes out. Resolves the address (<see cref="AddressResolver"/>), makes the one grain
/// call (discovery, retrieve or execute), retries once when a cached address named a deleted resource, and evicts
/// a deleted resource's address from the cache. HTTP and MQTT both end here, so a request is answered the same way
/// whichever binding carried it.
/// </summary>
public sealed class RequestDispatcher
{
    private readonly AddressResolver _resolver;
    private readonly IDiscoveryGrain _discovery;

    /// <summary>Creates the dispatcher.</summary>
    public RequestDispatcher(IGrainFactory grains, AddressResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(resolver);
        _resolver = resolver;

        // IDiscoveryGrain is a stateless worker: one reference serves every request.
        _discovery = grains.GetGrain<IDiscoveryGrain>(0);
    }

    /// <summary>True for a discovery request (<c>fu=1</c>).</summary>
    public static bool IsDiscovery(ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Filter?.Usage == FilterUsage.Discovery;
    }

    /// <summary>Answers <paramref name="request"/> addressed to <paramref name="address"/>.</summary>
    public ValueTask<ResourceResponse> DispatchAsync(ResourceRequest request, ParsedAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Operation == Operation.Notify)
        {
            // The CSE hosts no notifiable resource yet (no polling channels); ACME answers 4000 for this.
            return new(ResourceResponse.Error(ResponseStatusCode.BadRequest, "target is not notifiable"));
        }

        return ResolveAndCallAsync(request, address, IsDiscovery(request), cancellationToken);
    }

    private async ValueTask<ResourceResponse> ResolveAndCallAsync(ResourceRequest request, ParsedAddress address, bool discovery, CancellationToken cancellationToken)
    {
        var target = await _resolver.ResolveAsync(address);
        if (!target.IsSuccess)
        {
            return ResourceResponse.Error(target.Error);
        }

        var response = await CallAsync(request, target.Value, discovery, cancellationToken);
        if (response.TargetMissing && target.Value.FromCache)
        {
            // The cached address names a deleted resource; a resource of that name may exist again elsewhere.
            _resolver.Forget(address);
            target = await _resolver.ResolveAsync(address, useCache: false);
            if (!target.IsSuccess)
            {
                return ResourceResponse.Error(target.Error);
            }

            response = await CallAsync(request, target.Value, discovery, cancellationToken);
        }

        if (request.Operation == Operation.Delete && response.StatusCode == ResponseStatusCode.Deleted && target.Value.SubTarget is null)
        {
            _resolver.Forget(address);
        }

        return response;
    }

    private ValueTask<ResourceResponse> CallAsync(ResourceRequest request, ResolvedTarget target, bool discovery, CancellationToken cancellationToken)
    {
        if (target.SubTarget is not null || target.ExpectedName is not null)
        {
            request = request with { SubTarget = target.SubTarget, ExpectedName = target.ExpectedName };
        }

        if (discovery)
        {
            return _discovery.Discover(target.ResourceId, request, cancellationToken);
        }

        return request.Operation == Operation.Retrieve
            ? target.Grain.Retrieve(request, cancellationToken)
            : target.Grain.Execute(request, cancellationToken);
    }
}
