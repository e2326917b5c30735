using VirtualIoT.Grains.Domain.Access;

namespace VirtualIoT.Grains.Resources.AeContactList;

/// <summary>
/// Which AEs a resource names (TS-0001 9.6.46: "notification targets, group member IDs"): the AE-IDs among its
/// <c>nu</c> and <c>mid</c> entries, bare, SP-relative or absolute; a URL or another resource's address is no AE.
/// After a change a resource tells the AEs it started or stopped naming, one-way, so no turn waits for them.
/// </summary>
internal static class AeContacts
{
    private static readonly string[] s_namingAttributes = [AttributeNames.NotificationUri, "mid"];

    /// <summary>The AE-IDs <paramref name="attributes"/> name; empty for none (or no attributes).</summary>
    public static HashSet<string> Named(Dictionary<string, object?>? attributes, OriginatorForms forms)
    {
        var named = new HashSet<string>(StringComparer.Ordinal);
        if (attributes is null)
        {
            return named;
        }

        foreach (var attribute in s_namingAttributes)
        {
            if (attributes.GetValueOrDefault(attribute) is not List<object?> entries)
            {
                continue;
            }

            foreach (var entry in entries)
            {
                if (entry is string text && AeId(text, forms) is { } aeId)
                {
                    named.Add(aeId);
                }
            }
        }

        return named;
    }

    /// <summary>
    /// Tells every AE that <paramref name="before"/> and <paramref name="after"/> differ on (null: the resource did
    /// not exist, or no longer does) that <paramref name="resourceId"/> now names it or no longer does.
    /// </summary>
    public static void Tell(IGrainFactory grains, OriginatorForms forms, string resourceId,
        Dictionary<string, object?>? before, Dictionary<string, object?>? after)
    {
        var was = Named(before, forms);
        var now = Named(after, forms);
        foreach (var aeId in now)
        {
            if (!was.Contains(aeId))
            {
                _ = grains.GetGrainByKey<IAeContactGrain>(aeId).Named(resourceId, true);
            }
        }

        foreach (var aeId in was)
        {
            if (!now.Contains(aeId))
            {
                _ = grains.GetGrainByKey<IAeContactGrain>(aeId).Named(resourceId, false);
            }
        }
    }

    /// <summary>The AE-ID an entry names (<c>Cae1</c>, <c>/id-in/Cae1</c>, <c>//sp/id-in/Cae1</c>), or null.</summary>
    private static string? AeId(string entry, OriginatorForms forms)
    {
        if (entry.Contains("://", StringComparison.Ordinal))
        {
            return null;
        }

        var query = entry.IndexOf('?', StringComparison.Ordinal);
        var id = forms.Normalize(query < 0 ? entry : entry[..query]);
        return id.Length > 1 && id[0] is 'C' or 'S' && !id.Contains('/', StringComparison.Ordinal) ? id : null;
    }
}
