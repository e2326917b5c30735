using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Action;

/// <summary>
/// An <c>&lt;action&gt;</c> (ty 65), keyed by its <c>ri</c>, as ACME's action manager runs one. It watches its subject
/// (<c>sri</c>, else its parent) through the subject's outbox, as a subscription does; at each update of the subject it
/// checks <c>evc</c> against the subject's attributes, then its <c>&lt;dependency&gt;</c> children named in
/// <c>dep</c> (a sufficient one that holds settles it, a necessary one that fails too), then its mode: <c>evm</c> 1
/// fires once, 3 at most <c>ecp</c> times (default 1,000), 2 at most once per <c>ecp</c> ms (default 10 s), 0 never.
/// A firing is stored first, then <c>apv</c> goes to <c>orc</c> through <see cref="IActionFiringGrain"/>, outside
/// this turn; its answer becomes <c>air</c>. <c>orc</c> and <c>sri</c> must exist and allow the creator the request's
/// operation (RETRIEVE for <c>sri</c>), and <c>apv/fr</c> must be the creator (4000 otherwise, as ACME).
/// </summary>
internal sealed partial class ActionGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<ActionGrain> logger) : ResourceGrain(store, options, logger), IActionGrain
{
    protected override ResourcePolicy Policy => ActionPolicy.Rules;

    private ActionProgress Progress => (ActionProgress)(State.Specific ??= new ActionProgress
    {
        Remaining = State.Attributes.GetValueOrDefault("ecp") as long? ?? ActionPolicy.DefaultCount,
    });

