using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.NotificationTargetMgmtPolicyRef;

/// <summary>
/// A <c>&lt;notificationTargetMgmtPolicyRef&gt;</c> (ty 25, R4), keyed by its <c>ri</c>, under a subscription: the
/// policy (<c>npi</c>, the resource ID of a <c>&lt;notificationTargetPolicy&gt;</c>, else 4000) that applies to the
/// notification targets it names (<c>ntu</c>). Its subscription refuses one whose targets another already names (4105).
/// </summary>
internal sealed class NotificationTargetMgmtPolicyRefGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<NotificationTargetMgmtPolicyRefGrain> logger) : ResourceGrain(store, options, logger), INotificationTargetMgmtPolicyRefGrain
{
    protected override ResourcePolicy Policy => NotificationTargetMgmtPolicyRefPolicy.Rules;

    protected override ValueTask<ResourceResponse?> WillBeCreated(NewResource resource) => ValueTask.FromResult(CheckPolicyId(resource.Attributes));

    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator) =>
        ValueTask.FromResult(CheckPolicyId(accepted));

    private ResourceResponse? CheckPolicyId(Dictionary<string, object?> attributes) =>
        attributes.GetValueOrDefault(NotificationTargetMgmtPolicyRefPolicy.PolicyId) is string npi
        && ResourceIds.Classify(LocalId(npi), Options.CseBaseId) != ResourceType.NotificationTargetPolicy
            ? ResourceResponse.Error(ResponseStatusCode.BadRequest, $"npi (notificationPolicyID) '{npi}' is not the resource ID of a notification target policy")
            : null;

    /// <summary>A resource ID given bare or SP-relative (<c>/id-in/ntp…</c>), bare.</summary>
    public static string LocalId(string id, string cseId) =>
        id.StartsWith(cseId + "/", StringComparison.Ordinal) ? id[(cseId.Length + 1)..] : id;

    private string LocalId(string id) => LocalId(id, Options.CseId);
}
