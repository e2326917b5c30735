using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Container;

namespace VirtualIoT.Grains.Resources;

/// <summary>How an instance holder makes an instance from a create request (a content instance, a timeSeriesInstance).</summary>
internal abstract partial class InstanceHolderGrain
{
    /// <summary>
    /// The creates this holder remembers for repeated requests (<see cref="RequestLedger"/>), in memory; stored as
    /// <see cref="ContainerLog.EncodedCompleted"/>, each entry serialised once.
    /// </summary>
    private List<CompletedCreate> _ledger = [];

    private EncodedRecords<CompletedCreate>? _ledgerEncoder;

    /// <summary>
    /// Creates an instance from a create request addressed to the holder: a repeat of a stored request answers as
    /// the first did; the name is the given one (4105 when taken) or a generated one; <c>cs</c> above the holder's
    /// <c>mbs</c> is 5207; <see cref="InstanceWillBeAdded"/> may refuse it. The instance, the counters and the request
    /// ledger are stored in one state write, then the child-created event goes out.
    /// </summary>
    protected async ValueTask<ResourceResponse> CreateRequestedInstance(ResourceRequest request, Dictionary<string, object?> accepted, string now)
    {
        PurgeExpired(now);
        // Hashed once: the lookup and the record of this create need the same fingerprint of the content tree.
        var fingerprint = RequestLedger.Fingerprint(request);
        if (RequestLedger.Find(_ledger, request.Originator, request.RequestIdentifier, fingerprint, Options) is { } done)
        {
            var original = ResourceIds.TrySplitHeldId(InstancePolicy.Descriptor, done.ResourceId, out _, out var doneSequence)
                ? Instances.Lookup(doneSequence)
                : null;
            return ReplayCreate(request, InstancePolicy, done, original is null || IsExpired(original, now) ? null : original.Attributes, accepted);
        }

        string name;
        if (accepted.TryGetValue(AttributeNames.ResourceName, out var rn) && rn is string given)
        {
            if (!ResourceIds.IsValidName(given))
            {
                return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"'{given}' is not a valid resource name");
            }

            if (IsNameTaken(given))
            {
                return ResourceResponse.Error(ResponseStatusCode.Conflict, $"a sibling named '{given}' exists");
            }

            name = given;
        }
        else
        {
            name = FreeInstanceName(null);
        }

        var size = ResourceFactory.ContentSize(accepted["con"]);
        if (Limit(AttributeNames.MaxByteSize) is { } mbs && size > mbs)
        {
            return ResourceResponse.Error(ResponseStatusCode.NotAcceptable, $"content size {size} exceeds the maxByteSize {mbs} of {State.Attributes.ResourceName()}");
        }

        if (InstanceWillBeAdded(accepted, now) is { } refused)
        {
            return refused;
        }

        var stateTag = StateTag + 1;
        var error = AddInstance(accepted, name, now, request.Originator, stateTag, size, State.Attributes, out var attributes, out var raised);
        if (error is not null)
        {
            return ResourceResponse.Error(error);
        }

        SetCounters(stateTag);
        InstanceAdded(attributes, now);

        // In the same state write as the instance: a repeat of this request finds it whenever the instance is stored.
        RequestLedger.Record(_ledger, request, fingerprint, attributes.ResourceId(), name, Options);
        await WriteStateAsync();
        EventsIfAny?.Dispatch(raised);
        await AnnounceAsync(attributes.ResourceId(), InstancePolicy.Type, attributes);

        return CreatedResponse(request, InstancePolicy, attributes, accepted, string.Concat(State.Path, "/", name));
    }

    /// <summary>Before a requested instance is added (its content validated, its size within <c>mbs</c>): a response refuses it.</summary>
    protected virtual ResourceResponse? InstanceWillBeAdded(Dictionary<string, object?> accepted, string now) => null;

    /// <summary>After a requested instance is added in memory, before the state write that stores it: the holder may change its own state too.</summary>
    protected virtual void InstanceAdded(Dictionary<string, object?> attributes, string now)
    {
    }

    /// <summary>The ledger as the stored log holds it: entries stored before <see cref="ContainerLog.EncodedCompleted"/> as records, since then encoded.</summary>
    private void RestoreLedger()
    {
        var log = Log;
        _ledger = [.. log.Completed];
        foreach (var bytes in log.EncodedCompleted)
        {
            _ledger.Add(LedgerEncoder.Decode(bytes));
        }

        log.Completed = [];
    }

    /// <summary>
    /// Puts the ledger into the log about to be stored: a create adds one entry to a ledger of a few, so each entry is
    /// serialised when it is first stored and its bytes reused by later writes (strings were written one by one).
    /// </summary>
    private void StoreLedger()
    {
        if (_ledger.Count > 0 || _ledgerEncoder is not null)
        {
            LedgerEncoder.Encode(_ledger, Log.EncodedCompleted);
        }
    }

    private EncodedRecords<CompletedCreate> LedgerEncoder => _ledgerEncoder ??= new(_serializer);
}
