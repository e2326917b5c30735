using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Request;

/// <summary>
/// A <c>&lt;request&gt;</c> (ty 17), keyed by its <c>ri</c>: what a non-blocking request (<c>rt</c> 1 or 2) asked and,
/// once the operation has run, what it answered (TS-0001 8.2.2, TS-0004 7.3.2.x; attributes and the result
/// notification as ACME builds them). The pipeline opens it before it answers 1001/1002, so a silo failure after that
/// answer loses no record; it runs the operation itself, outside this grain's turns, and completes it here. Its owner
/// is the request's originator. A reminder deletes it at its expiration time (the request's <c>rset</c>, or
/// <see cref="CseOptions.RequestExpiration"/> from its creation); an access after that time finds it missing.
/// </summary>
internal sealed partial class RequestGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<RequestGrain> logger) : ResourceGrain(store, options, logger), IRequestGrain
{
    private const string ExpiryReminder = "request-expiry";

    // Orleans' shortest reminder period; the first tick comes at the expiration time, a later one only if that failed.
    private static readonly TimeSpan s_expiryRetry = TimeSpan.FromMinutes(1);

    protected override ResourcePolicy Policy => RequestPolicy.Rules;

    public async ValueTask<ResourceResponse> Open(NonBlockingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var primitive = request.Request;
        if (Exists)
        {
            // The same request opened again (a repeated call): the stored record; anything else never shares an ID.
            return State.Attributes.GetValueOrDefault(RequestPolicy.RequestId) as string == primitive.RequestIdentifier
                && State.Owner == primitive.Originator
                ? new ResourceResponse(ResponseStatusCode.Created, State.Attributes)
                : ResourceResponse.Error(ResponseStatusCode.Conflict, "the resource ID is already in use");
        }

        var now = Now();
        var accepted = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [AttributeNames.ExpirationTime] = request.ResultExpiration ?? OneM2MTime.Format(UtcNow + Options.RequestExpiration),
            [RequestPolicy.Operation] = (long)primitive.Operation,
            [RequestPolicy.Target] = request.Target,
            [RequestPolicy.Originator] = primitive.Originator,
            [RequestPolicy.RequestId] = primitive.RequestIdentifier,
            [RequestPolicy.MetaInformation] = MetaInformation(request, now),
            [RequestPolicy.RequestStatus] = RequestPolicy.Pending,
        };
        if (primitive.Originator.Length > 0)
        {
            // As ACME does: the originator's ID as a label, so it can discover its requests (fu=1&lbl=…).
            accepted[AttributeNames.Labels] = new List<object?> { primitive.Originator };
        }

        if (primitive.ContentRoot is { } root)
        {
            accepted[RequestPolicy.Content] = new Dictionary<string, object?>(1, StringComparer.Ordinal) { [root] = primitive.Content };
        }

        var name = ResourceFactory.GenerateName(ResourceType.Request);
        var error = ResourceFactory.Build(RequestPolicy.Rules, accepted, ResourceId, name, Options.CseBaseId, now, null, MaxExpiration(),
            primitive.Originator, out var attributes);
        if (error is not null)
        {
            return ResourceResponse.Error(error);
        }

        var shard = Policies.IndexShardKey(Options.CseBaseId, name, Options.CseBaseIndexShards);
        var created = await Initialize(new NewResource(ResourceType.Request, attributes, string.Concat(Options.CseBaseName, "/", name),
            primitive.Originator, shard, Originator: primitive.Originator));
        if (created.StatusCode == ResponseStatusCode.Created)
        {
            await ScheduleExpiry();
        }

