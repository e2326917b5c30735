using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.CseBase;

/// <summary>The CSEBase: every attribute is set by the CSE, none by a request.</summary>
internal static class CseBasePolicy
{
    public static readonly ResourcePolicy Rules = new(ResourceType.CSEBase, []);
}
