namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;semanticDescriptor&gt;</c> (ty 24, key = its <c>ri</c>): a semantic description (<c>dsp</c>, in the
/// syntax <c>dcrp</c> names) of its parent resource.
/// </summary>
[Alias("VirtualIoT.ISemanticDescriptorGrain")]
public interface ISemanticDescriptorGrain : IClusterResourceGrain
{
}
