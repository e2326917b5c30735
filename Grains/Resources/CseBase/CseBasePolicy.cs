using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.CseBase;

/// <summary>The CSEBase: every attribute is set by the CSE; it accepts ACP, AE, container, group and subscription children.</summary>
internal static class CseBasePolicy
{
    public static readonly ResourcePolicy Rules = new(
        ResourceType.CSEBase,
        [],
        children: [ResourceType.AccessControlPolicy, ResourceType.AE, ResourceType.Container, ResourceType.Group, ResourceType.Subscription],
        unimplementedChildren:
        [
            ResourceType.Node,
            ResourceType.RemoteCSE, ResourceType.FlexContainer, ResourceType.TimeSeries, ResourceType.Schedule,
            ResourceType.CrossResourceSubscription, ResourceType.SemanticDescriptor,
        ]);
}
