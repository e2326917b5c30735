namespace VirtualIoT.Grains.Resources.NotificationTargetPolicy;

/// <summary>Stored state of one creator's notification target policies.</summary>
[GenerateSerializer, Alias("VirtualIoT.NotificationPolicyDirectoryState")]
public sealed class NotificationPolicyDirectoryState
{
    /// <summary>Policy IDs by policy label (<c>plbl</c>).</summary>
    [Id(0)] public Dictionary<string, string> Policies { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One creator's notification target policies by label (<see cref="INotificationPolicyDirectoryGrain"/>). A label
/// held by a policy that no longer lives (its creation failed after the claim, or it was deleted by a silo that
/// died before releasing it) is given to the next claimant.
/// </summary>
internal sealed class NotificationPolicyDirectoryGrain(
    [PersistentState("ntp-directory", GrainStorageNames.Resources)] IPersistentState<NotificationPolicyDirectoryState> store)
    : Grain, INotificationPolicyDirectoryGrain
{
    public async ValueTask<bool> Claim(string label, string policyId)
    {
        if (store.State.Policies.TryGetValue(label, out var holder))
        {
            if (holder == policyId)
            {
                return true;
            }

            if (await GrainFactory.GetGrain<INotificationTargetPolicyGrain>(holder).IsLiveResource())
            {
                return false;
            }
        }

        store.State.Policies[label] = policyId;
        await store.WriteStateAsync();
        return true;
    }

    public async ValueTask Release(string label, string policyId)
    {
        if (store.State.Policies.TryGetValue(label, out var holder) && holder == policyId)
        {
            store.State.Policies.Remove(label);
            await store.WriteStateAsync();
        }
    }

    public ValueTask<string?> Find(string label) => ValueTask.FromResult(store.State.Policies.GetValueOrDefault(label));
}
