using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Remote;
using VirtualIoT.Gateway.Security;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// The binding-neutral half of every protocol binding: a parsed request primitive and its parsed target address go
/// in, the response primitive comes out. Resolves the address (<see cref="AddressResolver"/>), makes the one grain
/// call (discovery, retrieve or execute), retries once when a cached address named a deleted resource, and evicts
/// a deleted resource's address from the cache. When the cluster cannot reach the grain (a silo died and membership
/// has not yet moved its resources), it retries what is safe to repeat (creates under an AE or a container
/// included: their parents answer a repeated request identifier with the original resource) and otherwise answers 5000 with
/// <c>Retry-After</c> (<see cref="ClusterFailurePolicy"/>). HTTP and MQTT both end here, so a request is answered
/// the same way whichever binding carried it.
/// </summary>
public sealed partial class RequestDispatcher : IAsyncDisposable
{
    private readonly AddressResolver _resolver;
    private readonly IDiscoveryGrain _discovery;
    private readonly IGrainFactory _grains;
    private readonly IDeliveryGrain _delivery;
    private readonly ClusterFailurePolicy _failures;
    private readonly RequestAdmission? _admission;
    private readonly ILogger _logger;
    private readonly int _fanOutParallelism;
    private readonly TimeSpan _maxExecutionDelay;
    private readonly TimeSpan _pollWait;
    private readonly SiloLossSignal? _siloLoss;
    private readonly RemoteCseForwarder? _forwarder;
    private readonly bool _marksRegistrations = true;

    /// <summary>Creates the dispatcher.</summary>
    /// <param name="grains">The cluster's grains.</param>
    /// <param name="resolver">Address resolution.</param>
    /// <param name="options">Retry budget and limits.</param>
    /// <param name="admission">Request limits.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="siloLoss">A standalone gateway's signal of a lost silo (null in a silo, whose runtime breaks calls to dead silos itself).</param>
    /// <param name="forwarder">Retargeting of requests addressed to other CSEs (null: such requests are 4004).</param>
    /// <param name="services">This process's services: whether AE registrations sent to the AE are marked as creates (<see cref="UnstoredRecord.MarksFor"/>).</param>
    public RequestDispatcher(IGrainFactory grains, AddressResolver resolver, IOptions<GatewayOptions> options, RequestAdmission admission, ILogger<RequestDispatcher> logger,
        SiloLossSignal? siloLoss = null, RemoteCseForwarder? forwarder = null, IServiceProvider? services = null)
        : this(grains, resolver, ClusterFailurePolicy.From(options?.Value!), logger, admission, options!.Value.GroupFanOutParallelism)
    {
        _maxExecutionDelay = options!.Value.MaxExecutionDelay;
        _pollWait = options.Value.PollWait;
        _siloLoss = siloLoss;
        _forwarder = forwarder;
        _marksRegistrations = services is null || UnstoredRecord.MarksFor(services);
    }

    /// <summary>Creates the dispatcher with an explicit failure policy (tests: a fake clock) and optional limits.</summary>
    internal RequestDispatcher(IGrainFactory grains, AddressResolver resolver, ClusterFailurePolicy failures, ILogger logger, RequestAdmission? admission = null,
        int fanOutParallelism = 64)
    {
        _fanOutParallelism = fanOutParallelism;
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(failures);
        ArgumentNullException.ThrowIfNull(logger);
        _resolver = resolver;
        _failures = failures;
        _admission = admission;
        _logger = logger;
        _maxExecutionDelay = new GatewayOptions().MaxExecutionDelay;
        _pollWait = new GatewayOptions().PollWait;

        // IDiscoveryGrain is a stateless worker: one reference serves every request.
        _discovery = grains.GetGrain<IDiscoveryGrain>(0);
        _grains = grains;

        // A stateless worker too: forwarded NOTIFY requests (ForwardNotifyAsync).
        _delivery = grains.GetGrain<IDeliveryGrain>(0);
    }

