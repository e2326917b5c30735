using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.PolicyDeletionRules;

namespace VirtualIoT.Grains.Resources.NotificationTargetPolicy;

/// <summary>
/// A <c>&lt;notificationTargetPolicy&gt;</c> (ty 26, R4), keyed by its <c>ri</c>, under the CSEBase. Its creator's
/// policy labels are unique (<see cref="INotificationPolicyDirectoryGrain"/>; 4000 for a second one, as ACME); at
/// most two <c>&lt;policyDeletionRules&gt;</c> children (4105). The CSE's own <c>Default</c> policy
/// (<see cref="NotificationTargetPolicyRules.SystemDefaultName"/>) is the system default and cannot be deleted (4000,
/// as ACME).
/// </summary>
internal sealed class NotificationTargetPolicyGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<NotificationTargetPolicyGrain> logger) : ResourceGrain(store, options, logger), INotificationTargetPolicyGrain
{
    /// <summary>At most this many <c>&lt;policyDeletionRules&gt;</c> under one policy (combined by <c>rrs</c>).</summary>
    private const int MaxDeletionRules = 2;

    protected override ResourcePolicy Policy => NotificationTargetPolicyRules.Rules;

    private string? Label => State.Attributes.GetValueOrDefault(NotificationTargetPolicyRules.PolicyLabel) as string;

    private INotificationPolicyDirectoryGrain Directory => GrainFactory.GetGrain<INotificationPolicyDirectoryGrain>(State.Owner);

    public async ValueTask<NotificationTargetDecision> Decide()
    {
        if (!IsLive(Now()))
        {
            return new NotificationTargetDecision(false, null);
        }

        var action = (NotificationTargetAction)(long)State.Attributes[NotificationTargetPolicyRules.Action]!;
        var rules = new List<Dictionary<string, object?>>(MaxDeletionRules);
        foreach (var child in Links.Children.Values)
        {
            if (child.Type == ResourceType.PolicyDeletionRules
                && GrainFactory.GetClusterResource(child.ResourceId, Options.CseBaseId) is { } grain
                && await grain.AttributesFor(Options.AdminOriginator) is { } attributes)
            {
                rules.Add(attributes);
            }
        }

        // No rules: the action applies; one: when it holds; two: combined by rrs (AND unless OR), as ACME evaluates.
        var now = UtcNow;
        var holds = rules.Count switch
        {
            0 => true,
            1 => PolicyDeletionRulesPolicy.Holds(rules[0], now),
            _ => State.Attributes.GetValueOrDefault(NotificationTargetPolicyRules.RuleRelationship) is NotificationTargetPolicyRules.Or
                ? rules.Any(r => PolicyDeletionRulesPolicy.Holds(r, now))
                : rules.All(r => PolicyDeletionRulesPolicy.Holds(r, now)),
        };
        return new NotificationTargetDecision(true, holds ? action : null, ResourceId);
    }

    protected override async ValueTask<ResourceResponse?> WillBeCreated(NewResource resource)
    {
        // The CSE's own policies are its system policies: CAdmin asking to be their creator is refused, as ACME does.
        if (resource.Originator == Options.AdminOriginator && resource.Attributes.ContainsKey(AttributeNames.Creator))
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, "cr (creator) is not allowed on a notification target policy created by the CSE administrator");
        }

        var label = (string)resource.Attributes[NotificationTargetPolicyRules.PolicyLabel]!;
        var ri = resource.Attributes.ResourceId();
        return await GrainFactory.GetGrain<INotificationPolicyDirectoryGrain>(resource.Owner).Claim(label, ri) ? null : LabelTaken(label);
    }

    protected override async ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator)
    {
        if (accepted.GetValueOrDefault(NotificationTargetPolicyRules.PolicyLabel) is not string label || label == Label)
        {
            return null;
        }

        if (IsSystemDefault)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, "the system default notification target policy keeps its label");
        }

        if (!await Directory.Claim(label, ResourceId))
        {
            return LabelTaken(label);
        }

        if (Label is { } previous)
        {
            await Directory.Release(previous, ResourceId);
        }

        return null;
    }

    protected override OneM2MError? DeletionRefused() =>
        IsSystemDefault ? OneM2MError.BadRequest("the system default notification target policy cannot be deleted") : null;

    protected override async Task WillBeDeleted()
    {
        if (Label is { } label)
        {
            await Directory.Release(label, ResourceId);
        }
    }

    protected override async ValueTask<ResourceResponse> AddChild(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> accepted, string now)
    {
        if (policy.Type == ResourceType.PolicyDeletionRules
            && Links.Children.Values.Count(c => c.Type == ResourceType.PolicyDeletionRules) >= MaxDeletionRules)
        {
            return ResourceResponse.Error(ResponseStatusCode.Conflict, $"a notification target policy has at most {MaxDeletionRules} policyDeletionRules");
        }

        return await base.AddChild(request, policy, accepted, now);
    }

    private bool IsSystemDefault => State.Owner == Options.AdminOriginator && Label == NotificationTargetPolicyRules.DefaultLabel;

    private static ResourceResponse LabelTaken(string label) =>
        ResourceResponse.Error(ResponseStatusCode.BadRequest, $"the creator already has a notification target policy labelled '{label}'");
}
