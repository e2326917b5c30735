using Microsoft.Extensions.Logging;

namespace VirtualIoT.Grains.Resources.Announced;

/// <summary>
/// The announcer's passes (see <see cref="AnnouncementGrain"/>): one at a time, another round when a change or a retry
/// came during one, a retry timer while work is left, and a reminder from the first stored change until every copy is
/// in step, which brings the announcer back after a silo failure.
/// </summary>
internal sealed partial class AnnouncementGrain
{
    /// <summary>Waits for the clear of an emptied state in progress (see <see cref="AfterPass"/>), which a change stored under it would be lost to.</summary>
    private async ValueTask AfterClear()
    {
        if (_clearing.IsCompleted)
        {
            return;
        }

        _waitingForClear++;
        try
        {
            await _clearing;
        }
        finally
        {
            _waitingForClear--;
        }
    }

    /// <summary>
    /// Makes sure the reminder stands before a stored change is acknowledged: the passes run after the caller's turn,
    /// and a silo failure during one (its remote request on its way) leaves the change stored here, to be carried out
    /// when the reminder brings the announcer back. Without a reminder service the change still goes by this pass.
    /// </summary>
    private async Task KeepReminder()
    {
        if (_reminder is not null)
        {
            return;
        }

        try
        {
            _reminder = await this.RegisterOrUpdateReminder(ReminderName, s_resumeAfter, s_reminderPeriod);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Log.ReminderNotKept(logger, exception, ResourceId);
        }
    }

    /// <summary>
    /// Unregisters the reminder once every copy is in step; one registered again meanwhile (by a change, whose
    /// registration changed its ETag) stays, and one that could not be removed runs a pass that finds nothing to do.
    /// </summary>
    private async Task DropReminder()
    {
        var reminder = _reminder;
        _reminder = null;
        try
        {
            // One an earlier activation left (a silo failure, a pass cut short) is looked up.
            reminder ??= await this.GetReminder(ReminderName);
            if (reminder is not null && _reminder is null)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Log.ReminderNotDropped(logger, exception, ResourceId);
        }
    }

    /// <summary>Starts a sync pass, or asks the running one for another round.</summary>
    private void Kick()
    {
        if (_pass.IsCompleted)
        {
            _pass = RunAsync();
        }
        else
        {
            _again = true;
        }
    }

    private async Task RunAsync()
    {
        do
        {
            bool complete;
            do
            {
                _again = false;
                try
                {
                    complete = await SyncAsync();
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    Log.PassFailed(logger, exception, ResourceId);
                    complete = false;
                }
            }
            while (_again);

            await AfterPass(complete);
        }

        // A change (or a retry) that came while the pass was finishing, its reminder looked up, removed or stored, found
        // this pass still running: it asked for another round, which no later call would start.
        while (_again);
    }

    private async Task AfterPass(bool complete)
    {
        _retryTimer?.Dispose();
        _retryTimer = null;
        if (complete)
        {
            if (!_again)
            {
                await DropReminder();
            }

            if (!_again && store.State is { Desired: null or { Attributes: null }, Copies.Count: 0, ToOriginal: null, InDoubt: null or { Count: 0 } })
            {
                var clearing = store.ClearStateAsync();
                _clearing = clearing;
                await clearing;
                if (!_again && _waitingForClear == 0)
                {
                    DeactivateOnIdle();
                }
            }

            return;
        }

        await KeepReminder();
        var delay = _retry;
        _retry = _retry * 2 < s_lastRetry ? _retry * 2 : s_lastRetry;
        _retryTimer = this.RegisterGrainTimer(_ =>
        {
            Kick();
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions { DueTime = delay, Period = Timeout.InfiniteTimeSpan, Interleave = true, KeepAlive = true });
    }
}