    /// <summary>True for a discovery request (<c>fu=1</c>).</summary>
    public static bool IsDiscovery(ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Filter?.Usage == FilterUsage.Discovery;
    }

    /// <summary>
    /// Reads a request's timing parameters against this gateway's clock (<see cref="RequestTiming.Parse"/>): 4008 for
    /// an expired request, 4000 for contradicting or malformed times.
    /// </summary>
    public ParseResult<RequestTiming> ParseTiming(TimingParameters parameters) =>
        RequestTiming.Parse(parameters, _failures.Time.GetUtcNow(), _maxExecutionDelay);

    /// <summary>True when <paramref name="timing"/> asks to run later than now (a future <c>oet</c>).</summary>
    /// <remarks>
    /// A non-blocking request is never deferred: it is answered at once and waits for its <c>oet</c> in the background.
    /// </remarks>
    public bool IsDeferred(RequestTiming timing) => !timing.NonBlocking && timing.DelayFrom(_failures.Time.GetUtcNow()) > TimeSpan.Zero;

    /// <summary>
    /// Answers <paramref name="request"/> once its operation execution time (<c>oet</c>) has come: the wait is a
    /// timer, holding no thread and no grain turn, bounded by <c>rqet</c> and the configured maximum
    /// (<see cref="GatewayOptions.MaxExecutionDelay"/>), both checked when the timing was parsed. A non-blocking request
    /// (<c>rt</c> 1 or 2) is answered at once instead, and carried out in the background (RequestDispatcher.NonBlocking.cs).
    /// </summary>
    /// <remarks>
    /// Not an async method: a request to be answered now (the usual case) goes straight on to
    /// <see cref="DispatchAsync(ResourceRequest, ParsedAddress, CancellationToken)"/> without a state machine of its own.
    /// </remarks>
    public ValueTask<ResourceResponse> DispatchAsync(ResourceRequest request, ParsedAddress address, RequestTiming timing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (timing.OriginatingTimestamp is { } sent)
        {
            ObserveClock(request.Originator, sent);
        }

        if (timing.NonBlocking)
        {
            return AcceptNonBlockingAsync(request, address, timing);
        }

        var delay = timing.DelayFrom(_failures.Time.GetUtcNow());
        return delay > TimeSpan.Zero
            ? DispatchLaterAsync(request, address, timing, delay, cancellationToken)
            : DispatchAsync(WithTiming(request, timing), address, cancellationToken);
    }

    // A request with a future oet: dispatched once the delay has passed.
    private async ValueTask<ResourceResponse> DispatchLaterAsync(ResourceRequest request, ParsedAddress address, RequestTiming timing, TimeSpan delay,
        CancellationToken cancellationToken)
    {
        await Task.Delay(delay, _failures.Time, cancellationToken);
        return await DispatchAsync(WithTiming(request, timing), address, cancellationToken);
    }

    // The request with the timing parameters the target needs (rqet, rset, rt), unchanged when it has none.
    private static ResourceRequest WithTiming(ResourceRequest request, RequestTiming timing) =>
        timing.RequestExpiration is not null || timing.ResultExpiration is not null || timing.ResponseType != ResponseType.Blocking
            ? request with { RequestExpiration = timing.RequestExpiration, ResultExpiration = timing.ResultExpiration, ResponseType = timing.ResponseType }
            : request;

    /// <summary>
    /// A request whose originating timestamp (<c>ot</c>) is at least <see cref="TimeSync.SmallestDrift"/> off the CSE's
    /// clock is reported to its originator's <see cref="ITimeSyncRequesterGrain"/>, one-way, for the
    /// loss-of-synchronization beacons (<c>bcnc</c> 2) watching it; a request in step costs nothing.
    /// </summary>
    private void ObserveClock(string originator, DateTimeOffset sent)
    {
        var drift = sent - _failures.Time.GetUtcNow();
        if (drift.Duration() >= TimeSync.SmallestDrift && originator.Length > 0)
        {
            _ = _grains.GetGrain<ITimeSyncRequesterGrain>(originator).Drifted(drift);
        }
    }

