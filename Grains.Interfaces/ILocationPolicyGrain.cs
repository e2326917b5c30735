namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;locationPolicy&gt;</c> (ty 10, key = its <c>ri</c>) under the CSEBase or an AE: how a device's
/// location is obtained (<c>los</c>) and the <c>&lt;container&gt;</c> (<c>loi</c>) the locations are kept in.
/// </summary>
[Alias("VirtualIoT.ILocationPolicyGrain")]
public interface ILocationPolicyGrain : IClusterResourceGrain
{
}
