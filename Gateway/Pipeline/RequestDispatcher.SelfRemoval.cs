using Microsoft.Extensions.Logging;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>A notification target removing itself from a subscription through its virtual <c>ntsr</c> (R4).</summary>
public sealed partial class RequestDispatcher
{
    /// <summary>
    /// A request to a subscription's <c>ntsr</c>. The subscription decides by the applicable notification target
    /// policy without sending anything; when the policy seeks the creator's authorization, its notification
    /// (<c>sgn/tra</c>) is sent and awaited here, outside any grain's turn (bounded by the send timeout), and only its
    /// 2000 removes the target (anything else, or no answer, is 4103, as ACME). When the policy only informs the
    /// creator (<c>sgn/trr</c>), that notification is sent without holding up the answer.
    /// </summary>
    private async ValueTask<ResourceResponse> SelfRemovalAsync(INotificationTargetSelfReferenceGrain subscription, ResourceRequest request)
    {
        var removal = await subscription.SelfReference(request);
        if (removal.InformCreator is { } inform)
        {
            _ = InformCreatorAsync(inform);
        }

        if (removal.AskCreator is not { } ask)
        {
            return removal.Answer ?? ResourceResponse.Error(ResponseStatusCode.InternalServerError, "the subscription gave no answer");
        }

        var answer = await _delivery.Ask(ask);
        if (answer != ResponseStatusCode.Ok)
        {
            return ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege, answer is { } rsc
                ? $"the subscription's creator {ask.Targets[0]} answered {(int)rsc}: the notification target stays"
                : $"the subscription's creator {ask.Targets[0]} did not answer: the notification target stays");
        }

        return await subscription.RemoveApprovedTarget(request);
    }

    private async Task InformCreatorAsync(PendingNotification inform)
    {
        try
        {
            await _delivery.Ask(inform);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Log.CreatorNotInformed(_logger, inform.Targets[0], exception.GetType().Name);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3015, Level = LogLevel.Debug, Message = "The creator {Creator} of a subscription could not be told of a notification target's removal request ({Exception})")]
        public static partial void CreatorNotInformed(ILogger logger, string creator, string exception);
    }
}
