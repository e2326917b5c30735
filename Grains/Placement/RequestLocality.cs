using System.Diagnostics.Metrics;

namespace VirtualIoT.Grains.Placement;

/// <summary>
/// Locality instruments on the <c>VirtualIoT</c> meter: binding requests served by resource grains, tagged with the
/// binding and whether the request reached its grain on the silo it entered the cluster at (<c>local</c>), on
/// another silo (<c>remote</c>: one cross-silo hop there and back) or from a standalone gateway, which is an Orleans
/// client and so always one hop away (<c>external</c>); and the moves of device grains to where their requests arrive.
/// </summary>
public sealed class LocalityMetrics
{
    /// <summary>Tag value: served on the silo whose binding received the request.</summary>
    public const string Local = "local";

    /// <summary>Tag value: served on another silo than the one whose binding received the request.</summary>
    public const string Remote = "remote";

    /// <summary>Tag value: received by a standalone gateway (an Orleans client).</summary>
    public const string External = "external";

    /// <summary>Name of the counter of served requests.</summary>
    public const string ServedInstrument = "virtualiot.requests.served";

    /// <summary>Tag of <see cref="ServedInstrument"/>: the binding that received the request (<c>http</c>, <c>mqtt</c>).</summary>
    public const string BindingTag = "binding";

    /// <summary>Tag of <see cref="ServedInstrument"/>: <see cref="Local"/>, <see cref="Remote"/> or <see cref="External"/>.</summary>
    public const string LocalityTag = "locality";

    private readonly Counter<long> _served;
    private readonly Counter<long> _migrations;

    // Running totals of the bindings for views that cannot read tags (the Orleans Dashboard): [binding, locality].
    private readonly long[] _totals = new long[6];

    /// <summary>Creates the instruments.</summary>
    public LocalityMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(Notifications.NotificationMetrics.MeterName);
        _served = meter.CreateCounter<long>(ServedInstrument, "{request}",
            "Binding requests served by resource grains, by binding and locality (local: no cross-silo grain hop).");
        _migrations = meter.CreateCounter<long>("virtualiot.grains.migrations", "{migration}",
            "Device grains moved to the silo where their requests arrive.");
    }

    /// <summary>Counts one request served with the given locality.</summary>
    public void Served(string binding, string locality)
    {
        if (_served.Enabled)
        {
            _served.Add(1, new KeyValuePair<string, object?>(BindingTag, binding), new KeyValuePair<string, object?>(LocalityTag, locality));
        }

        var row = Row(binding);
        if (row >= 0 && locality is Local or Remote)
        {
            Interlocked.Increment(ref _totals[row + (locality == Local ? 0 : 1)]);
        }
    }

    /// <summary>Requests of <paramref name="binding"/> (<c>http</c>, <c>mqtt</c> or <c>ws</c>) served on this silo so far, local and remote.</summary>
    public (long Local, long Remote) Totals(string binding)
    {
        var row = Row(binding);
        return row < 0 ? (0, 0) : (Volatile.Read(ref _totals[row]), Volatile.Read(ref _totals[row + 1]));
    }

    private static int Row(string binding) => binding switch { "http" => 0, "mqtt" => 2, "ws" => 4, _ => -1 };

    /// <summary>Counts a device grain asked to move.</summary>
    public void Migrated() => _migrations.Add(1);
}

/// <summary>
/// One activation's view of where its binding requests come from (<see cref="RequestOrigin"/>). Counts each request
/// in <see cref="LocalityMetrics"/> and, for a grain placed with <see cref="DevicePlacement"/>, tells when the grain
/// should move: after <see cref="Streak"/> requests in a row that entered the cluster at one other silo. A device's
/// grains can be elsewhere than its requests when something other than the device activated them (a reminder after
/// a silo died) or the device moved to another gateway; a device whose requests are spread over the silos (no sticky
/// connection) rarely makes such a streak, so its grains do not move back and forth. Two fields per activation.
/// </summary>
internal sealed class RequestLocality(SiloAddress here, bool followsRequests, LocalityMetrics? metrics)
{
    /// <summary>Requests in a row from one other silo that make the grain move there.</summary>
    public const int Streak = 8;

    private SiloAddress? _candidate;
    private int _streak;

    /// <summary>
    /// Notes the current request's origin (and counts it as served when <paramref name="served"/>: a binding request
    /// rather than a call it caused); true when the grain should now move to the silo it came from (the caller then
    /// calls <c>MigrateOnIdle</c>, which hands the request context, and so this origin, to the placement director).
    /// </summary>
    /// <param name="binding">The request's <see cref="ResourceRequest.Binding"/>: set when its binding, inside a one-silo cluster, left the request context unmarked.</param>
    /// <param name="served">True for a binding request, false for a call it caused.</param>
    public bool Observe(string? binding, bool served = true)
    {
        if (RequestOrigin.Current is not { } origin)
        {
            // Unmarked: a timer or reminder, or a binding request in a one-silo cluster (served where it arrived).
            if (served && binding is not null)
            {
                metrics?.Served(binding, LocalityMetrics.Local);
            }

            return false;
        }

        var silo = origin.Silo;
        var local = silo is not null && silo.Equals(here);
        if (served)
        {
            metrics?.Served(origin.Binding, silo is null ? LocalityMetrics.External : local ? LocalityMetrics.Local : LocalityMetrics.Remote);
        }

        if (!followsRequests || silo is null)
        {
            return false;
        }

        if (local)
        {
            _candidate = null;
            _streak = 0;
            return false;
        }

        if (silo.Equals(_candidate))
        {
            _streak++;
        }
        else
        {
            _candidate = silo;
            _streak = 1;
        }

        if (_streak < Streak)
        {
            return false;
        }

        _candidate = null;
        _streak = 0;
        metrics?.Migrated();
        return true;
    }
}
