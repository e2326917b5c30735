using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>The content of a response as the request's result content (<c>rcn</c>) shapes it.</summary>
internal static class ResultContentBuilder
{
    /// <summary>Whether result content <paramref name="rcn"/> lists children (and so needs them loaded).</summary>
    public static bool ListsChildren(ResultContent rcn) => rcn != ResultContent.Attributes;

    /// <summary>Whether result content <paramref name="rcn"/> carries the children's attributes, not only references.</summary>
    public static bool WithChildAttributes(ResultContent rcn) =>
        rcn is ResultContent.AttributesAndChildResources or ResultContent.ChildResources;

    /// <summary>Content for a retrieve or delete with result content <paramref name="rcn"/>; <paramref name="children"/> when it lists them.</summary>
    public static object? Build(ResultContent rcn, string rootKey, Dictionary<string, object?> attributes, ResourceRequest request,
        List<ChildEntry>? children)
    {
        if (children is null)
        {
            return Representation.Resource(rootKey, attributes, request.AttributeList);
        }

        var unstructured = request.IdentifierForm == IdentifierForm.Unstructured;
        switch (rcn)
        {
            case ResultContent.AttributesAndChildResources:
            case ResultContent.ChildResources:
                var body = rcn == ResultContent.ChildResources
                    ? new Dictionary<string, object?>(StringComparer.Ordinal)
                    : new Dictionary<string, object?>(attributes, StringComparer.Ordinal);
                foreach (var child in children)
                {
                    if (child.Attributes is not null)
                    {
                        Representation.AddChild(body, child.RootKey ?? Policies.RootKeyOf(child.Reference.Type, child.Attributes), child.Attributes);
                    }
                }

                return new Dictionary<string, object?>(1, StringComparer.Ordinal) { [rootKey] = body };
            case ResultContent.AttributesAndChildResourceReferences:
                var withReferences = new Dictionary<string, object?>(attributes, StringComparer.Ordinal)
                {
                    ["ch"] = References(children, unstructured),
                };
                return new Dictionary<string, object?>(1, StringComparer.Ordinal) { [rootKey] = withReferences };
            default:
                return Representation.ReferenceList(References(children, unstructured));
        }
    }

    /// <summary>The content of an update's response: nothing, the modified attributes, or the resource.</summary>
    public static object? Updated(ResultContent? rcn, string rootKey, Dictionary<string, object?> current, Dictionary<string, object?> accepted) =>
        rcn switch
        {
            ResultContent.Nothing => null,
            ResultContent.ModifiedAttributes => Representation.Resource(rootKey, ModifiedByUpdate(current, accepted)),
            _ => Representation.Resource(rootKey, current),
        };

    /// <summary>The response to a successful create, shaped by the request's result content.</summary>
    public static ResourceResponse Created(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> attributes, Dictionary<string, object?> accepted, string path)
    {
        var address = request.IdentifierForm == IdentifierForm.Unstructured ? attributes.ResourceId() : path;
        object? content = request.ResultContent switch
        {
            ResultContent.Nothing => null,
            ResultContent.HierarchicalAddress => Representation.Uri(address),
            ResultContent.HierarchicalAddressAndAttributes => Representation.ResourceAndUri(policy.RootKey, attributes, address),
            ResultContent.ModifiedAttributes => Representation.Resource(policy.RootKey, Representation.Modified(attributes, accepted)),
            _ => Representation.Resource(policy.RootKey, attributes),
        };
        return new ResourceResponse(ResponseStatusCode.Created, content, Location: address);
    }

    /// <summary>The attributes an update set or removed, with the ones every update changes (<c>lt</c>, <c>st</c>).</summary>
    public static Dictionary<string, object?> ModifiedByUpdate(Dictionary<string, object?> current, Dictionary<string, object?> accepted)
    {
        var modified = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var name in accepted.Keys)
        {
            modified[name] = current.TryGetValue(name, out var value) ? value : null;
        }

        modified[AttributeNames.LastModifiedTime] = current[AttributeNames.LastModifiedTime];
        if (current.TryGetValue(AttributeNames.StateTag, out var st))
        {
            modified[AttributeNames.StateTag] = st;
        }

        return modified;
    }

    private static List<object?> References(List<ChildEntry> children, bool unstructured)
    {
        var references = new List<object?>(children.Count);
        foreach (var child in children)
        {
            references.Add(Representation.ChildReference(child.Reference.Name, child.Reference.Type,
                unstructured ? child.Reference.ResourceId : child.Path));
        }

        return references;
    }
}

/// <summary>
/// A child listed for result content: its reference, structured address and, when loaded, attributes; its root key
/// when the attributes do not say it (a flexContainerInstance's).
/// </summary>
internal sealed record ChildEntry(ChildReference Reference, string Path, Dictionary<string, object?>? Attributes, string? RootKey = null);
