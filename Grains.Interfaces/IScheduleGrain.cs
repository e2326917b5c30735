namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;schedule&gt;</c> (ty 18, key = its <c>ri</c>): time windows (<c>se</c>) under a CSEBase, AE,
/// node or subscription. Under a subscription its windows are the only times that subscription notifies.
/// </summary>
[Alias("VirtualIoT.IScheduleGrain")]
public interface IScheduleGrain : IClusterResourceGrain
{
}
