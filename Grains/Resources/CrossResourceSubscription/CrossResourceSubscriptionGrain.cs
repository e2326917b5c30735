using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Subscription;
using static VirtualIoT.Grains.Resources.CrossResourceSubscription.CrossResourceSubscriptionPolicy;

namespace VirtualIoT.Grains.Resources.CrossResourceSubscription;

/// <summary>
/// A <c>&lt;crossResourceSubscription&gt;</c> (ty 48), keyed by its <c>ri</c>, under the CSEBase or an AE. As ACME does,
/// its creation (by the creator's rights) makes a subscription on every <c>rrat</c> target (<c>nu</c> and <c>acrs</c>
/// naming this resource, <c>enc</c> from <c>encs</c>, its <c>et</c> and <c>nec</c>), listed in <c>rrats</c>, and adds
/// this resource to the <c>nu</c> and <c>acrs</c> of every <c>srat</c> subscription; should one fail, what was done is
/// undone and the create answers 5221. Those subscriptions notify this resource through the delivery worker, in the
/// cluster; the time windows (Windows.cs) turn their notifications into this resource's own. Its deletion (request,
/// expiry, its parent's, <c>exc</c> spent) deletes the <c>rrats</c> and takes this resource out of the <c>srat</c>
/// subscriptions; the deletion of one of those subscriptions deletes this resource (as ACME does).
/// </summary>
internal sealed partial class CrossResourceSubscriptionGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<CrossResourceSubscriptionGrain> logger) : ResourceGrain(store, options, logger), ICrossResourceSubscriptionGrain
{
    // The srat subscriptions resolved while creating, stored once the resource is.
    private List<string>? _resolvedSubscriptions;

    // Set while this resource deletes itself: notifications and deletions of its subscriptions are then ignored.
    private bool _deleting;

    // The subscription whose deletion deletes this resource: already gone, so not deleted again.
    private string? _deletedSubscription;

    protected override ResourcePolicy Policy => Rules;

    private string Reference => string.Concat(Options.CseId, "/", ResourceId);

    private CrossResourceTargets Subscriptions => Specific<CrossResourceTargets>();

    protected override async ValueTask<ResourceResponse?> WillBeCreated(NewResource resource)
    {
        var attributes = resource.Attributes;
        var originator = resource.Originator ?? resource.Owner;
        var reference = string.Concat(Options.CseId, "/", attributes.ResourceId());
        if (await NotificationTargetVerifier.Verify(GrainFactory, Options, reference, attributes.ResourceId(), attributes, originator, []) is { } unverified)
        {
            return unverified;
        }

        var added = new List<string>();
        var made = new List<object?>();
        foreach (var target in CrossResourceSubscriptionPolicy.Targets(attributes, SubscriptionTargets))
        {
            var (subscription, failure) = await AddToSubscription(target, reference, originator);
            if (failure is not null)
            {
                await Undo(made, added, reference);
                return failure;
            }

            added.Add(subscription!);
        }

        var regular = CrossResourceSubscriptionPolicy.Targets(attributes, RegularTargets);
        for (var i = 0; i < regular.Count; i++)
        {
            var (subscription, failure) = await Subscribe(regular[i], i, attributes, reference, originator);
            if (failure is not null)
            {
                await Undo(made, added, reference);
                return failure;
            }

            made.Add(subscription);
        }

        if (regular.Count > 0)
        {
            attributes[RegularTargetSubscriptions] = made;
        }

        _resolvedSubscriptions = added;
        return null;
    }

    protected override async ValueTask Created(NewResource resource)
    {
        if (_resolvedSubscriptions is { Count: > 0 } resolved)
        {
            Subscriptions.SubscriptionIds = resolved;
            await WriteStateAsync();
        }

        _resolvedSubscriptions = null;
        OpenWindows();
    }

