using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.AeContactList;

/// <summary>
/// The <c>&lt;AEContactList&gt;</c> (ty 43): one per IN-CSE, under the CSEBase, named <c>aeContactList</c>, owned by the
/// CSE (CAdmin). The CSEBase provisions it when it activates; it holds one <c>&lt;AEContactListPerCSE&gt;</c> child, for
/// this CSE, that lists the AEs this CSE's resources name. Requests may retrieve it, discover in it and subscribe
/// to it; an update or delete is 4005 (TS-0004 7.4.53).
/// </summary>
internal sealed partial class AeContactListGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<AeContactListGrain> logger) : ResourceGrain(store, options, logger), IAeContactListGrain
{
    protected override ResourcePolicy Policy => AeContactListPolicy.List;

    protected override OneM2MError? UpdateRefused() => AeContactListPolicy.Refusal(ResourceType.AEContactList, "updated");

    protected override OneM2MError? DeletionRefused() => AeContactListPolicy.Refusal(ResourceType.AEContactList, "deleted");

    public async ValueTask Provision()
    {
        var now = Now();
        if (!Exists)
        {
            var error = ResourceFactory.Build(Policy, new Dictionary<string, object?>(StringComparer.Ordinal), ResourceId, AeContactListPolicy.ListName, Options.CseBaseId, now, null, MaxExpiration(),
                Options.AdminOriginator, out var attributes);
            if (error is not null)
            {
                throw new InvalidOperationException($"the AE contact list cannot be built: {error.Message}");
            }

            // It outlives any expiration: it is the CSE's own and goes only with the CSE.
            attributes.Remove(AttributeNames.ExpirationTime);
            var shard = Policies.IndexShardKey(Options.CseBaseId, AeContactListPolicy.ListName, Options.CseBaseIndexShards);
            var created = await Initialize(new NewResource(ResourceType.AEContactList, attributes,
                string.Concat(Options.CseBaseName, "/", AeContactListPolicy.ListName), Options.AdminOriginator, shard));
            if (created.StatusCode != ResponseStatusCode.Created)
            {
                LogNotProvisioned(Logger, (int)created.StatusCode, created.Message);
                return;
            }
        }

        var entryName = OwnEntryName();
        if (Links.Children.ContainsKey(entryName))
        {
            return;
        }

        var entryError = ResourceFactory.Build(AeContactListPolicy.PerCse, new Dictionary<string, object?>(StringComparer.Ordinal), AeContactListPolicy.OwnCseEntryId, entryName, ResourceId, now, null,
            MaxExpiration(), Options.AdminOriginator, out var entry);
        if (entryError is not null)
        {
            throw new InvalidOperationException($"the AE contact list's entry cannot be built: {entryError.Message}");
        }

        entry.Remove(AttributeNames.ExpirationTime);
        entry[AeContactListPolicy.CseId] = Options.CseId;
        entry[AeContactListPolicy.AeIds] = new List<object?>();
        var initialized = await GrainFactory.GetGrain<IAeContactListPerCseGrain>(AeContactListPolicy.OwnCseEntryId).Initialize(
            new NewResource(ResourceType.AEContactListPerCSE, entry, string.Concat(State.Path, "/", entryName), Options.AdminOriginator, null));
        if (initialized.StatusCode is not (ResponseStatusCode.Created or ResponseStatusCode.Conflict))
        {
            LogNotProvisioned(Logger, (int)initialized.StatusCode, initialized.Message);
            return;
        }

        Links.Children[entryName] = new ChildReference(AeContactListPolicy.OwnCseEntryId, entryName, ResourceType.AEContactListPerCSE, null);
        await WriteLinksAsync(AeContactListPolicy.OwnCseEntryId, entryName);
    }

    /// <summary>The entry's name: the CSE-ID without its leading slash (<c>id-in</c>).</summary>
    private string OwnEntryName() => Options.CseId.TrimStart('/');

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "The AE contact list could not be provisioned: {Rsc} {Reason}")]
    private static partial void LogNotProvisioned(ILogger logger, int rsc, string? reason);
}
