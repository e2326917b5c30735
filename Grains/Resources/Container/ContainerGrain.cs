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
            ? CreateInstance(request, accepted, now)
            : base.AddChild(request, policy, accepted, now);

    private async ValueTask<ResourceResponse> CreateInstance(ResourceRequest request, Dictionary<string, object?> accepted, string now)
    {
        PurgeExpired(now);
        if (RequestLedger.Find(Log.Completed, request, Options) is { } done)
        {
            var original = ResourceIds.TrySplitInstanceId(done.ResourceId, out _, out var doneSequence) ? Instances.Lookup(doneSequence) : null;
            return ReplayCreate(request, ContentInstancePolicy.Rules, done, original is null || IsExpired(original, now) ? null : original.Attributes, accepted);
        }

        string name;
        if (accepted.TryGetValue(AttributeNames.ResourceName, out var rn) && rn is string given)
        {
            if (!ResourceIds.IsValidName(given))
            {
                return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"'{given}' is not a valid resource name");
            }

            if (IsNameTaken(given))
            {
                return ResourceResponse.Error(ResponseStatusCode.Conflict, $"a sibling named '{given}' exists");
            }

            name = given;
        }
        else
        {
            name = FreeInstanceName(null);
        }

        var size = ResourceFactory.ContentSize(accepted["con"]);
        if (Limit(AttributeNames.MaxByteSize) is { } mbs && size > mbs)
        {
            return ResourceResponse.Error(ResponseStatusCode.NotAcceptable, $"content size {size} exceeds the container's maxByteSize {mbs}");
        }

        var stateTag = State.Attributes.StateTag() + 1;
        var error = AddInstance(accepted, name, now, request.Originator, stateTag, size, State.Attributes, out var attributes, out var raised);
        if (error is not null)
        {
            return ResourceResponse.Error(error);
        }

        SetCounters(stateTag);

        // In the same state write as the instance: a repeat of this request finds it whenever the instance is stored.
        RequestLedger.Record(Log.Completed, request, attributes.ResourceId(), name, Options);
        await WriteStateAsync();
        Events.Dispatch(raised);

        return CreatedResponse(request, ContentInstancePolicy.Rules, attributes, accepted, string.Concat(State.Path, "/", name));
    }

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

    protected override TypeState? MoveLegacyFields(ResourceState stored) => ContainerLog.FromLegacy(stored);
}