    protected override async ValueTask<ResourceResponse?> WillBeCreated(NewResource resource)
    {
        var attributes = resource.Attributes;
        var originator = resource.Originator ?? resource.Owner;
        if (attributes.GetValueOrDefault("dep") is List<object?> { Count: > 0 })
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest,
                "dep (dependencies) names <dependency> children of this action: set it by an update once they exist");
        }

        if (await CheckReferences(attributes, originator) is { } refused)
        {
            return refused;
        }

        if (attributes.GetValueOrDefault("sri") is string subject && subject != attributes.ParentId()
            && !await GrainFactory.GetClusterResource(subject, Options.CseBaseId)!.Watch(ActionFilter(ResourceId)))
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"sri (subjectResourceID) '{subject}' is gone");
        }

        return null;
    }

    protected override async ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator)
    {
        if (accepted.ContainsKey("orc") && accepted["orc"] is null)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, "orc (objectResourceID) cannot be removed");
        }

        if (ActionPolicy.Rules.Check!(updated, new ValidationContext(Operation.Update, null, Merged: true)) is { } invalid)
        {
            return ResourceResponse.Error(invalid);
        }

        if (accepted.ContainsKey("orc") || accepted.ContainsKey("apv") || accepted.ContainsKey("sri"))
        {
            if (await CheckReferences(updated, originator) is { } refused)
            {
                return refused;
            }
        }

        if (accepted.GetValueOrDefault("dep") is List<object?> dependencies)
        {
            foreach (var dependency in dependencies)
            {
                if (!Links.Children.Values.Any(c => c.ResourceId == dependency as string && c.Type == ResourceType.Dependency))
                {
                    return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"dep (dependencies): '{dependency}' is not a <dependency> child of this action");
                }
            }
        }

        if (await MoveToSubject(Subject(updated)) is { } gone)
        {
            return gone;
        }

        if (accepted.ContainsKey("evm") || accepted.ContainsKey("ecp"))
        {
            // A new mode starts afresh; firings still unanswered stay to be answered.
            State.Specific = new ActionProgress
            {
                Remaining = updated.GetValueOrDefault("ecp") as long? ?? ActionPolicy.DefaultCount,
                Unanswered = (State.Specific as ActionProgress)?.Unanswered ?? [],
            };
        }

        return null;
    }

    /// <summary>The resource the action watches: <c>sri</c>, else its parent.</summary>
    private string Subject(Dictionary<string, object?> attributes) => attributes.GetValueOrDefault("sri") as string ?? State.ParentId;

    /// <summary>
    /// An update of <c>sri</c> (as ACME allows): the action watches its new subject before the update is stored (4000
    /// when it is gone) and leaves the old one; events the old one sent meanwhile are ignored (<see cref="Accept"/>).
    /// </summary>
    private async ValueTask<ResourceResponse?> MoveToSubject(string subject)
    {
        var previous = Subject(State.Attributes);
        if (subject == previous)
        {
            return null;
        }

        if (GrainFactory.GetClusterResource(subject, Options.CseBaseId) is not { } next || !await next.Watch(ActionFilter(ResourceId)))
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"sri (subjectResourceID) '{subject}' is gone");
        }

        if (GrainFactory.GetClusterResource(previous, Options.CseBaseId) is { } left)
        {
            _ = left.Unwatch(ResourceId);
        }

        return null;
    }

    protected override async Task WillBeDeleted()
    {
        if (State.Attributes.GetValueOrDefault("sri") is string subject && subject != State.ParentId
            && GrainFactory.GetClusterResource(subject, Options.CseBaseId) is { } watched)
        {
            _ = watched.Unwatch(ResourceId);
        }

        if (State.Specific is ActionProgress { Unanswered.Count: > 0 })
        {
            await ForgetWatch(FiringReminder);
        }
    }

    public async ValueTask Accept(ResourceEvent resourceEvent)
    {
        var attributes = State.Attributes;
        if (!IsLive(Now()) || resourceEvent.EventType != NotificationEventType.UpdateOfResource
            || attributes.GetValueOrDefault("evm") is not long mode || mode == ActionPolicy.Off
            || (resourceEvent.Attributes.GetValueOrDefault(AttributeNames.ResourceId) is string source && source != Subject(attributes)))
        {
            return; // off, or an event of a subject the action has left (sri updated) on its way
        }

        var progress = Progress;
        var now = UtcNow;
        if (progress.LastEvent == resourceEvent.EventId
            || (mode == ActionPolicy.Once && progress.Fired)
            || (mode == ActionPolicy.Continuous && progress.Remaining <= 0)
            || (mode == ActionPolicy.Periodic && now < progress.NextPeriod)
            || !EvalCriteria.Holds(attributes.GetValueOrDefault("evc"), resourceEvent.Attributes)
            || !await DependenciesHold(attributes))
        {
            return;
        }

        // Recorded before the request goes, so that a repeated event does not fire twice, and the firing kept until
        // its answer comes, so that a firing whose request was lost with a silo is sent again (ActionGrain.Firings.cs).
        var firing = new ActionFiring(resourceEvent.EventId, (string)attributes["orc"]!, ActionRequest(attributes));
        var before = (progress.LastEvent, progress.Fired, progress.Remaining, progress.NextPeriod);
        progress.LastEvent = resourceEvent.EventId;
        progress.Fired = true;
        progress.Remaining--;
        progress.NextPeriod = now.AddMilliseconds(attributes.GetValueOrDefault("ecp") as long? ?? ActionPolicy.DefaultPeriod);
        if (progress.Unanswered.Count == 0)
        {
            await KeepWatch(FiringReminder, FiringReminderPeriod);
        }

        progress.Unanswered.Add(firing);
        try
        {
            await WriteStateAsync();
        }
        catch
        {
            (progress.LastEvent, progress.Fired, progress.Remaining, progress.NextPeriod) = before;
            progress.Unanswered.Remove(firing);
            throw;
        }

        LogFiring(Logger, ResourceId, resourceEvent.EventId);
        Send(firing);
    }

    /// <summary><c>dep</c>: every dependency that is not sufficient (<c>sfc</c> false) holds, or a sufficient one does (as ACME).</summary>
    private async ValueTask<bool> DependenciesHold(Dictionary<string, object?> attributes)
    {
        if (attributes.GetValueOrDefault("dep") is not List<object?> { Count: > 0 } dependencies)
        {
            return true;
        }

        var satisfied = false;
        foreach (var id in dependencies.OfType<string>())
        {
            var dependency = await GrainFactory.GetGrain<IDependencyGrain>(id).AttributesFor(State.Owner);
            if (dependency?.GetValueOrDefault("rri") is not string referenced
                || GrainFactory.GetClusterResource(referenced, Options.CseBaseId) is not { } grain
                || await grain.AttributesFor(State.Owner) is not { } values)
            {
                continue; // gone or not readable: left out, as ACME skips a missing one
            }

            var sufficient = dependency.GetValueOrDefault("sfc") is true;
            if (EvalCriteria.Holds(dependency.GetValueOrDefault("evc"), values))
            {
                satisfied = true;
                if (sufficient)
                {
                    break;
                }
            }
            else if (!sufficient)
            {
                return false;
            }
        }

        return satisfied;
    }

    /// <summary>
    /// Resolves <c>orc</c> and <c>sri</c> to resource IDs of this CSE (structured addresses too) and checks that
    /// <paramref name="originator"/> may send <c>apv</c> to <c>orc</c> and retrieve <c>sri</c>, and is <c>apv/fr</c>.
    /// </summary>
    private async ValueTask<ResourceResponse?> CheckReferences(Dictionary<string, object?> attributes, string originator)
    {
        var primitive = (Dictionary<string, object?>)attributes["apv"]!;
        if (AccessPolicies.Forms.Normalize((string)primitive["fr"]!) != originator)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"apv/fr '{primitive["fr"]}' must be the originator, {originator}");
        }

        foreach (var (name, operation) in new[] { ("orc", (Operation)(long)primitive["op"]!), ("sri", Operation.Retrieve) })
        {
            if (attributes.GetValueOrDefault(name) is not string reference)
            {
                continue;
            }

            var ri = await ResolveReference(reference);
            if (ri is null || ri == ResourceId || GrainFactory.GetClusterResource(ri, Options.CseBaseId) is not { } grain
                || !(IsAdmin(originator) || await grain.Allows(originator, operation)))
            {
                return ResourceResponse.Error(ResponseStatusCode.BadRequest,
                    $"{name}: '{reference}' is not a resource of this CSE that {originator} may {operation.ToString().ToLowerInvariant()}");
            }

            if (operation == Operation.Notify && ResourceIds.Classify(ri, Options.CseBaseId) != ResourceType.AE)
            {
                // As a client's NOTIFY: only an AE receives one here.
                return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"orc: '{reference}' is no <AE>; only an AE receives the NOTIFY of apv");
            }

            attributes[name] = ri;
        }

        return null;
    }

    /// <summary><c>apv</c> as the request the target executes: a copy, so that the target never shares the stored value.</summary>
    private static ResourceRequest ActionRequest(Dictionary<string, object?> attributes)
    {
        var primitive = (Dictionary<string, object?>)attributes["apv"]!;
        var content = primitive.GetValueOrDefault("pc") as Dictionary<string, object?>;
        var root = content?.Keys.First();
        return new ResourceRequest
        {
            Operation = (Operation)(long)primitive["op"]!,
            Originator = (string)primitive["fr"]!,
            RequestIdentifier = primitive.GetValueOrDefault("rqi") as string ?? "actr" + Guid.NewGuid().ToString("N"),
            ReleaseVersion = primitive.GetValueOrDefault("rvi") as string ?? "3",
            ResourceType = primitive.GetValueOrDefault("ty") is long type ? (ResourceType)type : null,
            ResultContent = primitive.GetValueOrDefault("rcn") is long rcn ? (ResultContent)rcn : null,
            ContentRoot = root,
            Content = root is null ? null : Copy(content![root]) as Dictionary<string, object?>,
        };
    }

    private static object? Copy(object? value) => value switch
    {
        Dictionary<string, object?> map => map.ToDictionary(e => e.Key, e => Copy(e.Value), StringComparer.Ordinal),
        List<object?> list => list.ConvertAll(Copy),
        _ => value,
    };

    [LoggerMessage(EventId = 2950, Level = LogLevel.Debug, Message = "Action {ActionId} fires on event {EventId}")]
    private static partial void LogFiring(ILogger logger, string actionId, string eventId);
}
