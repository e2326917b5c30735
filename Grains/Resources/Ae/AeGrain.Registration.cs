using Microsoft.Extensions.Logging;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Ae;

/// <summary>
/// An AE registration carried out by the AE's own grain (<see cref="IAeGrain.Register"/>): the CREATE addressed to the
/// CSEBase by an originator naming its AE-ID goes from the binding to the AE, which does what the CSEBase's turn would
/// (the same checks, attributes, name claim and record), without the CSEBase's hop. The CSEBase is called only when it
/// listens to its children's creation (its index shard says so exactly, <see cref="ICseBaseGrain.Listens"/>), and any
/// registration that does not simply succeed here (a repeat, a name or AE-ID taken, bad content) is answered null and
/// sent to the CSEBase by the caller, which answers it as it answers every registration.
/// </summary>
internal sealed partial class AeGrain
{
    public async ValueTask<ResourceResponse?> Register(ResourceRequest request, CancellationToken cancellationToken = default)
    {
        // The mark that let this activation skip its read (UnstoredRecord) goes no further: a re-read must read.
        UnstoredRecord.Unmark();
        if (await RegisterHere(request) is not { } registered)
        {
            // The caller hands it to the CSEBase, after this turn: the CSEBase's create of this AE may then reach a new
            // activation (this one is given up when it found the AE stored after all), which it could not from inside it.
            return null;
        }

        // Served here (a request handed to the CSEBase is counted there).
        ObserveRequestOrigin(request);
        return registered;
    }

    /// <summary>
    /// The registration as the CSEBase carries it out (CseBaseGrain.AddChild for an AE named by its originator), when
    /// it creates this AE; null when it does not (checks that fail, a repeat, a conflict): nothing is then stored.
    /// </summary>
    private async ValueTask<ResourceResponse?> RegisterHere(ResourceRequest request)
    {
        // What the CSEBase's Execute and CreateChild check first; an AE-ID registered already is the CSEBase's to answer.
        if (Exists || (request.ExpectedName is { } addressed && addressed != Options.CseBaseName)
            || !Policies.IsValidResultContent(Operation.Create, request.ResultContent)
            || Policies.ForContent(ResourceType.AE, request.ContentRoot) is not { } policy || request.ContentRoot != policy.RootKey
            || AttributeValidator.Validate(policy, request.Content, new ValidationContext(Operation.Create, request.ReleaseVersion), out var accepted) is not null
            || await CheckPolicyLinks(accepted, Operation.Create, ResourceType.AE) is not null)
        {
            return null;
        }

        var fingerprint = RequestLedger.Fingerprint(request);
        var seed = fingerprint ^ RequestLedger.Fingerprint(request.Originator, request.RequestIdentifier);
        if (AePolicy.AeIdFor(request.Originator, seed, Options, out var ri, out var assigned) is not null || assigned || ri != ResourceId)
        {
            return null;
        }

        var name = accepted.TryGetValue(AttributeNames.ResourceName, out var rn) && rn is string given ? given : ri;
        var now = Now();
        if (!ResourceIds.IsValidName(name)
            || ResourceFactory.Build(policy, accepted, ri, name, Options.CseBaseId, now, null, MaxExpiration(), request.Originator, out var attributes) is not null)
        {
            return null;
        }

        attributes["aei"] = ri;
        var path = string.Concat(Options.CseBaseName, "/", name);
        var shard = Policies.IndexShardKey(Options.CseBaseId, name, Options.CseBaseIndexShards);
        var record = RequestLedger.For(request.Originator, request.RequestIdentifier, fingerprint, ri, name);
        var created = await InitializeAsync(new NewResource(ResourceType.AE, attributes, path, ri, shard, record, request.Originator), reread: false);
        if (created.StatusCode != ResponseStatusCode.Created)
        {
            return null;
        }

        attributes = created.Content as Dictionary<string, object?> ?? attributes;
        LogRegistered(Logger, ri);
        if (ParentListens)
        {
            await GrainFactory.GetGrainByKey<ICseBaseGrain>(Options.CseBaseId).AeRegistered(attributes);
        }

        return CreatedResponse(request, policy, attributes, accepted, path);
    }

    [LoggerMessage(EventId = 2602, Level = LogLevel.Debug, Message = "Registered AE {AeId} under the CSEBase, by its own grain")]
    private static partial void LogRegistered(ILogger logger, string aeId);
}
