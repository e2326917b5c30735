namespace VirtualIoT.Grains.Resources.Announced;

/// <summary>
/// What an announcement of a resource of this CSE carries (TS-0001 9.6.1.3, 10.2.18): the CSEs its <c>at</c> names,
/// the attributes of its announced copy (those announced whatever <c>aa</c> says, and those <c>aa</c> names; never
/// the ones set by each CSE itself), and what an update of the copy must change.
/// </summary>
internal static class AnnouncementContent
{
    /// <summary>Whether the attributes name any announcement target.</summary>
    public static bool Announces(Dictionary<string, object?>? attributes) =>
        attributes?.GetValueOrDefault("at") is List<object?> { Count: > 0 };

    /// <summary>
    /// The SP-relative CSE-IDs <c>at</c> names (an entry <c>/id-in</c>, <c>/id-in/…</c> or <c>//sp/id-in/…</c> names
    /// <c>/id-in</c>), without <paramref name="ownCseId"/> (a CSE does not announce to itself, as ACME ignores it).
    /// </summary>
    public static List<string> Targets(Dictionary<string, object?>? attributes, string ownCseId)
    {
        var targets = new List<string>();
        if (attributes?.GetValueOrDefault("at") is not List<object?> at)
        {
            return targets;
        }

        foreach (var entry in at.OfType<string>())
        {
            if (CseIdOf(entry) is { } cseId && cseId != ownCseId && !targets.Contains(cseId))
            {
                targets.Add(cseId);
            }
        }

        return targets;
    }

    /// <summary>The SP-relative CSE-ID an <c>at</c> entry names, or null when it names none.</summary>
    private static string? CseIdOf(string entry)
    {
        var relative = AnnouncedPolicies.SpRelative(entry);
        if (relative.Length < 2 || relative[0] != '/')
        {
            return null;
        }

        var end = relative.IndexOf('/', 1);
        var cseId = end < 0 ? relative : relative[..end];
        return cseId.Length > 1 ? cseId : null;
    }

    /// <summary>
    /// The <c>at</c> of <paramref name="attributes"/> with its entry for <paramref name="cseId"/> naming the copy there
    /// (<c>/id-in/cntA12</c>, as ACME lists an announced copy), or null when it names it already or does not name that CSE.
    /// </summary>
    public static List<object?>? WithCopy(Dictionary<string, object?> attributes, string cseId, string remoteId)
    {
        if (attributes.GetValueOrDefault("at") is not List<object?> at)
        {
            return null;
        }

        var copy = string.Concat(cseId, "/", remoteId);
        var index = at.FindIndex(entry => entry is string text && CseIdOf(text) == cseId);
        if (index < 0 || at[index] as string == copy)
        {
            return null;
        }

        var listed = new List<object?>(at) { [index] = copy };
        return listed;
    }

    /// <summary>
    /// The attributes of the announced copy: every mandatory-announced one the resource has, and those its <c>aa</c>
    /// names, minus those never announced; <c>acpi</c> entries of this CSE made SP-relative (<c>/id-mn/acp…</c>), and
    /// so are a policy's <c>acor</c> entries naming originators of this CSE.
    /// </summary>
    public static Dictionary<string, object?> Announced(Dictionary<string, object?> attributes, string ownCseId)
    {
        var named = attributes.GetValueOrDefault("aa") as List<object?>;
        var announced = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in attributes)
        {
            if (AnnouncedPolicies.NotAnnounced.Contains(name)
                || !(AnnouncedPolicies.MandatoryAnnounced.Contains(name) || named?.Contains(name) == true))
            {
                continue;
            }

            announced[name] = name switch
            {
                AttributeNames.AccessControlPolicyIds when value is List<object?> acpi => acpi.Select(id => SpRelative(id, ownCseId)).ToList(),
                "pv" or "pvs" when value is Dictionary<string, object?> privileges => AnnouncedPrivileges(privileges, ownCseId),
                _ => value,
            };
        }

