using Microsoft.Extensions.Logging;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// A watch reminder: what a resource that works on its own grain timers (a time sync beacon's beacons, a cross-resource
/// subscription's windows) holds so that, should its silo fail, the reminder activates it again elsewhere. Changing
/// it is best effort: the reminder table is remote, and the work runs on the timers while the grain is active anyway.
/// </summary>
internal abstract partial class ResourceGrain
{
    /// <summary>Holds the watch reminder <paramref name="name"/> ticking every <paramref name="period"/>.</summary>
    protected async Task KeepWatch(string name, TimeSpan period)
    {
        try
        {
            await this.RegisterOrUpdateReminder(name, period, period);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogWatchNotChanged(Logger, exception, ResourceId, name);
        }
    }

    /// <summary>Drops the watch reminder <paramref name="name"/>; should that fail, it ticks once more, finds nothing to watch and is dropped then.</summary>
    protected async Task ForgetWatch(string name)
    {
        try
        {
            if (await this.GetReminder(name) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogWatchNotChanged(Logger, exception, ResourceId, name);
        }
    }

    [LoggerMessage(EventId = 2090, Level = LogLevel.Warning, Message = "Resource {ResourceId}: its watch reminder {Reminder} could not be changed now; its timers run while it is active")]
    private static partial void LogWatchNotChanged(ILogger logger, Exception exception, string resourceId, string reminder);
}
