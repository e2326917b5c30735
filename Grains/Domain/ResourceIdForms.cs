namespace VirtualIoT.Grains.Domain;

/// <summary>
/// The forms a resource ID or address of this CSE may be given in an attribute (TS-0001 7.2): CSE-relative
/// (<c>cnt…</c>, <c>cse-in/app</c>), SP-relative (<c>/id-in/cnt…</c>) or absolute (<c>//sp/id-in/cnt…</c>).
/// </summary>
internal static class ResourceIdForms
{
    /// <summary>
    /// <paramref name="id"/> in CSE-relative form (the unstructured ID or the structured path), or null when it names
    /// another CSE or is malformed.
    /// </summary>
    public static string? ToCseRelative(CseOptions options, string id)
    {
        var absolute = string.Concat(options.SpId, options.CseId, "/");
        if (id.StartsWith(absolute, StringComparison.Ordinal))
        {
            return id[absolute.Length..];
        }

        var spRelative = options.CseId + "/";
        if (id.StartsWith(spRelative, StringComparison.Ordinal))
        {
            return id[spRelative.Length..];
        }

        return id.StartsWith('/') || id.EndsWith('/') || id.Contains("//", StringComparison.Ordinal) ? null : id;
    }
}
