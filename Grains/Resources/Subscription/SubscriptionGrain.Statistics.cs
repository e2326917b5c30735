using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>A subscription's event statistics (R4 <c>noec</c>) and its check against the subscribed-to resource's type.</summary>
internal sealed partial class SubscriptionGrain
{
    /// <summary><c>enc/chty</c> checked against the child types of the subscribed-to resource's type.</summary>
    private OneM2MError? ChildTypeCheck(Dictionary<string, object?> attributes)
    {
        var parentType = ResourceIds.Classify(State.ParentId, Options.CseBaseId);
        return parentType is { } type && Policies.For(type) is { } parent ? SubscriptionPolicy.CheckForParent(attributes, parent, []) : null;
    }

    public async ValueTask BlockingAnswered(PendingNotification notification, ResponseStatusCode? answer)
    {
        // A blocking update notification is sent by the pipeline, not the delivery queue: counted here once answered
        // (TS-0004: nsi counts every notification of the subscription, per target).
        if (!Exists || !State.Attributes.StatisticsEnabled() || notification.Targets is not [var target, ..] || !Targets().Contains(target))
        {
            return;
        }

        CountEvent();
        CountStatistics([target], answer is { } rsc && rsc.IsSuccess() ? [target] : []);
        await WriteStateAsync();
    }

    /// <summary>With <c>nse</c> on, counts an event for every target (<c>noec</c>), creating the statistics on the first.</summary>
    private void CountEvent()
    {
        if (State.Attributes.StatisticsEnabled())
        {
            State.Attributes = State.Attributes.With(AttributeNames.NotificationStatsInfo, NotificationContent.CountEvent(State.Attributes.Statistics(), Targets()));
        }
    }
}
