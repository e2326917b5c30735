using Microsoft.Extensions.Logging;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Schedule;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>
/// The subscription's <c>&lt;schedule&gt;</c> child (at most one, TS-0001's notificationSchedule): outside its windows
/// the subscription sends nothing. An event then is dropped, unless <c>pn</c> (pendingNotification) asks to keep it:
/// 1 (sendLatest) keeps the latest notification, 2 (sendAllPending) all of them, in order, stored with the
/// subscription; when a window opens they go out (checked every second while some are held, on a grain timer; the
/// queue reminder brings a subscription holding some back after a silo failure). Without a schedule child no grain is
/// asked.
/// </summary>
internal sealed partial class SubscriptionGrain
{
    /// <summary><c>pn</c> 1: when the window opens, only the latest notification held is sent.</summary>
    private const long SendLatest = 1;

    // How often a subscription holding notifications asks its schedule whether a window opened.
    private static readonly TimeSpan s_heldCheck = TimeSpan.FromSeconds(1);

    private IGrainTimer? _heldTimer;

    /// <summary><c>pn</c>: 1 send latest, 2 send all pending; null when events outside the schedule are dropped.</summary>
    private long? PendingMode => State.Attributes.Long(AttributeNames.PendingNotification);

    /// <summary>Whether the subscription may notify now: it has no schedule, or now lies in one of its windows.</summary>
    private async ValueTask<bool> InSchedule()
    {
        foreach (var child in Links.Children.Values)
        {
            if (child.Type == ResourceType.Schedule
                && GrainFactory.GetClusterResource(child.ResourceId, Options.CseBaseId) is { } grain
                && await grain.AttributesFor(Options.AdminOriginator) is { } attributes)
            {
                if (SchedulePolicy.Covers(attributes, UtcNow))
                {
                    return true;
                }

                LogOutsideSchedule(Logger, ResourceId, child.ResourceId);
                return false;
            }
        }

        return true;
    }

    /// <summary>Keeps a notification of an event outside the schedule for the next window, as <c>pn</c> says (stored by the caller).</summary>
    private void Hold(PendingNotification notification)
    {
        if (PendingMode == SendLatest)
        {
            Pending.Held.Clear();
        }

        Pending.Held.Add(notification);
        ArmHeldTimer();
    }

    private void ArmHeldTimer()
    {
        if (_heldTimer is not null || Pending.Held.Count == 0)
        {
            return;
        }

        _heldTimer = this.RegisterGrainTimer(OnHeldTimer, new GrainTimerCreationOptions { DueTime = s_heldCheck, Period = s_heldCheck, KeepAlive = true });
    }

    /// <summary>The held notifications' timer: once a window is open (or the schedule went) they go out.</summary>
    private async Task OnHeldTimer(CancellationToken cancellationToken)
    {
        if (Exists && Pending.Held.Count > 0 && !await InSchedule())
        {
            return;
        }

        if (ReleaseHeld())
        {
            await WriteStateAsync();
            Kick();
        }
    }

    /// <summary>Moves the held notifications, oldest first, into the delivery queue (stored by the caller); false when there were none.</summary>
    private bool ReleaseHeld()
    {
        _heldTimer?.Dispose();
        _heldTimer = null;
        if (!Exists || Pending.Held.Count == 0)
        {
            return false;
        }

        LogReleased(Logger, ResourceId, Pending.Held.Count);
        Pending.Queue.AddRange(Pending.Held);
        Pending.Held = [];
        return true;
    }

    [LoggerMessage(EventId = 2403, Level = LogLevel.Debug, Message = "Subscription {SubscriptionId}: event outside the windows of schedule {ScheduleId}, not notified now")]
    private static partial void LogOutsideSchedule(ILogger logger, string subscriptionId, string scheduleId);

    [LoggerMessage(EventId = 2404, Level = LogLevel.Debug, Message = "Subscription {SubscriptionId}: a window opened; {Count} pending notification(s) go out")]
    private static partial void LogReleased(ILogger logger, string subscriptionId, int count);
}
