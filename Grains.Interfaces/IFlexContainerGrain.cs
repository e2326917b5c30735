namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;flexContainer&gt;</c> (ty 28, key = <c>ri</c>) of any specialization, together with its
/// <c>&lt;flexContainerInstance&gt;</c>s (ty 58): its <c>cnd</c> selects the specialization, which gives the custom
/// attributes and the root key (<c>cod:binSh</c>).
/// </summary>
[Alias("VirtualIoT.IFlexContainerGrain")]
public interface IFlexContainerGrain : IClusterResourceGrain
{
}
