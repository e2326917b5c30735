using Microsoft.Extensions.Logging;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>Updates of resources with a blocking update subscription (<c>net</c> 7).</summary>
public sealed partial class RequestDispatcher
{
    /// <summary>
    /// How often an update is put to the subscriber again because the resource changed between its approval and the
    /// commit; then the update is answered 4105 (conflict), nothing changed.
    /// </summary>
    private const int MaxApprovalRounds = 3;

    /// <summary>
    /// An update. When the resource answers that a blocking update subscription must approve it (nothing changed),
    /// the subscription's notification goes to its target and the update waits for the answer, here and not in a
    /// grain turn (TS-0001 10.2.11.x; the delivery worker bounds the wait by the send timeout): 2000 commits it
    /// (the update is repeated with the approval token, which the resource checks against its current state); no
    /// answer is 5107 (remote entity not reachable, as ACME); any other answer is 4127 (operation denied by the
    /// remote entity). A refused update changes nothing.
    /// </summary>
    private async ValueTask<ResourceResponse> UpdateAsync(IResourceGrain grain, ResourceRequest request, CancellationToken cancellationToken)
    {
        var response = await grain.Execute(request, cancellationToken);
        for (var round = 1; response.AwaitsApproval is { } approval; round++)
        {
            if (round > MaxApprovalRounds)
            {
                return ResourceResponse.Error(ResponseStatusCode.Conflict,
                    "the resource kept changing while the update waited for its blocking update subscription's approval");
            }

            var subscription = _grains.GetGrain<IBlockingSubscriptionGrain>(approval.SubscriptionId);
            var notification = await subscription.BlockingNotification(approval.Representation, request.Originator);
            if (notification is not null)
            {
                var answer = await _delivery.Ask(notification);
                await subscription.BlockingAnswered(notification, answer);
                if (answer != ResponseStatusCode.Ok)
                {
                    Log.BlockingUpdateRefused(_logger, approval.SubscriptionId, answer is { } rsc ? (int)rsc : null);
                    return answer is null
                        ? ResourceResponse.Error(ResponseStatusCode.RemoteEntityNotReachable,
                            $"the blocking update subscription's target {notification.Targets[0]} did not answer; the update was not made")
                        : ResourceResponse.Error(ResponseStatusCode.OperationDeniedByRemoteEntity,
                            $"the blocking update subscription's target {notification.Targets[0]} answered {(int)answer}; the update was not made");
                }
            }

            // Approved (or the subscription is gone): the resource commits unless its state or subscription changed.
            response = await grain.Execute(request with { BlockingApproval = approval.Token }, cancellationToken);
        }

        return response;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3014, Level = LogLevel.Debug, Message = "Blocking update subscription {SubscriptionId}: the target answered {Rsc}; the update is refused")]
        public static partial void BlockingUpdateRefused(ILogger logger, string subscriptionId, int? rsc);
    }
}
