using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Container;

namespace VirtualIoT.Grains.Resources.LocationPolicy;

/// <summary>
/// A <c>&lt;locationPolicy&gt;</c> (ty 10), keyed by its <c>ri</c>. As ACME does for a device-based source, its
/// creation makes a <c>&lt;container&gt;</c> beside it (under the same parent, named <c>lon</c> when given, by the
/// same originator), whose <c>li</c> names the policy and whose ID is the policy's <c>loi</c>: the device writes its
/// locations there as content instances. A delete request or expiry of the policy deletes that container too; the
/// deletion of the parent takes both.
/// </summary>
internal sealed partial class LocationPolicyGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<LocationPolicyGrain> logger) : ResourceGrain(store, options, logger), ILocationPolicyGrain
{
    /// <summary>The location container's limits, as ACME's defaults give them.</summary>
    private const long ContainerMaxInstances = 10, ContainerMaxBytes = 10_000;

    protected override ResourcePolicy Policy => LocationPolicyRules.Rules;

    protected override async ValueTask<ResourceResponse?> WillBeCreated(NewResource resource)
    {
        var attributes = resource.Attributes;
        var name = attributes.GetValueOrDefault(LocationPolicyRules.ContainerName) as string;
        if (name == attributes.ResourceName())
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"lon (locationContainerName) '{name}' is the location policy's own name");
        }

        if (GrainFactory.GetResourceGrain(attributes.ParentId(), Options.CseBaseId) is not { } parent)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, "the location policy's parent is gone");
        }

        var content = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [AttributeNames.MaxNrOfInstances] = ContainerMaxInstances,
            [AttributeNames.MaxByteSize] = ContainerMaxBytes,
        };
        if (name is not null)
        {
            content[AttributeNames.ResourceName] = name;
        }

        // The parent is in this create's call chain, which lets it take the container's create in the meantime.
        var created = await parent.Execute(new ResourceRequest
        {
            Operation = Operation.Create,
            Originator = resource.Originator ?? resource.Owner,
            RequestIdentifier = string.Concat(attributes.ResourceId(), ":", LocationPolicyRules.ContainerId),
            ResourceType = ResourceType.Container,
            ContentRoot = ResourceTypeRegistry.RootKey(ResourceType.Container),
            Content = content,
            IdentifierForm = IdentifierForm.Unstructured,
            ResultContent = ResultContent.Nothing,
        });
        if (created.StatusCode != ResponseStatusCode.Created || created.Location is not { } containerId)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest,
                $"the location container{(name is null ? "" : $" '{name}'")} could not be created: {created.Message ?? created.StatusCode.ToString()}");
        }

        await GrainFactory.GetGrain<IContainerGrain>(containerId).LinkLocationPolicy(attributes.ResourceId());
        attributes[LocationPolicyRules.ContainerId] = containerId;
        return null;
    }

    protected override async Task WillBeRemoved()
    {
        if (State.Attributes.GetValueOrDefault(LocationPolicyRules.ContainerId) is string containerId)
        {
            var deleted = await GrainFactory.GetGrain<IContainerGrain>(containerId).Execute(new ResourceRequest
            {
                Operation = Operation.Delete,
                Originator = Options.AdminOriginator,
                RequestIdentifier = string.Concat(ResourceId, ":delete:", LocationPolicyRules.ContainerId),
            });
            if (deleted.StatusCode is not (ResponseStatusCode.Deleted or ResponseStatusCode.NotFound))
            {
                LogContainerNotDeleted(Logger, ResourceId, containerId, (int)deleted.StatusCode);
            }
        }
    }

    [LoggerMessage(EventId = 2970, Level = LogLevel.Warning, Message = "Location policy {PolicyId}: its container {ContainerId} was not deleted ({Rsc})")]
    private static partial void LogContainerNotDeleted(ILogger logger, string policyId, string containerId, int rsc);
}
