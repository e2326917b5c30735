using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.RemoteCse;

namespace VirtualIoT.Grains.Resources.CseBase;

/// <summary>
/// The CSEBase (ty 5). It exists from the first request on, is never updated or deleted, and keeps its children
/// (a million AEs, say) in <see cref="IChildIndexGrain"/> shards rather than in its own state. Reentrant, so that
/// registrations do not queue behind each other while shards are written; the only state that changes is its
/// subscriptions and their outbox, and its writes are serialised by the base grain's write lock.
/// </summary>
[Reentrant]
internal sealed partial class CseBaseGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<CseBaseGrain> logger) : ResourceGrain(store, options, logger), ICseBaseGrain
{
    private const int DescribePageSize = 1000;

    private const int ShardBatch = 16;

    // Listens (IChildIndexGrain.ParentListens): set before its shards are told, and once all of them were.
    private bool _listening;
    private bool _shardsTold;

    /// <summary>Release versions this CSE speaks (<c>srv</c>).</summary>
    private static readonly List<object?> s_supportedReleases = ["2a", "3", "4"];

    /// <summary>Resource types this CSE implements (<c>srt</c>): every registered one.</summary>
    private static readonly List<object?> s_supportedTypes = [.. ResourceTypeRegistry.Supported.Select(t => (object?)(long)t)];