    /// <summary>Answers <paramref name="request"/> addressed to <paramref name="address"/>.</summary>
    public ValueTask<ResourceResponse> DispatchAsync(ResourceRequest request, ParsedAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);

        // Limits (requests per originator, attribute sizes) before any grain call: Security/RequestAdmission.cs.
        if (_admission?.Admit(request) is { } refused)
        {
            return new(refused);
        }

        return DispatchAdmittedAsync(request, address, cancellationToken);
    }

    // A request past admission: one for another CSE retargeted, a NOTIFY forwarded, anything else through the retry loop.
    private ValueTask<ResourceResponse> DispatchAdmittedAsync(ResourceRequest request, ParsedAddress address, CancellationToken cancellationToken)
    {
        if (address.IsRemote)
        {
            return _forwarder is null
                ? new(ResourceResponse.Error(ResponseStatusCode.NotFound, $"'{address.RemoteTarget}' addresses another CSE, and this gateway does not forward"))
                : _forwarder.ForwardAsync(request, address, _failures.Time, cancellationToken);
        }

        if (request.Operation == Operation.Notify)
        {
            return ForwardNotifyAsync(request, address);
        }

        return DispatchWithRetriesAsync(request, address, IsDiscovery(request), cancellationToken);
    }

    // One async method for the retry loop and the calls, so a request costs one state machine.
    private async ValueTask<ResourceResponse> DispatchWithRetriesAsync(ResourceRequest request, ParsedAddress address, bool discovery, CancellationToken cancellationToken)
    {
        long started = 0;
        var groupRequestAdmitted = false;
        CancellationToken lost = default;
        for (var attempt = 1; ; attempt++)
        {
            // Set while a grain call that must not be repeated is on its way: its failure leaves the outcome unknown.
            var unrepeatableCallSent = false;
            try
            {
                var target = await _resolver.ResolveAsync(address);
                if (!target.IsSuccess)
                {
                    return ResourceResponse.Error(target.Error);
                }

                if (request.GroupRequestIdentifier is not null && !groupRequestAdmitted)
                {
                    // Once, whatever the retries: a repeat of this very request is not a second arrival.
                    groupRequestAdmitted = true;
                    if (await AdmitGroupRequestAsync(request.GroupRequestIdentifier, target.Value) is { } repeated)
                    {
                        return repeated;
                    }
                }

                unrepeatableCallSent = !IsSafeToRepeat(request, target.Value);
                ResourceResponse response;
                if (!unrepeatableCallSent && _siloLoss is not null)
                {
                    // Safe to repeat: stop waiting at once if a silo is lost meanwhile (SiloLossSignal), and repeat it.
                    lost = _siloLoss.Token;
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lost);
                    response = await CallAsync(request, target.Value, discovery, linked.Token);
                }
                else
                {
                    response = await CallAsync(request, target.Value, discovery, cancellationToken);
                }

                unrepeatableCallSent = false;
                if (response.TargetMissing && target.Value.FromCache)
                {
                    // The cached address names a deleted resource; a resource of that name may exist again elsewhere.
                    _resolver.Forget(address);
                    target = await _resolver.ResolveAsync(address, useCache: false);
                    if (!target.IsSuccess)
                    {
                        return ResourceResponse.Error(target.Error);
                    }

                    unrepeatableCallSent = !IsSafeToRepeat(request, target.Value);
                    response = await CallAsync(request, target.Value, discovery, cancellationToken);
                    unrepeatableCallSent = false;
                }

                if (response.ConsultFirst is { } consult)
                {
                    // No policy granted it; the target names dynamic authorization servers (RequestDispatcher.DynamicAuthorization.cs).
                    response = await ConsultAsync(request, response, consult, target.Value, discovery, cancellationToken);
                }

                if (request.Operation == Operation.Delete && response.StatusCode == ResponseStatusCode.Deleted && target.Value.SubTarget is null)
                {
                    _resolver.Forget(address);
                }

                return response;
            }
            catch (Exception ex) when ((ClusterFailurePolicy.IsUnavailable(ex) || (ex is OperationCanceledException && lost.IsCancellationRequested))
                && !cancellationToken.IsCancellationRequested)
            {
                lost = default;
                if (unrepeatableCallSent)
                {
                    Log.OutcomeUnknown(_logger, request.Operation, ex.GetType().Name);
                    return _failures.OutcomeUnknown(ex);
                }

                if (attempt == 1)
                {
                    started = _failures.Time.GetTimestamp();
                }

                if (_failures.NextDelay(attempt, started) is not { } delay)
                {
                    Log.GaveUp(_logger, request.Operation, attempt, ex.GetType().Name);
                    return _failures.NotCarriedOut(ex, attempt);
                }

                Log.Retrying(_logger, request.Operation, attempt, ex.GetType().Name, delay.TotalMilliseconds);
                await _failures.DelayAsync(delay, cancellationToken);
            }
        }
    }

    /// <summary>
    /// A NOTIFY addressed to an <c>&lt;AE&gt;</c> is forwarded to the AE (its MQTT connection or its <c>poa</c>, as
    /// the CSE's own notifications go) and answered with the AE's status and content, as ACME does; 5103 when no route
    /// answered.
    /// Any other target is not notifiable here (4000, as ACME). The originator needs NOTIFY on the AE (4103).
    /// </summary>
    private async ValueTask<ResourceResponse> ForwardNotifyAsync(ResourceRequest request, ParsedAddress address)
    {
        if (request.ContentRoot is not ("m2m:sgn" or "m2m:agn" or "m2m:rsp"))
        {
            return NotANotification(request);
        }

        var target = await _resolver.ResolveAsync(address);
        if (!target.IsSuccess)
        {
            return ResourceResponse.Error(target.Error);
        }

        if (target.Value.SubTarget is AddressResolver.PollingChannelUri && target.Value.Grain is IPollingChannelUriGrain channel)
        {
            // An AE answering a request it polled (TS-0004 7.4.16.2.x, as ACME): the response goes to its waiting sender.
            return await channel.Respond(request.Originator, request.ContentRoot, request.Content);
        }

        if (request.ContentRoot is "m2m:rsp")
        {
            return NotANotification(request);
        }

        var aeId = target.Value.ResourceId;
        if (target.Value.SubTarget is not null || ResourceIds.Classify(aeId, _resolver.CseBaseId) != ResourceType.AE)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, "target is not notifiable: only an <AE> receives a NOTIFY here");
        }

        if (await target.Value.Grain.AsReference<INotificationTargetGrain>().AdmitNotify(request.Originator) is { } refused)
        {
            return refused;
        }

        var content = new Dictionary<string, object?>(1, StringComparer.Ordinal) { [request.ContentRoot ?? "m2m:sgn"] = request.Content };
        var answer = await _delivery.Forward(aeId, new PendingNotification(request.RequestIdentifier, [aeId], content, 0, Originator: request.Originator));
        return NotificationAnswer.Relayed(aeId, answer);
    }

    private static ResourceResponse NotANotification(ResourceRequest request) =>
        ResourceResponse.Error(ResponseStatusCode.BadRequest,
            $"the content of a NOTIFY is a notification (m2m:sgn or m2m:agn), or a polled request's response (m2m:rsp) sent to a pcu, not {request.ContentRoot ?? "nothing"}; a create names its ty in Content-Type");

    private bool IsSafeToRepeat(ResourceRequest request, ResolvedTarget target) =>
        ClusterFailurePolicy.IsSafeToRepeat(request, ResourceIds.Classify(target.ResourceId, _resolver.CseBaseId));

    private ValueTask<ResourceResponse> CallAsync(ResourceRequest request, ResolvedTarget target, bool discovery, CancellationToken cancellationToken,
        int fanOutDepth = 0, FanOutScope? fanOutScope = null)
    {
        if (target.SubTarget is not null || target.ExpectedName is not null)
        {
            request = request with { SubTarget = target.SubTarget, ExpectedName = target.ExpectedName };
        }

        if (AddressResolver.IsFanOut(target.SubTarget) && target.Grain is IFanOutPointGrain group)
        {
            return FanOutAsync(group, request, discovery, fanOutDepth, cancellationToken, fanOutScope);
        }

        if (target.SubTarget is AddressResolver.PollingChannelUri && target.Grain is IPollingChannelUriGrain channel
            && request.Operation == Operation.Retrieve && !discovery)
        {
            return PollAsync(channel, request, cancellationToken);
        }

        if (target.SubTarget is AddressResolver.NotificationTargetSelfReference && target.Grain is INotificationTargetSelfReferenceGrain subscription)
        {
            return SelfRemovalAsync(subscription, request);
        }

        if (discovery)
        {
            return _discovery.Discover(target.ResourceId, request, cancellationToken);
        }

        if (AeRegistrations.RegistersDirectly(request, target.ResourceId, _resolver.CseBaseId))
        {
            return RegisterAsync(target.Grain, request, cancellationToken);
        }

        return request.Operation switch
        {
            // A retrieve is answered in one read-only turn that never looks at the token: inside a silo, where no silo loss
            // is watched for, the call is not made cancellable (a client that went away only costs that turn), which
            // spares Orleans a cancellation source and its registrations on both sides of every call.
            Operation.Retrieve => target.Grain.Retrieve(request, _siloLoss is null ? CancellationToken.None : cancellationToken),
            Operation.Update => UpdateAsync(target.Grain, request, cancellationToken),
            _ => target.Grain.Execute(request, cancellationToken),
        };
    }

    /// <summary>
    /// An AE registration sent to the AE-ID's own grain (<see cref="IAeGrain.Register"/>), not through the CSEBase; marked
    /// as the create of a new record (<see cref="UnstoredRecord"/>) where the storage skips such records' reads. One the
    /// AE's grain does not simply carry out (a repeat, a conflict, an error) goes to the CSEBase, which answers it.
    /// </summary>
    private async ValueTask<ResourceResponse> RegisterAsync(IResourceGrain cseBase, ResourceRequest request, CancellationToken cancellationToken)
    {
        var ae = _grains.GetGrainByKey<IAeGrain>(request.Originator);
        ValueTask<ResourceResponse?> registering;
        if (!_marksRegistrations)
        {
            registering = ae.Register(request, cancellationToken);
        }
        else
        {
            UnstoredRecord.Mark(ae.GetGrainId());
            try
            {
                registering = ae.Register(request, cancellationToken);
            }
            finally
            {
                UnstoredRecord.Unmark();
            }
        }

        return await registering ?? await cseBase.Execute(request, cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "{Operation} attempt {Attempt} failed ({Exception}): the cluster could not reach the grain; retrying in {DelayMs} ms")]
        public static partial void Retrying(ILogger logger, Operation operation, int attempt, string exception, double delayMs);

        [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "{Operation} failed after {Attempts} attempts ({Exception}): retry budget spent; answered 5000 with Retry-After")]
        public static partial void GaveUp(ILogger logger, Operation operation, int attempts, string exception);

        [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "{Operation} grain call failed ({Exception}): outcome unknown, not repeated; answered 5000 with Retry-After")]
        public static partial void OutcomeUnknown(ILogger logger, Operation operation, string exception);

        [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "A group member could not be reached during a fan-out ({Exception}); its entry answers 5103")]
        public static partial void MemberUnreachable(ILogger logger, string exception);
    }
}
