namespace VirtualIoT.Grains;

/// <summary>
/// The clock the resource grains read oneM2M times from: creation and modification times, expiration checks, the
/// expiration caps. The system clock unless the host registers another (the tests move one ahead to expire
/// resources without waiting). A service of its own rather than the <see cref="TimeProvider"/> service, which
/// Orleans' own timers read: moving this clock moves no timer.
/// </summary>
/// <param name="time">Where the time comes from.</param>
public sealed class CseClock(TimeProvider time)
{
    /// <summary>The system clock.</summary>
    public static CseClock System { get; } = new(TimeProvider.System);

    /// <summary>The current UTC time.</summary>
    public DateTime UtcNow => time.GetUtcNow().UtcDateTime;

    /// <summary>The current time as a canonical oneM2M timestamp.</summary>
    public string Now() => OneM2MTime.Format(UtcNow);
}