        return announced;
    }

    /// <summary>An ID of this CSE (<c>Cae</c>, <c>acp…</c>) made SP-relative (<c>/id-mn/Cae</c>); others as they are.</summary>
    private static object? SpRelative(object? id, string ownCseId) =>
        id is string ri && ri.Length > 0 && !ri.StartsWith('/') ? string.Concat(ownCseId, "/", ri) : id;

    /// <summary>
    /// A policy's <c>pv</c> or <c>pvs</c> as its copy on another CSE must read it: every <c>acor</c> entry naming an
    /// originator of this CSE (<c>Cae</c>, a group) made SP-relative (<c>/id-mn/Cae</c>), so that it grants that
    /// originator there and not the other CSE's namesake; <c>all</c> and SP-relative or absolute entries as they are.
    /// </summary>
    private static Dictionary<string, object?> AnnouncedPrivileges(Dictionary<string, object?> privileges, string ownCseId)
    {
        var copy = new Dictionary<string, object?>(privileges, StringComparer.Ordinal);
        if (privileges.GetValueOrDefault("acr") is List<object?> rules)
        {
            copy["acr"] = rules.Select(rule => rule is Dictionary<string, object?> entry && entry.GetValueOrDefault("acor") is List<object?> originators
                ? new Dictionary<string, object?>(entry, StringComparer.Ordinal)
                {
                    ["acor"] = originators.Select(originator => originator is "all" ? originator : SpRelative(originator, ownCseId)).ToList(),
                }
                : rule).ToList();
        }

        return copy;
    }

    /// <summary>Whether <paramref name="attributes"/> ask for bi-directional synchronisation with the copies (<c>ast</c> 2).</summary>
    public static bool SyncsBothWays(Dictionary<string, object?>? attributes) =>
        attributes?.GetValueOrDefault(AnnouncedPolicies.SyncType) is 2L;

    /// <summary>
    /// Whether the CSE <paramref name="originator"/> may update the attributes <paramref name="names"/> of a resource
    /// with <paramref name="attributes"/> as the holder of its bi-directionally synchronised copy: <c>ast</c> is 2,
    /// <c>at</c> names that CSE, and every name is an attribute the copy carries (announced whatever <c>aa</c> says,
    /// or named in <c>aa</c>), other than the access control ones and <c>ast</c>, which are each CSE's own.
    /// </summary>
    public static bool MaySyncBack(Dictionary<string, object?> attributes, string originator, IEnumerable<string> names, string ownCseId)
    {
        if (!SyncsBothWays(attributes) || originator.Length < 2 || originator[0] != '/' || originator.IndexOf('/', 1) >= 0
            || !Targets(attributes, ownCseId).Contains(originator))
        {
            return false;
        }

        var named = attributes.GetValueOrDefault("aa") as List<object?>;
        return names.All(name => SyncedBack(name) && (AnnouncedPolicies.MandatoryAnnounced.Contains(name) || named?.Contains(name) == true));
    }

    /// <summary>
    /// Whether an update of <paramref name="name"/> on a copy goes back to its original: not the copy's own
    /// <c>lnk</c> and <c>ast</c>, nor <c>acpi</c> and <c>daci</c> (policies of the CSE holding the copy), nor a policy's
    /// <c>pv</c> and <c>pvs</c> (its owner's to change), nor those never announced.
    /// </summary>
    public static bool SyncedBack(string name) =>
        name is not (AnnouncedPolicies.Link or AnnouncedPolicies.SyncType or AttributeNames.AccessControlPolicyIds or "daci" or "pv" or "pvs")
        && !AnnouncedPolicies.NotAnnounced.Contains(name);

    /// <summary>
    /// <paramref name="sent"/> with the attributes <paramref name="names"/> as in <paramref name="wanted"/>: what a copy
    /// holds after it changed them itself (bi-directional synchronisation).
    /// </summary>
    public static Dictionary<string, object?> WithSynced(Dictionary<string, object?> sent, Dictionary<string, object?> wanted, IEnumerable<string> names)
    {
        var synced = new Dictionary<string, object?>(sent, StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (wanted.TryGetValue(name, out var value))
            {
                synced[name] = value;
            }
            else
            {
                synced.Remove(name);
            }
        }

        return synced;
    }

    /// <summary>
    /// The content of an update that turns the copy sent as <paramref name="sent"/> into <paramref name="wanted"/>:
    /// changed and new attributes, and null for those no longer announced; empty when nothing changed.
    /// </summary>
    public static Dictionary<string, object?> Changes(Dictionary<string, object?> sent, Dictionary<string, object?> wanted)
    {
        var changes = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in wanted)
        {
            if (!sent.TryGetValue(name, out var before) || !SameValue(before, value))
            {
                changes[name] = value;
            }
        }

        foreach (var name in sent.Keys)
        {
            if (!wanted.ContainsKey(name))
            {
                changes[name] = null;
            }
        }

        return changes;
    }

    private static bool SameValue(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(pair => SameValue(pair.First, pair.Second)),
        (Dictionary<string, object?> x, Dictionary<string, object?> y) =>
            x.Count == y.Count && x.All(pair => y.TryGetValue(pair.Key, out var other) && SameValue(pair.Value, other)),
        _ => Equals(a, b),
    };
}
