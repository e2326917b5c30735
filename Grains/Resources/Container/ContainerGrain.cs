using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Placement;
using VirtualIoT.Grains.Resources.ContentInstance;

namespace VirtualIoT.Grains.Resources.Container;

/// <summary>
/// A container (ty 3) together with all its content instances, <c>la</c> and <c>ol</c> (held as
/// <see cref="InstanceHolderGrain"/> holds them). A content instance is created by a create request to the
/// container; <c>disr</c> hides the instances.
/// </summary>
[DevicePlacement]
internal sealed class ContainerGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<ContainerGrain> logger,
    IServiceProvider services) : InstanceHolderGrain(store, options, logger, services), IContainerGrain
{
    protected override ResourcePolicy Policy => ContainerPolicy.Rules;

    protected override ResourcePolicy InstancePolicy => ContentInstancePolicy.Rules;

    protected override ValueTask<ResourceResponse> AddChild(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> accepted, string now) =>
        policy.Type == ResourceType.ContentInstance
            ? CreateRequestedInstance(request, accepted, now)
            : base.AddChild(request, policy, accepted, now);

    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator)
    {
        // Turning disableRetrieval off deletes every instance, as ACME does: what was stored while nobody could read
        // it is not disclosed afterwards.
        if (RetrievalDisabled(State.Attributes) && !RetrievalDisabled(updated))
        {
            Instances.Evict(0, null);
        }

        return base.WillBeUpdated(updated, accepted, originator);
    }

    /// <summary>A container's attributes change with every content instance only in their counters: stored as an image.</summary>
    protected override bool StoresAttributeImage => true;

    protected override TypeState? MoveLegacyFields(ResourceState stored) => ContainerLog.FromLegacy(stored);

    public async ValueTask LinkLocationPolicy(string policyId)
    {
        if (Exists)
        {
            // Replaced, not changed in place (ResourceState.Attributes): responses and the stored image hold the old one.
            await ReplaceAttributesAsync(new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal) { [ContainerPolicy.LocationId] = policyId });
        }
    }
}