    protected override async ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator)
    {
        if (Rules.Check!(updated, new ValidationContext(Operation.Update, null, Merged: true)) is { } invalid)
        {
            return ResourceResponse.Error(invalid);
        }

        if (accepted.TryGetValue(AttributeNames.NotificationStatsEnable, out var nse) && nse is not false)
        {
            // As a subscription's: statistics turned on (again) start afresh, absent until the first is counted.
            updated.Remove(AttributeNames.NotificationStatsInfo);
        }

        return accepted.ContainsKey(AttributeNames.NotificationUri)
            ? await NotificationTargetVerifier.Verify(GrainFactory, Options, Reference, ResourceId, updated, originator, [])
            : null;
    }

    protected override void Updated(Dictionary<string, object?> accepted)
    {
        if (accepted.ContainsKey(WindowType) || accepted.ContainsKey(WindowSize))
        {
            // As ACME: a new window type or size closes the open window unevaluated and starts afresh.
            CloseWindows();
            OpenWindows();
        }
    }

    protected override async Task WillBeDeleted()
    {
        _deleting = true;
        CloseWindows();
        await ForgetWatch();
        var made = State.Attributes.GetValueOrDefault(RegularTargetSubscriptions) as List<object?> ?? [];
        await Undo(made, Subscriptions.SubscriptionIds, Reference);
        if (State.Attributes.SubscriberUri() is { } subscriber)
        {
            var content = NotificationContent.Signal(
                new Dictionary<string, object?>(StringComparer.Ordinal) { [NotificationMembers.SubscriptionDeletion] = true }, State.Attributes, Reference);
            await GrainFactory.GetGrain<IDeliveryGrain>(0).SendNow(new PendingNotification(string.Concat(ResourceId, ":sud"), [subscriber], content, 0));
        }
    }

    public async ValueTask SubscriptionDeleted(string subscriptionId)
    {
        if (!Exists || _deleting || !Feeds(subscriptionId))
        {
            return;
        }

        LogSubscriptionGone(Logger, ResourceId, subscriptionId);
        _deletedSubscription = subscriptionId;
        await DeleteSelfAsync();
    }

    /// <summary>Whether <paramref name="subscriptionId"/> (SP-relative) is one of the subscriptions feeding this resource.</summary>
    private bool Feeds(string subscriptionId) =>
        Subscriptions.SubscriptionIds.Contains(subscriptionId)
        || (State.Attributes.GetValueOrDefault(RegularTargetSubscriptions) is List<object?> made && made.Contains(subscriptionId));

    /// <summary>The resource ID named by a target (structured, bare, SP-relative or absolute), or null.</summary>
    private async ValueTask<string?> Resolve(string target)
    {
        if (await ResolveStructuredId(target) is { } ri)
        {
            return ri;
        }

        return ResourceIdForms.ToCseRelative(Options, target) is { Length: > 0 } relative && !relative.Contains('/', StringComparison.Ordinal) ? relative : null;
    }

    /// <summary>Creates the subscription on the <paramref name="index"/>-th <c>rrat</c> target; its SP-relative ID, or the failure (5221).</summary>
    private async Task<(string? Subscription, ResourceResponse? Failure)> Subscribe(string target, int index, Dictionary<string, object?> attributes,
        string reference, string originator)
    {
        if (await Resolve(target) is not { } ri || GrainFactory.GetResourceGrain(ri, Options.CseBaseId) is not { } grain)
        {
            return (null, Failed($"rrat target '{target}' is not a resource of this CSE"));
        }

        var content = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [AttributeNames.NotificationUri] = new List<object?> { reference },
            [AttributeNames.AssociatedCrossResourceSub] = new List<object?> { reference },
            [AttributeNames.EventNotificationCriteria] = CriteriaFor(attributes, index),
        };
        if (attributes.ExpirationTime() is { } et)
        {
            content[AttributeNames.ExpirationTime] = et;
        }

        if (attributes.GetValueOrDefault(AttributeNames.NotificationEventCat) is long nec)
        {
            content[AttributeNames.NotificationEventCat] = nec;
        }

        var created = await grain.Execute(new ResourceRequest
        {
            Operation = Operation.Create,
            Originator = originator,
            RequestIdentifier = string.Concat(reference, ":rrat:", index.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ResourceType = ResourceType.Subscription,
            ContentRoot = ResourceTypeRegistry.RootKey(ResourceType.Subscription),
            Content = content,
            IdentifierForm = IdentifierForm.Unstructured,
            ResultContent = ResultContent.Nothing,
        });
        return created.StatusCode == ResponseStatusCode.Created && created.Location is { } location
            ? (string.Concat(Options.CseId, "/", location[(location.LastIndexOf('/') + 1)..]), null)
            : (null, Failed($"no subscription could be created on rrat target '{target}': {(int)created.StatusCode} {created.Message}"));
    }

    /// <summary>Adds this resource to the <c>nu</c> and <c>acrs</c> of an <c>srat</c> subscription; its SP-relative ID, or the failure.</summary>
    private async Task<(string? Subscription, ResourceResponse? Failure)> AddToSubscription(string target, string reference, string originator)
    {
        if (await Resolve(target) is not { } ri || GrainFactory.GetClusterResource(ri, Options.CseBaseId) is not { } grain)
        {
            return (null, Failed($"srat target '{target}' is not a resource of this CSE"));
        }

        if (ResourceIds.Classify(ri, Options.CseBaseId) != ResourceType.Subscription)
        {
            return (null, ResourceResponse.Error(ResponseStatusCode.BadRequest, $"srat target '{target}' is not a subscription"));
        }

        if (await grain.AttributesFor(originator) is not { } subscription)
        {
            return (null, Failed($"srat subscription '{target}' cannot be retrieved by {originator}"));
        }

        var updated = await ChangeSubscription(grain, subscription, reference, add: true, originator);
        return updated == ResponseStatusCode.Updated
            ? (string.Concat(Options.CseId, "/", ri), null)
            : (null, Failed($"srat subscription '{target}' could not be updated: {(int)updated}"));
    }

    /// <summary>Adds this resource to (or takes it out of) a subscription's <c>nu</c> and <c>acrs</c>.</summary>
    private static async Task<ResponseStatusCode> ChangeSubscription(IClusterResourceGrain grain, Dictionary<string, object?> subscription, string reference,
        bool add, string originator)
    {
        var targets = subscription.NotificationTargets();
        var associated = subscription.AssociatedCrossResourceSubscriptions();
        targets.Remove(reference);
        associated.Remove(reference);
        if (add)
        {
            targets.Add(reference);
            associated.Add(reference);
        }
        else if (targets.Count == 0)
        {
            // nu may not be empty: a subscription that only fed this resource keeps it as its target, and its
            // notifications are then ignored here.
            targets.Add(reference);
        }

        var response = await grain.Execute(new ResourceRequest
        {
            Operation = Operation.Update,
            Originator = originator,
            RequestIdentifier = string.Concat(reference, add ? ":srat:add:" : ":srat:remove:", subscription.ResourceId()),
            ContentRoot = ResourceTypeRegistry.RootKey(ResourceType.Subscription),
            Content = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                [AttributeNames.NotificationUri] = targets.Cast<object?>().ToList(),
                [AttributeNames.AssociatedCrossResourceSub] = associated.Cast<object?>().ToList(),
            },
            IdentifierForm = IdentifierForm.Unstructured,
            ResultContent = ResultContent.Nothing,
        });
        return response.StatusCode;
    }

    /// <summary>Deletes the subscriptions made for <c>rrat</c> and takes this resource out of the <c>srat</c> ones (as CAdmin: cleanup).</summary>
    private async Task Undo(List<object?> made, List<string> added, string reference)
    {
        foreach (var subscription in made.OfType<string>())
        {
            if (subscription == _deletedSubscription || NotificationTargetVerifier.LocalId(Options, subscription) is not { } ri
                || GrainFactory.GetResourceGrain(ri, Options.CseBaseId) is not { } grain)
            {
                continue;
            }

            var deleted = await grain.Execute(new ResourceRequest
            {
                Operation = Operation.Delete,
                Originator = Options.AdminOriginator,
                RequestIdentifier = string.Concat(reference, ":delete:", ri),
            });
            if (deleted.StatusCode is not (ResponseStatusCode.Deleted or ResponseStatusCode.NotFound))
            {
                LogNotUndone(Logger, reference, subscription, (int)deleted.StatusCode);
            }
        }

        foreach (var subscription in added)
        {
            if (subscription == _deletedSubscription || NotificationTargetVerifier.LocalId(Options, subscription) is not { } ri
                || GrainFactory.GetClusterResource(ri, Options.CseBaseId) is not { } grain
                || await grain.AttributesFor(Options.AdminOriginator) is not { } attributes)
            {
                continue;
            }

            var changed = await ChangeSubscription(grain, attributes, reference, add: false, Options.AdminOriginator);
            if (changed != ResponseStatusCode.Updated)
            {
                LogNotUndone(Logger, reference, subscription, (int)changed);
            }
        }
    }

    private static ResourceResponse Failed(string message) => ResourceResponse.Error(ResponseStatusCode.CrossResourceOperationFailure, message);

    [LoggerMessage(EventId = 2951, Level = LogLevel.Warning, Message = "Cross-resource subscription {ResourceId}: subscription {SubscriptionId} not cleaned up ({Rsc})")]
    private static partial void LogNotUndone(ILogger logger, string resourceId, string subscriptionId, int rsc);

    [LoggerMessage(EventId = 2952, Level = LogLevel.Debug, Message = "Cross-resource subscription {ResourceId}: its subscription {SubscriptionId} was deleted, so it deletes itself")]
    private static partial void LogSubscriptionGone(ILogger logger, string resourceId, string subscriptionId);
}
