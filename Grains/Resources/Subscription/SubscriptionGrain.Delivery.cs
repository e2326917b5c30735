namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>
/// Handing the stored queue to the delivery worker and taking its reports. The queue's head goes out in order: up to
/// <see cref="MaxInOrder"/> notifications in one hand-over (<see cref="IDeliveryGrain.DeliverInOrder"/>), which the
/// worker sends one after another and reports in one call, so a subscription whose events come faster than its
/// receiver answers pays two grain calls per hand-over, not per notification. Each notification stays in the stored
/// queue (its page) until it was delivered, and one not delivered stops those after it until its retries are done.
/// </summary>
internal sealed partial class SubscriptionGrain
{
    /// <summary>The most queued notifications handed to the delivery worker at once.</summary>
    internal const int MaxInOrder = 32;

    public ValueTask Delivered(string notificationId, IReadOnlyList<string> deliveredTargets) =>
        DeliveredInOrder([new DeliveryOutcome(notificationId, deliveredTargets)]);

    public async ValueTask DeliveredInOrder(IReadOnlyList<DeliveryOutcome> outcomes)
    {
        if (outcomes.Count > 0 && _inFlight.Contains(outcomes[0].NotificationId))
        {
            _inFlight.Clear();
            StopTimer();
        }

        var mustStore = false;
        var changed = false;
        TimeSpan? retryAfter = null;
        foreach (var (notificationId, deliveredTargets) in outcomes)
        {
            var index = Exists ? Pending.Queue.IndexOf(notificationId) : -1;
            if (index < 0)
            {
                continue;
            }

            var notification = Pending.Queue[index];
            // Delivered to all its targets (the usual case): nothing remains, and no list is made to say so.
            var remaining = Remaining(notification.Targets, deliveredTargets);
            mustStore |= CountStatistics(notification.Targets, deliveredTargets);
            if (deliveredTargets.Count > 0)
            {
                _metrics.Delivered(deliveredTargets.Count);
            }

            if (remaining is null)
            {
                Pending.Queue.RemoveAt(index);
                changed = true;
            }
            else if (notification.Attempts + 1 >= _notifications.MaxAttempts)
            {
                Pending.Queue.RemoveAt(index);
                _metrics.Dropped();
                LogDropped(Logger, notificationId, ResourceId, string.Join(' ', remaining), notification.Attempts + 1);
                changed = true;
            }
            else
            {
                // Rewrites the notification's page (no state write of its own).
                Pending.Queue[index] = notification with { Targets = remaining, Attempts = notification.Attempts + 1 };
                _metrics.Retried();
                changed = true;
                var delay = _notifications.InitialRetryDelay * Math.Pow(2, notification.Attempts);
                retryAfter = delay < _notifications.MaxRetryDelay ? delay : _notifications.MaxRetryDelay;
            }

            // expirationCounter counts delivered notifications; at zero the subscription ends (TS-0004 7.5.1.2.2).
            if (deliveredTargets.Count > 0 && State.Attributes.ExpirationCounter() is { } counter)
            {
                if (counter <= 1)
                {
                    // The counter is spent: what is still queued is not sent.
                    Pending.Queue.Clear();
                    await DeleteSelfAsync();
                    return;
                }

                State.Attributes = State.Attributes.With(AttributeNames.ExpirationCounter, counter - 1);
                mustStore = true;
            }

            if (retryAfter is not null)
            {
                break; // the worker sent nothing after it
            }
        }

        // Counters, statistics and drops are stored with the state at once. A delivery clears its notification's
        // page and a retry rewrites it, without the state; when too many delivered pages wait for the state to name
        // them (NotificationQueuePages), the state is written so that they can be cleared.
        if (mustStore)
        {
            await WriteStateAsync();
        }
        else if (changed)
        {
            await WriteApartAsync();
            if (QueuePages.WaitingClears >= MaxInOrder)
            {
                await WriteStateAsync();
            }
        }

        if (retryAfter is { } due)
        {
            ArmTimer(due);
        }
        else
        {
            Kick();
        }
    }

    /// <summary>The targets of <paramref name="targets"/> not in <paramref name="delivered"/>, or null when there are none.</summary>
    private static List<string>? Remaining(IReadOnlyList<string> targets, IReadOnlyList<string> delivered)
    {
        List<string>? remaining = null;
        for (var i = 0; i < targets.Count; i++)
        {
            if (!Contains(delivered, targets[i]))
            {
                (remaining ??= []).Add(targets[i]);
            }
        }

        return remaining;

        static bool Contains(IReadOnlyList<string> list, string target)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (string.Equals(list[i], target, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Hands the head of the queue (up to <see cref="MaxInOrder"/> notifications) to the delivery worker, unless some are in flight or a retry waits.</summary>
    private void Kick()
    {
        if (_inFlight.Count > 0 || _timer is not null || !Exists || Pending.Queue.Count == 0)
        {
            return;
        }

        var count = Math.Min(Pending.Queue.Count, MaxInOrder);
        if (State.Attributes.ExpirationCounter() is { } counter && counter < count)
        {
            // expirationCounter: no more go out than the counter allows (each delivered one counts).
            count = (int)Math.Max(1, counter);
        }

        var targets = 0;
        for (var i = 0; i < count; i++)
        {
            _inFlight.Add(Pending.Queue[i].Id);
            targets += Pending.Queue[i].Targets.Count;
        }

        _ = count == 1
            ? Delivery.Deliver(ResourceId, Pending.Queue[0])
            : Delivery.DeliverInOrder(ResourceId, Pending.Queue.GetRange(0, count));

        // Should the delivery worker's report be lost (its silo died), try again after a generous wait: under load
        // a report can take many seconds to come back, and an early resend would only add duplicates to the queue.
        ArmTimer(_notifications.SendTimeout * (targets + 1) + TimeSpan.FromSeconds(60));
    }
}
