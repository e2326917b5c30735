namespace VirtualIoT.Grains.Domain;

/// <summary>Builds response content (<c>pc</c>) trees from stored attributes, per TS-0004 result content rules.</summary>
internal static class Representation
{
    /// <summary><c>{"m2m:xxx": {…}}</c>, limited to <paramref name="attributeList"/> when one is given.</summary>
    public static Dictionary<string, object?> Resource(string rootKey, Dictionary<string, object?> attributes,
        IReadOnlyList<string>? attributeList = null)
    {
        if (attributeList is { Count: > 0 })
        {
            var partial = new Dictionary<string, object?>(attributeList.Count, StringComparer.Ordinal);
            foreach (var name in attributeList)
            {
                if (attributes.TryGetValue(name, out var value))
                {
                    partial[name] = value;
                }
            }

            attributes = partial;
        }

        return new Dictionary<string, object?>(1, StringComparer.Ordinal) { [rootKey] = attributes };
    }

    /// <summary>A child resource reference <c>{"nm","typ","val"}</c>.</summary>
    public static Dictionary<string, object?> ChildReference(string name, ResourceType type, string id) =>
        new(3, StringComparer.Ordinal) { ["nm"] = name, ["typ"] = (long)type, ["val"] = id };

    /// <summary><c>{"m2m:uri": "…"}</c>.</summary>
    public static Dictionary<string, object?> Uri(string address) =>
        new(1, StringComparer.Ordinal) { ["m2m:uri"] = address };

    /// <summary><c>{"m2m:rce": {"m2m:xxx": {…}, "uri": "…"}}</c>.</summary>
    public static Dictionary<string, object?> ResourceAndUri(string rootKey, Dictionary<string, object?> attributes, string address) =>
        new(1, StringComparer.Ordinal)
        {
            ["m2m:rce"] = new Dictionary<string, object?>(2, StringComparer.Ordinal) { [rootKey] = attributes, ["uri"] = address },
        };

    /// <summary><c>{"m2m:rrl": {"rrf": [...]}}</c>.</summary>
    public static Dictionary<string, object?> ReferenceList(List<object?> references) =>
        new(1, StringComparer.Ordinal)
        {
            ["m2m:rrl"] = new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["rrf"] = references },
        };

    /// <summary><c>{"m2m:uril": [...]}</c>.</summary>
    public static Dictionary<string, object?> UriList(List<object?> addresses) =>
        new(1, StringComparer.Ordinal) { ["m2m:uril"] = addresses };

    /// <summary>The attributes present in <paramref name="after"/> that the request did not send or that differ from it (rcn 9).</summary>
    public static Dictionary<string, object?> Modified(Dictionary<string, object?> after, Dictionary<string, object?> sent)
    {
        var modified = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in after)
        {
            if (!sent.TryGetValue(name, out var sentValue) || !Equals(sentValue, value))
            {
                modified[name] = value;
            }
        }

        return modified;
    }

    /// <summary>Adds <paramref name="child"/> to the list under its root key in <paramref name="target"/> (rcn 4 and 8).</summary>
    public static void AddChild(Dictionary<string, object?> target, string rootKey, Dictionary<string, object?> child)
    {
        if (!target.TryGetValue(rootKey, out var existing) || existing is not List<object?> list)
        {
            list = [];
            target[rootKey] = list;
        }

        list.Add(child);
    }
}
