using Microsoft.Extensions.Logging;

namespace VirtualIoT.Grains.Resources.Action;

/// <summary>
/// Firings that survive a silo failure. A firing is stored (<see cref="ActionProgress.Unanswered"/>) before its
/// request is handed to the worker, and stays until the worker's answer is stored as <c>air</c>; while any is
/// unanswered the action holds a reminder. Should the action's silo die before the request went (or the worker's
/// before it answered), the reminder brings the action back and its activation sends each unanswered firing again,
/// with the request identifier it had: a create is then answered from the target's record of completed creates
/// instead of being made twice. A firing whose answer was stored is never sent again.
/// </summary>
internal sealed partial class ActionGrain
{
    private const string FiringReminder = "action";

    private static readonly TimeSpan FiringReminderPeriod = TimeSpan.FromMinutes(1);

    // When this activation handed each unanswered firing to the worker (Environment.TickCount64).
    private readonly Dictionary<string, long> _handedOver = new(StringComparer.Ordinal);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (Exists && IsLive(Now()) && State.Specific is ActionProgress { Unanswered.Count: > 0 } progress)
        {
            foreach (var firing in progress.Unanswered)
            {
                LogSentAgain(Logger, ResourceId, firing.Id);
                Send(firing);
            }
        }
    }

    public override async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != FiringReminder)
        {
            await base.ReceiveReminder(reminderName, status);
            return;
        }

        if (!Exists || !IsLive(Now()) || State.Specific is not ActionProgress { Unanswered.Count: > 0 } progress)
        {
            await ForgetWatch(FiringReminder);
            return;
        }

        // The activation sent them when it started; one handed over a whole period ago and still unanswered was lost
        // with the worker's silo.
        var now = Environment.TickCount64;
        foreach (var firing in progress.Unanswered)
        {
            if (!_handedOver.TryGetValue(firing.Id, out var at) || now - at >= (long)FiringReminderPeriod.TotalMilliseconds)
            {
                LogSentAgain(Logger, ResourceId, firing.Id);
                Send(firing);
            }
        }
    }

    public async ValueTask Fired(string firingId, Dictionary<string, object?> result)
    {
        if (!IsLive(Now()) || State.Specific is not ActionProgress progress
            || progress.Unanswered.FindIndex(f => f.Id == firingId) is var index && index < 0)
        {
            return; // gone, or answered already (a firing sent again after a recovery, answered twice)
        }

        var firing = progress.Unanswered[index];
        var previous = State.Attributes;
        progress.Unanswered.RemoveAt(index);
        State.Attributes = new Dictionary<string, object?>(previous, StringComparer.Ordinal) { ["air"] = result };
        try
        {
            await WriteStateAsync();
        }
        catch
        {
            progress.Unanswered.Insert(index, firing);
            State.Attributes = previous;
            throw;
        }

        _handedOver.Remove(firingId);
        if (progress.Unanswered.Count == 0)
        {
            await ForgetWatch(FiringReminder);
        }
    }

    /// <summary>Hands <paramref name="firing"/> to the worker, outside this turn.</summary>
    private void Send(ActionFiring firing)
    {
        _handedOver[firing.Id] = Environment.TickCount64;
        _ = GrainFactory.GetGrain<IActionFiringGrain>(0).Fire(ResourceId, firing.Id, firing.TargetId, firing.Request);
    }

    [LoggerMessage(EventId = 2958, Level = LogLevel.Information, Message = "Action {ActionId}: its firing on event {EventId} is unanswered and sent again")]
    private static partial void LogSentAgain(ILogger logger, string actionId, string eventId);
}
