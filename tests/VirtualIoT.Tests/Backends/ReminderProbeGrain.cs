namespace VirtualIoT.Tests.Backends;

/// <summary>A grain that holds reminders on request and counts their ticks, for the reminder back-end tests.</summary>
[Alias("VirtualIoT.Tests.IReminderProbeGrain")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    [Alias("Register")]
    Task Register(string name, TimeSpan dueTime, TimeSpan period);

    /// <summary>Whether the reminder service knows the reminder (a read of one row).</summary>
    [Alias("Has")]
    Task<bool> Has(string name);

    /// <summary>Names of the grain's reminders (a read of all its rows).</summary>
    [Alias("Names")]
    Task<string[]> Names();

    /// <summary>Ticks received by this activation.</summary>
    [Alias("Ticks")]
    Task<int> Ticks(string name);

    [Alias("Unregister")]
    Task Unregister(string name);
}

public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    private readonly Dictionary<string, int> _ticks = new(StringComparer.Ordinal);

    public Task Register(string name, TimeSpan dueTime, TimeSpan period) => this.RegisterOrUpdateReminder(name, dueTime, period);

    public async Task<bool> Has(string name) => await this.GetReminder(name) is not null;

    public async Task<string[]> Names() => [.. (await this.GetReminders()).Select(r => r.ReminderName).Order(StringComparer.Ordinal)];

    public Task<int> Ticks(string name) => Task.FromResult(_ticks.GetValueOrDefault(name));

    public async Task Unregister(string name)
    {
        if (await this.GetReminder(name) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _ticks[reminderName] = _ticks.GetValueOrDefault(reminderName) + 1;
        return Task.CompletedTask;
    }
}