        return created;
    }

    public async ValueTask<PendingNotification?> Complete(ResourceResponse outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var now = Now();
        if (!IsLive(now))
        {
            return null;
        }

        var meta = State.Attributes.GetValueOrDefault(RequestPolicy.MetaInformation) as Dictionary<string, object?>;
        var originator = State.Attributes.GetValueOrDefault(RequestPolicy.Originator) as string ?? "";
        var requestId = State.Attributes.GetValueOrDefault(RequestPolicy.RequestId) as string ?? "";
        var content = outcome.Content
            ?? (outcome.Message is { } message ? new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:dbg"] = message } : null);
        var result = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["rsc"] = (long)outcome.StatusCode,
            ["rqi"] = requestId,
            ["to"] = originator,
            ["fr"] = Options.CseId,
            ["ot"] = meta?.GetValueOrDefault("ot"),
            ["rset"] = Expiration,
        };
        if (content is not null)
        {
            result["pc"] = content;
        }

        var modified = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [RequestPolicy.RequestStatus] = outcome.StatusCode.IsError() ? RequestPolicy.Failed : RequestPolicy.Completed,
            [RequestPolicy.OperationResult] = result,
            [AttributeNames.LastModifiedTime] = now,
        };

        // Subscriptions to the <request> hear of its completion as of any update (net 1).
        await StoreOwnUpdate(modified);
        return ResultNotification(meta, originator, requestId, outcome, content);
    }

    public override async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ExpiryReminder)
        {
            await base.ReceiveReminder(reminderName, status);
            return;
        }

        if (Exists && !IsExpired(Now()))
        {
            // Given a later expiration time since (an update of et): wait for that one.
            await ScheduleExpiry();
            return;
        }

        if (Exists)
        {
            await ExpireAsync();
        }
        else
        {
            await ForgetExpiry();
        }
    }

    protected override void Updated(Dictionary<string, object?> accepted)
    {
        if (accepted.ContainsKey(AttributeNames.ExpirationTime))
        {
            // Not awaited in the update's turn: the reminder table is remote. Should this fail, the earlier reminder
            // finds the resource not yet expired and schedules itself again.
            _ = RescheduleExpiry();
        }
    }

    protected override Task WillBeDeleted() => ForgetExpiry();

    /// <summary>The request's other parameters (<c>mi</c>), as ACME records them.</summary>
    private static Dictionary<string, object?> MetaInformation(NonBlockingRequest request, string now)
    {
        var primitive = request.Request;
        var responseType = new Dictionary<string, object?>(StringComparer.Ordinal) { ["rtv"] = (long)request.ResponseType };
        if (request.ResponseTargets is { } targets)
        {
            responseType["nu"] = targets.Select(target => (object?)target).ToList();
        }

        var meta = new Dictionary<string, object?>(StringComparer.Ordinal) { ["ot"] = now, ["rt"] = responseType };
        Add(meta, "ty", primitive.ResourceType is { } type ? (long)type : null);
        Add(meta, "rqet", request.RequestExpiration);
        Add(meta, "rset", request.ResultExpiration);
        Add(meta, "oet", request.ExecutionTime);
        Add(meta, "rcn", primitive.ResultContent is { } rcn ? (long)rcn : null);
        Add(meta, "drt", primitive.IdentifierForm == IdentifierForm.Unstructured ? (long)IdentifierForm.Unstructured : null);
        Add(meta, "rvi", primitive.ReleaseVersion);
        return meta;

        static void Add(Dictionary<string, object?> map, string key, object? value)
        {
            if (value is not null)
            {
                map[key] = value;
            }
        }
    }

    /// <summary>
    /// For nonBlockingRequestAsynch: the result as a notification (<c>m2m:rsp</c>, as ACME sends it) to the request's
    /// <c>rtu</c>, or to its originator when it gave none (the AE's points of access); null otherwise.
    /// </summary>
    private PendingNotification? ResultNotification(Dictionary<string, object?>? meta, string originator, string requestId,
        ResourceResponse outcome, object? content)
    {
        if (meta?.GetValueOrDefault("rt") is not Dictionary<string, object?> rt || rt.GetValueOrDefault("rtv") is not (long)ResponseType.NonBlockingAsynch)
        {
            return null;
        }

        var targets = rt.GetValueOrDefault("nu") is List<object?> nu ? nu.OfType<string>().ToList() : [originator];
        if (targets.Count == 0 || targets[0].Length == 0)
        {
            return null;
        }

        var response = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["rsc"] = (long)outcome.StatusCode,
            ["rqi"] = requestId,
            ["to"] = originator,
            ["fr"] = Options.CseId,
        };
        if (content is not null)
        {
            response["pc"] = content;
        }

        if (meta.GetValueOrDefault("rvi") is string rvi)
        {
            response["rvi"] = rvi;
        }

        var notification = new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:rsp"] = response };
        return new PendingNotification(string.Concat(ResourceId, ":rsp"), targets, notification, 0);
    }

    private async Task RescheduleExpiry()
    {
        try
        {
            await ScheduleExpiry();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogReminderKept(Logger, exception, ResourceId);
        }
    }

    private Task ScheduleExpiry()
    {
        var due = Expiration is { } et && OneM2MTime.TryParse(et, out var at) ? at - UtcNow : TimeSpan.Zero;
        return this.RegisterOrUpdateReminder(ExpiryReminder, due > TimeSpan.Zero ? due : TimeSpan.Zero, s_expiryRetry);
    }

    private async Task ForgetExpiry()
    {
        try
        {
            if (await this.GetReminder(ExpiryReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The reminder comes back once more, finds no resource, and is forgotten then.
            LogReminderKept(Logger, exception, ResourceId);
        }
    }

    [LoggerMessage(EventId = 2702, Level = LogLevel.Debug, Message = "The expiry reminder of request {ResourceId} could not be changed now; it fires at the earlier time and reschedules")]
    private static partial void LogReminderKept(ILogger logger, Exception exception, string resourceId);
}
