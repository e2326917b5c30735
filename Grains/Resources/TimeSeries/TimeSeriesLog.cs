using VirtualIoT.Grains.Resources.Container;

namespace VirtualIoT.Grains.Resources.TimeSeries;

/// <summary>
/// A timeSeries's own stored state: its instance log (as every instance holder's) and where its missing-data
/// detection stands. Written when detection starts or stops and when a point goes missing, not at every check that
/// finds its point: after a reactivation the check catches up from the instances themselves.
/// </summary>
[GenerateSerializer, Alias("VirtualIoT.TimeSeriesLog")]
public sealed class TimeSeriesLog : ContainerLog
{
    /// <summary>Whether detection runs: <c>mdd</c> is true and an instance arrived since it was (re)started.</summary>
    [Id(0)] public bool Detecting { get; set; }

    /// <summary>The data generation time the next data point is expected at (UTC).</summary>
    [Id(1)] public DateTime Expected { get; set; }

    /// <summary>Per missing-data subscription (net 8, by its <c>ri</c>): the points counted in its current window.</summary>
    [Id(2)] public Dictionary<string, MissingDataWindow> Windows { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The missing points a subscription's <c>enc/md</c> window counts, until they make a report or the window ends.</summary>
[GenerateSerializer, Alias("VirtualIoT.MissingDataWindow")]
public sealed class MissingDataWindow
{
    /// <summary>Expected times of the missing points not reported yet, oldest first.</summary>
    [Id(0)] public List<string> Missing { get; set; } = [];

    /// <summary>When the window ends: <c>dur</c> after the detection of its first missing point (UTC).</summary>
    [Id(1)] public DateTime Ends { get; set; }
}
