using System.Diagnostics.Metrics;

namespace VirtualIoT.Grains.Notifications;

/// <summary>Notification instruments on the <c>VirtualIoT</c> meter.</summary>
public sealed class NotificationMetrics
{
    /// <summary>Name of the meter shared by every VirtualIoT instrument.</summary>
    public const string MeterName = "VirtualIoT";

    private readonly Counter<long> _delivered;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _dropped;

    /// <summary>Creates the instruments.</summary>
    public NotificationMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _delivered = meter.CreateCounter<long>("virtualiot.notifications.delivered", "{notification}",
            "Notifications a target answered with a success status.");
        _retried = meter.CreateCounter<long>("virtualiot.notifications.retried", "{notification}",
            "Notification deliveries that failed and were scheduled again.");
        _dropped = meter.CreateCounter<long>("virtualiot.notifications.dropped", "{notification}",
            "Notifications given up after the last attempt.");
    }

    /// <summary>Counts notifications delivered to targets.</summary>
    public void Delivered(int targets) => _delivered.Add(targets);

    /// <summary>Counts a retry.</summary>
    public void Retried() => _retried.Add(1);

    /// <summary>Counts a dropped notification.</summary>
    public void Dropped() => _dropped.Add(1);
}
