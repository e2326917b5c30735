using VirtualIoT.Gateway.Addressing;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// A retrieve of a polling channel's virtual <c>pcu</c> (TS-0001 10.2.5.x, as ACME serves it) is a long poll: the
/// channel answers at once with what is queued for its AE, or registers this poll's waiter (a grain observer) and
/// returns; the poll then waits here, outside any grain turn, until the channel says something was queued, and asks
/// again, until the request expires (<c>rqet</c>, else <see cref="GatewayOptions.PollWait"/>): then 4008.
/// </summary>
public sealed partial class RequestDispatcher
{
    // A channel re-activated elsewhere (its silo died) has forgotten its waiters: ask again at least this often.
    private static readonly TimeSpan s_repoll = TimeSpan.FromSeconds(5);

    /// <summary>
    /// True when <paramref name="request"/> may be a long poll (a retrieve addressed to a <c>pcu</c>): a binding that
    /// handles a client's messages in order answers it off that order.
    /// </summary>
    public static bool MayLongPoll(ResourceRequest request, ParsedAddress address)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = address.CseRelative.Span;
        return request.Operation == Operation.Retrieve && path.EndsWith(AddressResolver.PollingChannelUri)
            && (path.Length == AddressResolver.PollingChannelUri.Length || path[^(AddressResolver.PollingChannelUri.Length + 1)] == '/');
    }

    private async ValueTask<ResourceResponse> PollAsync(IPollingChannelUriGrain channel, ResourceRequest request, CancellationToken cancellationToken)
    {
        var deadline = request.RequestExpiration ?? _failures.Time.GetUtcNow() + _pollWait;
        var waiter = new PollWaiter();
        var reference = _grains.CreateObjectReference<IPollingChannelObserver>(waiter);
        try
        {
            while (true)
            {
                var signal = waiter.Arm();
                if (await channel.Poll(request.Originator, reference) is { } answer)
                {
                    return answer;
                }

                var remaining = deadline - _failures.Time.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                try
                {
                    await signal.WaitAsync(remaining < s_repoll ? remaining : s_repoll, _failures.Time, cancellationToken);
                }
                catch (TimeoutException)
                {
                    // Poll again (and answer 4008 once the deadline has passed).
                }
                catch (OperationCanceledException)
                {
                    // The poll's caller gave up (a fan-out past its rset, a client gone): the channel keeps no waiter.
                    await channel.StopWaiting(reference);
                    throw;
                }
            }

            await channel.StopWaiting(reference);
            return ResourceResponse.Error(ResponseStatusCode.RequestTimeout,
                $"nothing was queued for {request.Originator} before the poll expired at {OneM2MTime.Format(deadline.UtcDateTime)}");
        }
        finally
        {
            _grains.DeleteObjectReference<IPollingChannelObserver>(reference);
        }
    }

    /// <summary>One poll's waiter: the channel tells it that something was queued.</summary>
    private sealed class PollWaiter : IPollingChannelObserver
    {
        private TaskCompletionSource _queued = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>A fresh signal, armed before the poll asks the channel, so a request queued right after is not missed.</summary>
        public Task Arm()
        {
            var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _queued, queued);
            return queued.Task;
        }

        public Task Queued()
        {
            Volatile.Read(ref _queued).TrySetResult();
            return Task.CompletedTask;
        }
    }
}
