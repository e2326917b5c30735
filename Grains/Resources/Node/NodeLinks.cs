using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Node;

/// <summary>Finds the node an AE's <c>nl</c> (nodeLink) names.</summary>
internal static class NodeLinks
{
    /// <summary>
    /// The resource ID of the node <paramref name="link"/> names, given as its resource ID in any form (unstructured,
    /// SP-relative, absolute) or as its structured address (<c>cse-in/myNode</c>: a node is a child of the CSEBase);
    /// null when it names no node of this CSE. Whether that node exists is its grain's to say.
    /// </summary>
    public static async ValueTask<string?> ResolveAsync(IGrainFactory grains, CseOptions options, string link)
    {
        if (ResourceIdForms.ToCseRelative(options, link) is not { Length: > 0 } relative)
        {
            return null;
        }

        var slash = relative.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return ResourceIds.Classify(relative, options.CseBaseId) == ResourceType.Node ? relative : null;
        }

        var parent = relative[..slash];
        var name = relative[(slash + 1)..];
        if ((parent != options.CseBaseName && parent != "-") || name.Contains('/', StringComparison.Ordinal))
        {
            return null;
        }

        var child = await grains.GetResourceGrain(options.CseBaseId, options.CseBaseId)!.ResolveChild(name);
        return child is { Type: ResourceType.Node } ? child.ResourceId : null;
    }
}
