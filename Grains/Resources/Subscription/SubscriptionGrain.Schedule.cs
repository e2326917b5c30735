using Microsoft.Extensions.Logging;
using VirtualIoT.Grains.Resources.Schedule;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>
/// The subscription's <c>&lt;schedule&gt;</c> child (at most one, TS-0001's notificationSchedule): outside its windows
/// the subscription sends nothing, and an event then is dropped (as ACME does without <c>pn</c>, which this CSE does
/// not support yet). Without a schedule child no grain is asked.
/// </summary>
internal sealed partial class SubscriptionGrain
{
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Subscription {SubscriptionId}: event outside the windows of schedule {ScheduleId}, not notified")]
    private static partial void LogOutsideSchedule(ILogger logger, string subscriptionId, string scheduleId);
}
