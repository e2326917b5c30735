using System.Collections.Frozen;
using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// The member names the one primitive mapping (<see cref="MqttRequestParser"/>, <see cref="PrimitiveMemberReader"/>)
/// knows, found from the UTF-8 bytes a reader stands on, so that a known name costs no new string in any serialization.
/// Every such name is ASCII of at most 8 bytes: its bytes packed into a <see cref="ulong"/> are its key.
/// </summary>
internal static class PrimitiveNames
{
    /// <summary>Top-level members checked for duplicates, each by its index in this list.</summary>
    private static readonly string[] s_topLevel =
        ["op", "to", "fr", "rqi", "rvi", "ty", "pc", "fc", "rt", "rcn", "drt", "atrl", "da", "sqi", "rp", "rids", "tids", "ltids", "tqi", "asi", "auri",
         "rqet", "rset", "oet", "vsi", "gid", "ot"];

    private static readonly FrozenDictionary<string, int> s_index =
        s_topLevel.Select((name, index) => KeyValuePair.Create(name, index)).ToFrozenDictionary(StringComparer.Ordinal);

    // The top-level names, the members of rt and fc.atr, pc's m2m:atrl, and the filter criteria members.
    private static readonly FrozenDictionary<ulong, string> s_byBytes = s_topLevel
        .Concat(["rtv", "nu", "atr", "nm", "val", "m2m:atrl", "rsc", "ec", "tkns"])
        .Concat(RequestParameterParser.ParameterNames)
        .Distinct(StringComparer.Ordinal)
        .ToFrozenDictionary(name => Pack(System.Text.Encoding.ASCII.GetBytes(name)) ?? throw new InvalidOperationException($"'{name}' is not a short ASCII name"));

    /// <summary>The index of a top-level member name (below 32), or -1 for any other name.</summary>
    public static int IndexOf(string name) => s_index.TryGetValue(name, out var index) ? index : -1;

    /// <summary>The known name spelled by <paramref name="utf8"/>, or null.</summary>
    public static string? Find(ReadOnlySpan<byte> utf8) =>
        Pack(utf8) is { } key && s_byBytes.TryGetValue(key, out var name) && name.Length == utf8.Length ? name : null;

    // Leading zero bytes pack as nothing: the length check above tells "\0op" from "op".
    private static ulong? Pack(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty || utf8.Length > sizeof(ulong))
        {
            return null;
        }

        ulong key = 0;
        foreach (var b in utf8)
        {
            key = (key << 8) | b;
        }

        return key;
    }
}
