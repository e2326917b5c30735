namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;timeSeries&gt;</c> (ty 29, key = <c>ri</c>) together with its <c>&lt;timeSeriesInstance&gt;</c>s
/// (ty 30), <c>la</c> and <c>ol</c>, and its missing-data detection (<c>mdd</c>), which runs on this grain's timer.
/// </summary>
[Alias("VirtualIoT.ITimeSeriesGrain")]
public interface ITimeSeriesGrain : IClusterResourceGrain
{
}
