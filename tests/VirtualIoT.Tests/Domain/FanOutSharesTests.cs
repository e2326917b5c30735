using VirtualIoT.Grains.Notifications;

namespace VirtualIoT.Tests.Domain;

/// <summary>How a batch of a resource's events is split among its subscriptions (<c>FanOutGrain.Shares</c>).</summary>
public sealed class FanOutSharesTests
{
    private static ResourceEvent Event(int n) =>
        new("cnt1-" + n, NotificationEventType.CreateOfDirectChildResource, ResourceType.ContentInstance, [], null);

    [Fact]
    public void Events_for_the_same_subscriptions_go_to_each_of_them_all_in_order()
    {
        List<ResourceEvent> events = [Event(1), Event(2), Event(3)];

        var shares = FanOutGrain.Shares(events, [["sub1", "sub2"], ["sub1", "sub2"], ["sub1", "sub2"]]);

        Assert.Equal(["sub1", "sub2"], shares.Select(s => s.SubscriptionId));
        Assert.All(shares, s => Assert.Equal(["cnt1-1", "cnt1-2", "cnt1-3"], s.Events.Select(e => e.EventId)));
    }

    [Fact]
    public void Each_subscription_gets_only_the_events_it_was_raised_for_in_order()
    {
        List<ResourceEvent> events = [Event(1), Event(2), Event(3), Event(4)];

        var shares = FanOutGrain.Shares(events, [["a", "b"], ["b", "c"], ["a"], ["c", "a"]]).ToDictionary(s => s.SubscriptionId, s => s.Events);

        Assert.Equal(["cnt1-1", "cnt1-3", "cnt1-4"], shares["a"].Select(e => e.EventId));
        Assert.Equal(["cnt1-1", "cnt1-2"], shares["b"].Select(e => e.EventId));
        Assert.Equal(["cnt1-2", "cnt1-4"], shares["c"].Select(e => e.EventId));
        Assert.Equal(3, shares.Count);
    }

    [Fact]
    public void One_event_goes_to_its_subscriptions()
    {
        var shares = FanOutGrain.Shares([Event(7)], [["x", "y", "z"]]);

        Assert.Equal(["x", "y", "z"], shares.Select(s => s.SubscriptionId));
        Assert.All(shares, s => Assert.Equal("cnt1-7", Assert.Single(s.Events).EventId));
    }
}
