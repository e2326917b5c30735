namespace VirtualIoT.Grains.Resources;

/// <summary>What events raised by a request know of it.</summary>
internal abstract partial class ResourceGrain
{
    /// <summary>
    /// The originator of the create, update or delete this grain is executing (set at the start of every
    /// <see cref="Execute"/>), carried by the events it raises (R5 <c>eeno</c>); null in turns no request started.
    /// </summary>
    protected string? RequestOriginator { get; private set; }
}
