using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.AeContactList;

/// <summary>
/// The <c>&lt;AEContactListPerCSE&gt;</c> (ty 44) of this CSE: <c>csi</c> and <c>ail</c>, the AE-IDs its resources
/// name. An AE enters <c>ail</c> when the first resource names it and leaves when the last stops (told by its
/// <see cref="IAeContactGrain"/>) or when the AE is deleted; each change is an update its subscriptions hear of. An
/// AE's deletion comes here first, so that only a listed AE's contacts are activated to be forgotten.
/// </summary>
internal sealed partial class AeContactListPerCseGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<AeContactListPerCseGrain> logger) : ResourceGrain(store, options, logger), IAeContactListPerCseGrain
{
    protected override ResourcePolicy Policy => AeContactListPolicy.PerCse;

    protected override OneM2MError? UpdateRefused() => AeContactListPolicy.Refusal(ResourceType.AEContactListPerCSE, "updated");

    protected override OneM2MError? DeletionRefused() => AeContactListPolicy.Refusal(ResourceType.AEContactListPerCSE, "deleted");

    public async ValueTask SetNamed(string aeId, bool named)
    {
        if (!Exists && Options.Type == CseTier.IN)
        {
            // Not provisioned yet (the CSEBase provisions it when it activates, which this call may have overtaken):
            // the list makes it now, calling back into this turn.
            using (RequestContext.AllowCallChainReentrancy())
            {
                await GrainFactory.GetGrain<IAeContactListGrain>(AeContactListPolicy.ListId).Provision();
            }
        }

        if (!Exists)
        {
            return;
        }

        var current = State.Attributes.GetValueOrDefault(AeContactListPolicy.AeIds) as List<object?> ?? [];
        var listed = current.Contains(aeId);
        if (listed == named)
        {
            return;
        }

        var ids = new List<object?>(current);
        if (named)
        {
            ids.Add(aeId);
        }
        else
        {
            ids.Remove(aeId);
        }

        var modified = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [AeContactListPolicy.AeIds] = ids,
            [AttributeNames.LastModifiedTime] = Now(),
        };
        await StoreOwnUpdate(modified);
    }

    public async ValueTask Deregistered(string aeId)
    {
        if (!Exists || !(State.Attributes.GetValueOrDefault(AeContactListPolicy.AeIds) is List<object?> listed && listed.Contains(aeId)))
        {
            // Not listed: no resource names the AE, so its contacts hold nothing to forget (a naming on its way lists it
            // afterwards, as if it came after the deletion).
            return;
        }

        await SetNamed(aeId, false);

        // One-way: the contacts' own SetNamed finds the AE dropped already.
        _ = GrainFactory.GetGrainByKey<IAeContactGrain>(aeId).Forget();
    }
}
