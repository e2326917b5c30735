using Microsoft.Extensions.Logging;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Idempotent creates of children held by other grains (container, subscription under an AE or a container): the
/// parent remembers each completed create under its originator's <c>rqi</c> (<see cref="RequestLedger"/>) in the
/// link page it writes for the new child (<see cref="LinkStore"/>), so the record is stored in the same write that
/// makes the child part of its parent. A repeat of the request is answered with the original resource.
/// </summary>
internal abstract partial class ResourceGrain
{
    /// <summary>The original answer when <paramref name="request"/> repeats a create this resource completed; null for a new request.</summary>
    /// <remarks>
    /// A child whose link (with the record) was stored beside its own record (<see cref="LinksBesideRecord"/>) may be
    /// linked without a record: the silo died between the two writes. Then, still linked and no longer live, it is
    /// returned as <c>Unfinished</c>, and the create is carried out again under its recorded identity.
    /// </remarks>
    private async ValueTask<(ResourceResponse? Replay, CompletedCreate? Unfinished)> RepeatedChildCreate(ResourceRequest request,
        ResourcePolicy policy, Dictionary<string, object?> accepted)
    {
        if (LinkStore.FindCreate(request) is not { } done)
        {
            return (null, null);
        }

        Dictionary<string, object?>? attributes = null;
        if (Links.Children.TryGetValue(done.Name, out var child) && child.ResourceId == done.ResourceId)
        {
            attributes = (await LoadChildEntry(child, withAttributes: true, request.Originator))?.Attributes;
            if (attributes is null && LinksBesideRecord(policy.Type)
                && GrainFactory.GetClusterResource(done.ResourceId, Options.CseBaseId) is { } grain && !await grain.IsLiveResource())
            {
                return (null, done);
            }
        }

        return (ReplayCreate(request, policy, done, attributes, accepted), null);
    }

    /// <summary>
    /// Whether a new child of <paramref name="type"/> is linked (its link page, with the create's record) while its own
    /// record is written, so that a batching storage (PostgreSQL) commits both at once: a type whose creation nothing
    /// in its grain refuses (a container). Any other child is linked once its record is stored.
    /// </summary>
    private static bool LinksBesideRecord(ResourceType type) => type == ResourceType.Container;

    /// <summary>
    /// The answer to a repeated create: built from the created resource's attributes as they are now, or from its
    /// identity alone when it is gone since (deleted or expired).
    /// </summary>
    protected ResourceResponse ReplayCreate(ResourceRequest request, ResourcePolicy policy, CompletedCreate done,
        Dictionary<string, object?>? attributes, Dictionary<string, object?> accepted)
    {
        LogRepeatedCreate(Logger, ResourceId, request.Originator, request.RequestIdentifier, done.ResourceId);
        attributes ??= new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [AttributeNames.ResourceId] = done.ResourceId,
            [AttributeNames.ResourceName] = done.Name,
            [AttributeNames.ParentId] = ResourceId,
            [AttributeNames.ResourceType] = (long)policy.Type,
        };
        return CreatedResponse(request, policy, attributes, accepted, string.Concat(State.Path, "/", done.Name));
    }

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information,
        Message = "Create under {ResourceId} by {Originator} (rqi {RequestId}) repeats the create of {CreatedId}: answered with the original")]
    private static partial void LogRepeatedCreate(ILogger logger, string resourceId, string originator, string requestId, string createdId);
}
