using Orleans.Runtime.Messaging;
using Orleans.Storage;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// What <see cref="RequestDispatcher"/> does when a grain call fails because the cluster could not reach the grain:
/// a silo died and membership has not declared it dead yet (a few seconds, <c>Clustering:ProbeTimeout</c> and
/// friends), a connection broke, a gateway is overloaded, a call timed out. Such a call may be repeated once the
/// grain is re-activated elsewhere. Requests whose repetition is harmless (retrieve, discovery, update, delete) are
/// retried with a short, growing pause until <see cref="GatewayOptions.RetryBudget"/> is spent, and so are creates,
/// which the parent (or, under the CSEBase, the index shard of the new name) makes idempotent by the originator's
/// request identifier (an anonymous registration by the AE-ID the CSE derives from the request).
/// Either way the client then gets 5000 with <c>m2m:dbg</c> saying to retry and HTTP <c>Retry-After</c>: never a bare 500.
/// </summary>
public sealed class ClusterFailurePolicy
{
    private readonly TimeSpan _budget;
    private readonly TimeSpan _initialDelay;
    private readonly TimeSpan _maxDelay;
    private readonly int _retryAfterSeconds;

    /// <summary>Creates the policy.</summary>
    /// <param name="budget">Time from the first attempt after which no new attempt starts; zero disables retries.</param>
    /// <param name="initialDelay">Pause after the first failure; doubled after each further one.</param>
    /// <param name="maxDelay">Longest pause between two attempts.</param>
    /// <param name="retryAfterSeconds">The <c>Retry-After</c> given to clients when the gateway gives up.</param>
    /// <param name="time">Clock and timers (a fake one in tests).</param>
    public ClusterFailurePolicy(TimeSpan budget, TimeSpan initialDelay, TimeSpan maxDelay, int retryAfterSeconds, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initialDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, initialDelay);
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfterSeconds, 1);
        _budget = budget;
        _initialDelay = initialDelay;
        _maxDelay = maxDelay;
        _retryAfterSeconds = retryAfterSeconds;
        Time = time;
    }

    /// <summary>The policy configured by <paramref name="options"/> on the system clock.</summary>
    public static ClusterFailurePolicy From(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ClusterFailurePolicy(options.RetryBudget, options.RetryInitialDelay,
            options.RetryMaxDelay < options.RetryInitialDelay ? options.RetryInitialDelay : options.RetryMaxDelay,
            options.RetryAfterSeconds, TimeProvider.System);
    }

    /// <summary>The clock the budget is measured on and the pauses are timed with.</summary>
    public TimeProvider Time { get; }

    /// <summary>
    /// True when <paramref name="exception"/> says the cluster could not carry the call to its grain (or its answer
    /// back) right now, as opposed to a failure of the request itself: Orleans' message rejections (among them
    /// <see cref="SiloUnavailableException"/>: the target silo is dead or leaving), broken or refused connections
    /// (<see cref="ConnectionFailedException"/>, <c>SocketConnectionException</c>), an overloaded gateway
    /// (<see cref="GatewayTooBusyException"/>), a response timeout (<see cref="TimeoutException"/>), and a storage
    /// write refused for a stale version (<see cref="InconsistentStateException"/>: a second activation of the grain
    /// existed while a dead silo's directory entries were being recovered; the refused write took no effect and the
    /// stale activation deactivates), and a storage failure (<see cref="System.Data.Common.DbException"/>: the database
    /// is down or restarting; the gateway itself runs no SQL per request, so any such exception is the grain's storage).
    /// Looks through <see cref="AggregateException"/>.
    /// </summary>
    public static bool IsUnavailable(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 4; depth++)
        {
            switch (exception)
            {
                case OrleansMessageRejectionException: // includes SiloUnavailableException
                case ConnectionFailedException:
                case Orleans.Networking.Shared.SocketConnectionException:
                case GatewayTooBusyException:
                case TimeoutException:
                case InconsistentStateException:
                case System.Data.Common.DbException:
                    return true;
                case AggregateException { InnerExceptions.Count: 1 } aggregate:
                    exception = aggregate.InnerExceptions[0];
                    break;
                default:
                    return false;
            }
        }

        return false;
    }

    /// <summary>
    /// True when carrying <paramref name="request"/> out twice has the effect of carrying it out once, so a failed
    /// attempt whose outcome is unknown may be repeated: retrieve and discovery read; an update sets the same
    /// attributes again; a delete of a resource already deleted changes nothing (its answer is then 4004); a create
    /// under an AE or a container (<paramref name="target"/>) is remembered by its parent under the originator's
    /// request identifier in the same write that stores it, and one under the CSEBase in the write of the index shard
    /// that claims the new name, so a repeat returns the resource the first attempt made; an anonymous registration
    /// (<see cref="ResourceIds.IsAnonymousOriginator"/>) is recorded under the AE-ID derived from the request.
    /// </summary>
    public static bool IsSafeToRepeat(ResourceRequest request, ResourceType? target)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Operation is Operation.Retrieve or Operation.Update or Operation.Delete
            || (request.Operation == Operation.Create && target is ResourceType.AE or ResourceType.Container or ResourceType.CSEBase);
    }

    /// <summary>
    /// The pause before the next attempt after <paramref name="failedAttempts"/> failures (1 or more) since
    /// <paramref name="startTimestamp"/> (from <see cref="TimeProvider.GetTimestamp"/> of <see cref="Time"/>), or null
    /// when the budget is spent: no attempt starts later than the budget after the first.
    /// </summary>
    public TimeSpan? NextDelay(int failedAttempts, long startTimestamp)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        var remaining = _budget - Time.GetElapsedTime(startTimestamp);
        if (remaining <= TimeSpan.Zero)
        {
            return null;
        }

        // initial, 2x, 4x ... capped; the shift is bounded so that it cannot overflow.
        var delay = _initialDelay * (1L << Math.Min(failedAttempts - 1, 20));
        if (delay > _maxDelay)
        {
            delay = _maxDelay;
        }

        return delay < remaining ? delay : remaining;
    }

    /// <summary>Waits <paramref name="delay"/> on <see cref="Time"/>.</summary>
    public Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, Time, cancellationToken);

    /// <summary>
    /// The answer when the request was not carried out: a safe-to-repeat request whose retries used up the budget
    /// (<paramref name="attempts"/> attempts).
    /// </summary>
    public ResourceResponse NotCarriedOut(Exception exception, int attempts)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Unavailable(
            $"the cluster could not reach the target's grain ({Describe(exception)}; {attempts} attempt{(attempts == 1 ? "" : "s")}); " +
            $"a silo may have failed and its resources are moving to the others: retry after {_retryAfterSeconds} s");
    }

    /// <summary>
    /// The answer to a create whose grain call failed on the way: it is not repeated here, as it may have been
    /// carried out (the failure may have hit the answer, not the request).
    /// </summary>
    public ResourceResponse OutcomeUnknown(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Unavailable(
            $"the cluster could not reach the target's grain ({Describe(exception)}); the create may or may not have been " +
            $"carried out (a silo may have failed and its resources are moving to the others): retry after {_retryAfterSeconds} s, " +
            "retrieving the parent or the resource first if a second instance would matter");
    }

    private ResourceResponse Unavailable(string message) =>
        ResourceResponse.Error(ResponseStatusCode.InternalServerError, message) with { RetryAfterSeconds = _retryAfterSeconds };

    private static string Describe(Exception exception) =>
        exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? Describe(aggregate.InnerExceptions[0]) : exception.GetType().Name;
}