    protected override ResourcePolicy Policy => CseBasePolicy.Rules;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        var created = Exists && State.Attributes.TryGetValue(AttributeNames.CreationTime, out var ct) && ct is string s ? s : Now();
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [AttributeNames.ResourceType] = (long)ResourceType.CSEBase,
            [AttributeNames.ResourceId] = Options.CseBaseId,
            [AttributeNames.ResourceName] = Options.CseBaseName,
            [AttributeNames.ParentId] = "",
            [AttributeNames.CreationTime] = created,
            [AttributeNames.LastModifiedTime] = created,
            ["cst"] = (long)Options.Type,
            ["csi"] = Options.CseId,
            ["srt"] = s_supportedTypes,
            ["srv"] = s_supportedReleases,
            ["poa"] = Options.DistinctPointsOfAccess(),
        };
        if (!Exists || State.Path != Options.CseBaseName || State.Attributes.Count != attributes.Count
            || !(State.Attributes.GetValueOrDefault("srt") is List<object?> stored && stored.SequenceEqual(s_supportedTypes))
            || !Equals(State.Attributes.GetValueOrDefault("cst"), attributes["cst"])
            || !(State.Attributes.GetValueOrDefault("poa") is List<object?> poa && poa.SequenceEqual((List<object?>)attributes["poa"]!)))
        {
            State.Type = ResourceType.CSEBase;
            State.Attributes = attributes;
            State.Path = Options.CseBaseName;
            State.Owner = Options.AdminOriginator;
            await WriteStateAsync();
        }

        await EnsureSystemDefaultPolicy();
        if (Options.Type == CseTier.IN)
        {
            // The AE contact list (R4): only an IN-CSE has one (TS-0001 9.6.45).
            await GrainFactory.GetGrain<IAeContactListGrain>(AeContactList.AeContactListPolicy.ListId).Provision();
        }
    }

    /// <summary>
    /// The system default notification target policy (R4): the CSE's own policy labelled <c>Default</c>, named
    /// <c>defaultNTP</c> and rejecting self-removal, as ACME provisions it. It applies to a notification target
    /// that no other policy covers, and cannot be deleted. Created once; a repeat finds it in the creator's directory.
    /// </summary>
    private async Task EnsureSystemDefaultPolicy()
    {
        var directory = GrainFactory.GetGrain<INotificationPolicyDirectoryGrain>(Options.AdminOriginator);
        if (await directory.Find(NotificationTargetPolicy.NotificationTargetPolicyRules.DefaultLabel) is not null)
        {
            return;
        }

        var created = await Execute(new ResourceRequest
        {
            Operation = Operation.Create,
            Originator = Options.AdminOriginator,
            RequestIdentifier = NotificationTargetPolicy.NotificationTargetPolicyRules.SystemDefaultName,
            ResourceType = ResourceType.NotificationTargetPolicy,
            ContentRoot = ResourceTypeRegistry.RootKey(ResourceType.NotificationTargetPolicy),
            Content = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                [AttributeNames.ResourceName] = NotificationTargetPolicy.NotificationTargetPolicyRules.SystemDefaultName,
                [NotificationTargetPolicy.NotificationTargetPolicyRules.Action] = (long)NotificationTargetAction.Reject,
                [NotificationTargetPolicy.NotificationTargetPolicyRules.PolicyLabel] = NotificationTargetPolicy.NotificationTargetPolicyRules.DefaultLabel,
            },
        });
        if (created.StatusCode is not (ResponseStatusCode.Created or ResponseStatusCode.Conflict))
        {
            LogSystemPolicyNotCreated(Logger, (int)created.StatusCode, created.Message);
        }
    }

    // currentTime (ctm, R4 TS-0001 9.6.3): the CSE's clock at the time of the retrieve, never stored.
    protected override Dictionary<string, object?> CurrentAttributes() =>
        new(State.Attributes, StringComparer.Ordinal) { ["ctm"] = Now() };

    protected override async ValueTask<bool> MayAccess(string originator, ResourceRequest request)
    {
        if (IsAdmin(originator))
        {
            return true;
        }

        // Anyone may ask to register an AE (TS-0001 10.2.2.2: no access control on registration); registered
        // AEs may read the CSEBase and create containers directly under it (as ACME allows).
        if (request.Operation == Operation.Create && request.ResourceType is ResourceType.AE or ResourceType.RemoteCSE)
        {
            return true;
        }

        if (request.Operation == Operation.Retrieve && await IsRegisteredCse(originator))
        {
            return true;
        }

        if (request.Operation is Operation.Retrieve or Operation.Create && ResourceIds.Classify(originator, Options.CseBaseId) == ResourceType.AE)
        {
            return await GrainFactory.GetGrainByKey<IAeGrain>(originator).IsRegistered();
        }

        return false;
    }

    protected override ValueTask<bool> MayDiscover(string originator) => ValueTask.FromResult(true);

    protected override string ChildOwner(string originator) => originator;

    /// <summary>Its children's names live in index shards; a child releases its own name when it goes.</summary>
    protected override bool IndexesChildren => true;

    protected override async ValueTask<ResourceResponse> AddChild(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> accepted, string now)
    {
        // A create is recognised when repeated (same rqi and content): its record is kept in the index shard of the
        // child's name, whose claim writes it. A generated name, and the AE-ID assigned to an anonymous originator
        // (C, S, empty), are derived from the request so that a repeat looks in the same shard; an anonymous
        // originator names no device, so its record is kept under the AE-ID derived from its request instead.
        var fingerprint = RequestLedger.Fingerprint(request);
        var seed = fingerprint ^ RequestLedger.Fingerprint(request.Originator, request.RequestIdentifier);
        var assigned = false;
        string ri;
        if (policy.Type == ResourceType.AE)
        {
            var error = Ae.AePolicy.AeIdFor(request.Originator, seed, Options, out ri, out assigned);
            if (error is not null)
            {
                return ResourceResponse.Error(error);
            }
        }
        else
        {
            ri = ResourceIds.NewId(policy.Type);
        }

        if (policy.Type == ResourceType.RemoteCSE && RegisterRemoteCse(request.Originator, accepted) is { } refused)
        {
            return ResourceResponse.Error(refused);
        }

        var recordKey = assigned ? ri : request.Originator;

        // An AE's ID comes from its request (its originator, or derived from the request for an anonymous one), so a
        // repeat finds the AE registered: a first registration, the common case, goes to the AE at once, and the
        // shard's record of completed creates is read only when the AE or its name exists already.
        var recordFirst = policy.Type != ResourceType.AE;
        var minted = true;
        for (var attempt = 0; ; attempt++)
        {
            var name = accepted.TryGetValue(AttributeNames.ResourceName, out var rn) && rn is string given ? given
                : policy.Type == ResourceType.AE ? ri
                : ResourceFactory.GenerateName(policy.Type, seed);
            if (!ResourceIds.IsValidName(name))
            {
                return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"'{name}' is not a valid resource name");
            }

            var shard = Policies.IndexShardKey(ResourceId, name, Options.CseBaseIndexShards);
            var index = GrainFactory.GetGrainByKey<IChildIndexGrain>(shard);
            if (recordFirst)
            {
                var (replay, unfinished) = await FindRepeat(index, recordKey, request, fingerprint, assigned, policy, accepted);
                if (replay is not null)
                {
                    return replay;
                }

                // The name and the record were stored, the child's own write was not (its silo died in between):
                // the create is carried out again under the identity it was given.
                minted = unfinished is null;
                ri = unfinished ?? ri;
            }

            var error = ResourceFactory.Build(policy, accepted, ri, name, ResourceId, now, null, MaxExpiration(),
                request.Originator, out var attributes);
            if (error is not null)
            {
                return ResourceResponse.Error(error);
            }

            if (policy.Type == ResourceType.AE)
            {
                attributes["aei"] = ri;
            }

            var path = string.Concat(State.Path, "/", name);
            var owner = policy.Type switch
            {
                ResourceType.AE => ri,
                ResourceType.RemoteCSE => (string)attributes[RemoteCsePolicy.CseId]!,
                _ => request.Originator,
            };
            if (policy.Type == ResourceType.Subscription && Links.Subscriptions.Count == 0)
            {
                await Events.EnsureReminder();
            }

            var child = GrainFactory.GetClusterResource(ri, Options.CseBaseId)!;
            var record = RequestLedger.For(recordKey, request.RequestIdentifier, fingerprint, ri, name);
            // A new ID, or an AE-ID (seldom registered already: the AE's first write finds out), has no record to read.
            var resource = new NewResource(policy.Type, attributes, path, owner, shard, record, request.Originator);
            var created = await (minted ? InitializeUnstored(child, resource) : child.Initialize(resource));
            if (!recordFirst && created.StatusCode is ResponseStatusCode.OriginatorHasAlreadyRegistered or ResponseStatusCode.Conflict
                && (await FindRepeat(index, recordKey, request, fingerprint, assigned, policy, accepted)).Replay is { } repeated)
            {
                return repeated;
            }

            if (created.StatusCode == ResponseStatusCode.OriginatorHasAlreadyRegistered && assigned && attempt < 3)
            {
                ri = string.Concat(ri.AsSpan(0, 1), ResourceIds.RandomString(ResourceIds.RandomLength));
                continue;
            }

            if (created.StatusCode == ResponseStatusCode.Conflict && attempt < 3 && await ReleaseGoneHolder(index, name, ri))
            {
                continue;
            }

            if (created.StatusCode == ResponseStatusCode.Conflict && policy.Type == ResourceType.RemoteCSE)
            {
                return ResourceResponse.Error(ResponseStatusCode.OriginatorHasAlreadyRegistered, $"a CSE named '{name}' is already registered here");
            }

            if (created.StatusCode != ResponseStatusCode.Created)
            {
                return created;
            }

            // A type that completes its attributes when it stores them (a group's validated members) returns them.
            attributes = created.Content as Dictionary<string, object?> ?? attributes;
            LogCreated(Logger, policy.Type, ri);
            var raised = Events.Raise(NotificationEventType.CreateOfDirectChildResource, policy.Type, attributes);
            if (policy.Type == ResourceType.Subscription)
            {
                await SubscriptionWillBeLinked();
                Links.Subscriptions[ri] = Subscription.SubscriptionPolicy.Filter(ri, attributes, Options);
            }

            if (policy.Type == ResourceType.Subscription)
            {
                await WriteLinksAsync(ri);
            }

            if (raised is not null)
            {
                await WriteStateAsync();
                Events.Dispatch(raised);
            }

            return CreatedResponse(request, policy, attributes, accepted, path);
        }
    }

    /// <summary>
    /// The original answer when <paramref name="request"/> repeats a create recorded in <paramref name="index"/>; or,
    /// as <c>Unfinished</c>, the ID the recorded create gave a child whose name and record were stored but not the
    /// child itself; neither for a new request.
    /// </summary>
    private async Task<(ResourceResponse? Replay, string? Unfinished)> FindRepeat(IChildIndexGrain index, string recordKey,
        ResourceRequest request, ulong fingerprint, bool assigned, ResourcePolicy policy, Dictionary<string, object?> accepted)
    {
        if (await index.FindCreate(recordKey, request.RequestIdentifier, fingerprint) is not { } done)
        {
            return (null, null);
        }

        var current = await index.Lookup(done.Name);
        // Read as its originator, or an assigned AE as itself (an anonymous originator may not read it).
        var reader = assigned ? done.ResourceId : request.Originator;
        var known = current?.ResourceId == done.ResourceId ? await LoadChildEntry(current, withAttributes: true, reader) : null;
        if (known?.Attributes is { } stored && policy.Type == ResourceType.Subscription && !Links.Subscriptions.ContainsKey(done.ResourceId))
        {
            // Stored, but its silo died before this grain linked it: link it now.
            await SubscriptionWillBeLinked();
            Links.Subscriptions[done.ResourceId] = Subscription.SubscriptionPolicy.Filter(done.ResourceId, stored, Options);
            await WriteLinksAsync(done.ResourceId);
        }

        return known?.Attributes is not null || current?.ResourceId != done.ResourceId
            ? (ReplayCreate(request, policy, done, known?.Attributes, accepted), null)
            : (null, done.ResourceId);
    }

    /// <summary>
    /// Releases <paramref name="name"/> when the resource holding it in its index shard is gone: deleted by a silo that
    /// died before it released the name. Only the holder knows; it answers after any write of its own in progress.
    /// </summary>
    private async Task<bool> ReleaseGoneHolder(IChildIndexGrain index, string name, string ri)
    {
        if (await index.Lookup(name) is not { } holder || holder.ResourceId == ri
            || GrainFactory.GetClusterResource(holder.ResourceId, Options.CseBaseId) is not { } grain)
        {
            return false;
        }

        if (await grain.IsLiveResource())
        {
            return false;
        }

        await index.Release(name, holder.ResourceId);
        return true;
    }

    public ValueTask<int> ChildIndexShards() => ValueTask.FromResult(Options.CseBaseIndexShards);

    public ValueTask<bool> Listens() => ValueTask.FromResult(_listening || Links.HasSubscriptions);

    /// <summary>
    /// Before its first subscription or watcher is linked (and stored): from now on it listens to its children's
    /// creation, and every index shard knows before the subscription's create is answered, so that an AE registered
    /// by its own grain after that tells it (<see cref="AeRegistered"/>). Never unset while active: an AE that tells
    /// a CSEBase with no subscription left costs a call and raises nothing.
    /// </summary>
    protected override async ValueTask SubscriptionWillBeLinked()
    {
        if (_shardsTold)
        {
            return;
        }

        _listening = true;
        var told = new Task[Options.CseBaseIndexShards];
        for (var shard = 0; shard < told.Length; shard++)
        {
            told[shard] = GrainFactory.GetGrainByKey<IChildIndexGrain>(VirtualIoT.ChildIndexShards.KeyAt(ResourceId, shard)).ParentListens().AsTask();
        }

        await Task.WhenAll(told);
        _shardsTold = true;
    }

    public async ValueTask AeRegistered(Dictionary<string, object?> attributes)
    {
        if (!Links.HasSubscriptions || attributes.GetValueOrDefault(AttributeNames.ResourceId) is not string ri)
        {
            return;
        }

        // The event's originator is the AE's (its registration's originator is its AE-ID).
        Events.Originator = ri;
        LogCreated(Logger, ResourceType.AE, ri);
        var raised = Events.Raise(NotificationEventType.CreateOfDirectChildResource, ResourceType.AE, attributes);
        if (raised is not null)
        {
            await WriteStateAsync();
            Events.Dispatch(raised);
        }
    }

    protected override async ValueTask<ChildReference?> FindChild(string name, string now)
    {
        return await GrainFactory.GetGrainByKey<IChildIndexGrain>(Policies.IndexShardKey(ResourceId, name, Options.CseBaseIndexShards))
            .Lookup(name);
    }

    protected override async ValueTask<List<ChildEntry>> ListChildren(bool withAttributes, int max, string now, string originator)
    {
        var entries = new List<ChildEntry>();
        string? continuation = null;
        do
        {
            var (children, next) = await ReadShards(continuation, now);
            foreach (var child in children)
            {
                if (entries.Count >= max)
                {
                    return entries;
                }

                if (await LoadChildEntry(child, withAttributes, originator) is { } entry)
                {
                    entries.Add(entry);
                }
            }

            continuation = next;
        }
        while (continuation is not null);

        return entries;
    }

    protected override async ValueTask<DiscoveryView> DescribeChildren(FilterCriteria filter, bool matches, string? continuation, string now)
    {
        var (children, next) = await ReadShards(continuation, now);
        return new DiscoveryView(true, State.Path, matches, children, [], next);
    }

    /// <summary>Live children from a batch of shards, starting at the shard named by <paramref name="continuation"/>.</summary>
    private async Task<(List<ChildReference> Children, string? Next)> ReadShards(string? continuation, string now)
    {
        var shard = continuation is null ? 0 : int.Parse(continuation, CultureInfo.InvariantCulture);
        var children = new List<ChildReference>();
        while (shard < Options.CseBaseIndexShards && children.Count < DescribePageSize)
        {
            var batch = Math.Min(ShardBatch, Options.CseBaseIndexShards - shard);
            var reads = new Task<IReadOnlyList<ChildReference>>[batch];
            for (var i = 0; i < batch; i++)
            {
                reads[i] = GrainFactory.GetGrainByKey<IChildIndexGrain>(VirtualIoT.ChildIndexShards.KeyAt(ResourceId, shard + i)).List().AsTask();
            }

            foreach (var list in await Task.WhenAll(reads))
            {
                foreach (var child in list)
                {
                    if (child.ExpirationTime is not { } et || string.CompareOrdinal(et, now) > 0)
                    {
                        children.Add(child);
                    }
                }
            }

            shard += batch;
        }

        var next = shard < Options.CseBaseIndexShards ? shard.ToString(CultureInfo.InvariantCulture) : null;
        return (children, next);
    }

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "The system default notification target policy could not be created: {Rsc} {Reason}")]
    private static partial void LogSystemPolicyNotCreated(ILogger logger, int rsc, string? reason);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Created {Type} {ResourceId} under the CSEBase")]
    private static partial void LogCreated(ILogger logger, ResourceType type, string resourceId);
}
