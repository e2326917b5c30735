namespace VirtualIoT.Grains.Domain;

/// <summary>
/// Typed reads of the attributes every stored resource has, from its attribute dictionary: the CSE sets them at
/// creation (<see cref="ResourceFactory"/>), so their presence and type are invariants, not input to check.
/// </summary>
internal static class CommonAttributes
{
    /// <summary>The resource ID (<c>ri</c>).</summary>
    public static string ResourceId(this Dictionary<string, object?> attributes) => (string)attributes[AttributeNames.ResourceId]!;

    /// <summary>The resource name (<c>rn</c>).</summary>
    public static string ResourceName(this Dictionary<string, object?> attributes) => (string)attributes[AttributeNames.ResourceName]!;

    /// <summary>The parent's resource ID (<c>pi</c>).</summary>
    public static string ParentId(this Dictionary<string, object?> attributes) => (string)attributes[AttributeNames.ParentId]!;

    /// <summary>The expiration time (<c>et</c>), or null for a resource that has none (the CSEBase).</summary>
    public static string? ExpirationTime(this Dictionary<string, object?> attributes) =>
        attributes.TryGetValue(AttributeNames.ExpirationTime, out var et) ? et as string : null;

    /// <summary>The state tag (<c>st</c>) of a resource that has one (container, content instance).</summary>
    public static long StateTag(this Dictionary<string, object?> attributes) => (long)attributes[AttributeNames.StateTag]!;

    /// <summary>The content size (<c>cs</c>) of a content instance.</summary>
    public static long ContentSize(this Dictionary<string, object?> attributes) => (long)attributes[AttributeNames.ContentSize]!;

    /// <summary>A long attribute (a container's limits), or null when absent.</summary>
    public static long? Long(this Dictionary<string, object?> attributes, string name) =>
        attributes.TryGetValue(name, out var value) ? value as long? : null;
}
