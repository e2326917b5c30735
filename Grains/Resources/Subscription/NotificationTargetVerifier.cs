namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>
/// Verification of notification targets (TS-0004 7.4.8.2.1), for a subscription and a cross-resource subscription
/// alike: each target that is not the creator (without <c>cr</c>, the originator of the create or of an update of
/// <c>nu</c>) is checked. The creator must hold NOTIFY on a target of this CSE (TS-0004 7.5.1.2.3, which the CSE
/// answers for its own resources without asking them), then the target must confirm a verification request. 5204 if
/// any fails, the same for a target that does not exist, so the answer is no existence oracle.
/// </summary>
internal static class NotificationTargetVerifier
{
    /// <param name="grains">The grain factory.</param>
    /// <param name="options">The CSE's options.</param>
    /// <param name="reference">The resource's SP-relative ID, sent as <c>sur</c>.</param>
    /// <param name="resourceId">The resource's ID (names the verification request).</param>
    /// <param name="attributes">The resource's attributes (<c>nu</c>, <c>cr</c>).</param>
    /// <param name="updater">The originator of the create or update.</param>
    /// <param name="exempt">
    /// Targets that take the resource's notifications without verification: the cross-resource subscriptions a
    /// subscription feeds (<c>acrs</c>), and only those that are cross-resource subscriptions of this CSE.
    /// </param>
    public static async Task<ResourceResponse?> Verify(IGrainFactory grains, CseOptions options, string reference, string resourceId,
        Dictionary<string, object?> attributes, string? updater, IReadOnlyList<string> exempt)
    {
        var creator = attributes.Creator() ?? updater;
        if (creator is null)
        {
            return null;
        }

        var targets = attributes.NotificationTargets()
            .Where(t => t != creator && t != string.Concat(options.CseId, "/", creator) && !IsExempt(options, t, exempt)).ToList();
        if (targets.Count == 0)
        {
            return null;
        }

        var refused = new List<string>();
        foreach (var target in targets)
        {
            if (!await MayNotify(grains, options, creator, target))
            {
                refused.Add(target);
            }
        }

        if (refused.Count > 0)
        {
            return Failed(refused);
        }

        var content = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [NotificationMembers.Notification] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                [NotificationMembers.VerificationRequest] = true, [NotificationMembers.SubscriptionReference] = reference, [AttributeNames.Creator] = creator,
            },
        };
        var verified = await grains.GetGrain<IDeliveryGrain>(0).SendNow(new PendingNotification(string.Concat(resourceId, ":vrq"), targets, content, 0));
        var unverified = targets.Where(t => !verified.Contains(t)).ToList();
        return unverified.Count == 0 ? null : Failed(unverified);
    }

    /// <summary>The ID of a local resource named by a notification target (bare or SP-relative), or null for a URL.</summary>
    public static string? LocalId(CseOptions options, string target) =>
        target.Contains("://", StringComparison.Ordinal) ? null
        : target.StartsWith(options.CseId + "/", StringComparison.Ordinal) ? target[(options.CseId.Length + 1)..]
        : target;

    private static bool IsExempt(CseOptions options, string target, IReadOnlyList<string> exempt) =>
        exempt.Contains(target) && LocalId(options, target) is { } ri && ResourceIds.Classify(ri, options.CseBaseId) == ResourceType.CrossResourceSubscription;

    private static ResourceResponse Failed(List<string> targets) =>
        ResourceResponse.Error(ResponseStatusCode.SubscriptionVerificationInitiationFailed,
            $"verification of notification target(s) {string.Join(", ", targets)} failed");

    /// <summary>
    /// Whether <paramref name="creator"/> holds NOTIFY on <paramref name="target"/>: always for a URL (verified by its
    /// receiver) and for CAdmin; for a resource ID of this CSE (bare or SP-relative) as the target's access rules say
    /// (its <c>acpi</c>, else its owner only); never for one that does not exist.
    /// </summary>
    private static async ValueTask<bool> MayNotify(IGrainFactory grains, CseOptions options, string creator, string target)
    {
        if (LocalId(options, target) is not { } ri || creator == options.AdminOriginator)
        {
            return true;
        }

        return grains.GetClusterResource(ri, options.CseBaseId) is { } grain && await grain.Allows(creator, Operation.Notify);
    }
}
