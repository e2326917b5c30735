namespace VirtualIoT.Grains.Resources.AeContactList;

/// <summary>Stored state of one AE's contacts: the resources of this CSE that name it.</summary>
[GenerateSerializer, Alias("VirtualIoT.AeContactState")]
public sealed class AeContactState
{
    /// <summary>Resource IDs of the resources naming the AE.</summary>
    [Id(0)] public HashSet<string> NamedBy { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One AE's contacts (<see cref="IAeContactGrain"/>): the AE is in this CSE's <c>&lt;AEContactListPerCSE&gt;</c> while
/// any resource names it. Changes of the set between empty and not are told to the list in this grain's turn (the
/// list is a grain of this cluster, and an AE's contacts change at the pace of subscriptions, not of data).
/// </summary>
internal sealed class AeContactGrain(
    [PersistentState("ae-contacts", GrainStorageNames.Resources)] IPersistentState<AeContactState> store)
    : Grain, IAeContactGrain
{
    private IAeContactListPerCseGrain List => GrainFactory.GetGrainByKey<IAeContactListPerCseGrain>(AeContactListPolicy.OwnCseEntryId);

    public async ValueTask Named(string resourceId, bool names)
    {
        var changed = names ? store.State.NamedBy.Add(resourceId) : store.State.NamedBy.Remove(resourceId);
        if (!changed)
        {
            return;
        }

        await Store();
        var count = store.State.NamedBy.Count;
        if (count == 0 || (names && count == 1))
        {
            await List.SetNamed(this.GetPrimaryKeyString(), names);
        }
    }

    public async ValueTask Forget()
    {
        if (store.State.NamedBy.Count > 0)
        {
            store.State.NamedBy.Clear();
            await Store();
        }

        await List.SetNamed(this.GetPrimaryKeyString(), false);
    }

    public ValueTask<IReadOnlyList<string>> NamedBy() => ValueTask.FromResult<IReadOnlyList<string>>([.. store.State.NamedBy]);

    private Task Store() => store.State.NamedBy.Count == 0 ? store.ClearStateAsync() : store.WriteStateAsync();
}
