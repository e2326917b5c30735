namespace VirtualIoT;

/// <summary>
/// Grain of an announced resource (<see cref="AnnouncedTypes"/>: AEAnnc, containerAnnc …; key = its <c>ri</c>): the
/// stand-in of a resource another CSE announced here, with <c>lnk</c> naming the original.
/// </summary>
[Alias("VirtualIoT.IAnnouncedResourceGrain")]
public interface IAnnouncedResourceGrain : IClusterResourceGrain
{
}
