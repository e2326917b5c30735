using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace VirtualIoT.Grains.Resources.Action;

/// <summary>
/// See <see cref="IActionFiringGrain"/>: a stateless, reentrant worker, so an action's turn only hands its request
/// over, and a slow target holds up no action. The answer goes back to the action as <c>air</c>
/// (<c>{"rsc", "rqi", "pc"}</c>, <c>pc</c> when the answer has a representation or an <c>m2m:dbg</c>).
/// </summary>
[StatelessWorker, Reentrant]
internal sealed partial class ActionFiringGrain(IOptions<CseOptions> options, ILogger<ActionFiringGrain> logger) : Grain, IActionFiringGrain
{
    public async ValueTask Fire(string actionId, string firingId, string targetId, ResourceRequest request)
    {
        ResourceResponse response;
        try
        {
            response = GrainFactory.GetResourceGrain(targetId, options.Value.CseBaseId) is not { } target
                ? ResourceResponse.Missing($"the action's object resource {targetId} is gone")
                : request.Operation switch
                {
                    Operation.Retrieve => await target.Retrieve(request),
                    Operation.Notify => await Notify(target, targetId, request),
                    _ => await target.Execute(request),
                };
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogFireFailed(logger, exception, actionId);
            response = ResourceResponse.Error(ResponseStatusCode.InternalServerError, "the action's request could not be carried out");
        }

        var result = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["rsc"] = (long)response.StatusCode,
            ["rqi"] = request.RequestIdentifier,
        };
        if (response.Content is Dictionary<string, object?> content)
        {
            result["pc"] = content;
        }
        else if (response.Message is { } message)
        {
            result["pc"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["m2m:dbg"] = message };
        }

        await GrainFactory.GetGrain<IActionGrain>(actionId).Fired(firingId, result);
    }

    /// <summary>
    /// A NOTIFY to an AE, as a client's NOTIFY addressed to it: the originator needs NOTIFY on the AE, the notification
    /// goes over the AE's routes (its MQTT connection, its points of access, its polling channel) through the delivery
    /// worker, and the AE's answer is the response.
    /// </summary>
    private async Task<ResourceResponse> Notify(IResourceGrain target, string aeId, ResourceRequest request)
    {
        if (await target.AsReference<INotificationTargetGrain>().AdmitNotify(request.Originator) is { } refused)
        {
            return refused;
        }

        var content = new Dictionary<string, object?>(1, StringComparer.Ordinal) { [request.ContentRoot ?? "m2m:sgn"] = request.Content };
        var answer = await GrainFactory.GetGrain<IDeliveryGrain>(0).Forward(aeId,
            new PendingNotification(request.RequestIdentifier, [aeId], content, 0, Originator: request.Originator));
        return NotificationAnswer.Relayed(aeId, answer);
    }

    [LoggerMessage(EventId = 2955, Level = LogLevel.Warning, Message = "The request of action {ActionId} failed")]
    private static partial void LogFireFailed(ILogger logger, Exception exception, string actionId);
}
