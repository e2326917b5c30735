using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.CseBase;

/// <summary>The CSEBase: every attribute is set by the CSE; it accepts AE and container children.</summary>
internal static class CseBasePolicy
{
    public static readonly ResourcePolicy Rules = new(
        ResourceType.CSEBase,
        [],
        children: [ResourceType.AE, ResourceType.Container, ResourceType.Subscription],
        unimplementedChildren:
        [
            ResourceType.AccessControlPolicy, ResourceType.Group, ResourceType.Node,
            ResourceType.RemoteCSE, ResourceType.FlexContainer, ResourceType.TimeSeries, ResourceType.Schedule,
            ResourceType.CrossResourceSubscription, ResourceType.SemanticDescriptor,
        ]);
}
