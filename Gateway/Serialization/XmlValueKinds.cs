using System.Collections.Frozen;

namespace VirtualIoT.Gateway.Serialization;

/// <summary>What the text of an XML element stands for in the neutral value tree.</summary>
internal enum XmlValueKind
{
    /// <summary>Text (the default for names not listed).</summary>
    Text,
    /// <summary>An integer (xs:integer and its restrictions, the enumerations).</summary>
    Integer,
    /// <summary>xs:boolean (<c>true</c>, <c>false</c>, <c>1</c>, <c>0</c>).</summary>
    Boolean,
    /// <summary>An xs:list of text: one element, items separated by spaces.</summary>
    TextList,
    /// <summary>An xs:list of integers.</summary>
    IntegerList,
    /// <summary>A sequence of repeated elements (<c>maxOccurs="unbounded"</c>): a list even when it occurs once.</summary>
    Repeated,
}

/// <summary>
/// The XML serialization has no types of its own: TS-0004 8.5 and the oneM2M XSDs give each short name its type.
/// This table carries what the neutral tree needs of them for the names the CSE reads and writes (resource
/// attributes, request and notification primitive parameters, filter criteria); a name not listed is text. Types
/// that differ by parent (<c>ty</c> is one integer in a resource, a list in filter criteria) are keyed by parent too.
/// </summary>
internal static class XmlValueKinds
{
    private static readonly FrozenDictionary<string, XmlValueKind> s_kinds = new Dictionary<string, XmlValueKind>
    {
        // Integers: common and type-specific attributes, primitive parameters, enumerations.
        ["ty"] = XmlValueKind.Integer, ["st"] = XmlValueKind.Integer, ["mni"] = XmlValueKind.Integer, ["mbs"] = XmlValueKind.Integer,
        ["mia"] = XmlValueKind.Integer, ["cni"] = XmlValueKind.Integer, ["cbs"] = XmlValueKind.Integer, ["cs"] = XmlValueKind.Integer,
        ["cst"] = XmlValueKind.Integer, ["nct"] = XmlValueKind.Integer, ["exc"] = XmlValueKind.Integer, ["pn"] = XmlValueKind.Integer,
        ["nsp"] = XmlValueKind.Integer, ["acop"] = XmlValueKind.Integer, ["rsc"] = XmlValueKind.Integer, ["op"] = XmlValueKind.Integer,
        ["rcn"] = XmlValueKind.Integer, ["drt"] = XmlValueKind.Integer, ["rtv"] = XmlValueKind.Integer, ["mt"] = XmlValueKind.Integer,
        ["mnm"] = XmlValueKind.Integer, ["cnm"] = XmlValueKind.Integer, ["csy"] = XmlValueKind.Integer, ["num"] = XmlValueKind.Integer,
        ["fu"] = XmlValueKind.Integer, ["fo"] = XmlValueKind.Integer, ["lim"] = XmlValueKind.Integer, ["lvl"] = XmlValueKind.Integer,
        ["ofst"] = XmlValueKind.Integer, ["sza"] = XmlValueKind.Integer, ["szb"] = XmlValueKind.Integer, ["sts"] = XmlValueKind.Integer,
        ["stb"] = XmlValueKind.Integer, ["typ"] = XmlValueKind.Integer, ["dcrp"] = XmlValueKind.Integer, ["evm"] = XmlValueKind.Integer, ["optr"] = XmlValueKind.Integer, ["apy"] = XmlValueKind.Integer, ["ecp"] = XmlValueKind.Integer, ["ec"] = XmlValueKind.Integer, ["rl"] = XmlValueKind.Integer,
        ["pei"] = XmlValueKind.Integer, ["mdn"] = XmlValueKind.Integer, ["mdc"] = XmlValueKind.Integer, ["rqs"] = XmlValueKind.Integer,
        ["rsr"] = XmlValueKind.Integer, ["noec"] = XmlValueKind.Integer, ["rs"] = XmlValueKind.Integer, ["evl"] = XmlValueKind.Integer,
        ["nfu"] = XmlValueKind.Integer, ["nty"] = XmlValueKind.Integer, ["gmty"] = XmlValueKind.Integer, ["gsf"] = XmlValueKind.Integer,
        ["los"] = XmlValueKind.Integer, ["lit"] = XmlValueKind.Integer,
        // Notification target policies (R4): action, ruleRelationship, deletionRuleRelation.
        ["acn"] = XmlValueKind.Integer, ["rrs"] = XmlValueKind.Integer, ["drr"] = XmlValueKind.Integer,
        // timeSeries and timeSeriesInstance (pei, mdn and mdc above).
        ["peid"] = XmlValueKind.Integer, ["mdt"] = XmlValueKind.Integer, ["snr"] = XmlValueKind.Integer,
        // timeSyncBeacon: beaconCriteria.
        ["bcnc"] = XmlValueKind.Integer,
        // crossResourceSubscription: timeWindowType, eventEvaluationMode.
        ["twt"] = XmlValueKind.Integer, ["eem"] = XmlValueKind.Integer,
        // mgmtObj (TS-0004 Annex D): mgmtDefinition, memory, battery, area network device, event log, action status.
        ["mgd"] = XmlValueKind.Integer, ["mma"] = XmlValueKind.Integer, ["mmt"] = XmlValueKind.Integer, ["btl"] = XmlValueKind.Integer,
        ["bts"] = XmlValueKind.Integer, ["sli"] = XmlValueKind.Integer, ["sld"] = XmlValueKind.Integer, ["lgt"] = XmlValueKind.Integer,
        ["lgst"] = XmlValueKind.Integer, ["sus"] = XmlValueKind.Integer,
        // Booleans.
        ["rr"] = XmlValueKind.Boolean, ["disr"] = XmlValueKind.Boolean, ["vrq"] = XmlValueKind.Boolean, ["sud"] = XmlValueKind.Boolean,
        ["ln"] = XmlValueKind.Boolean, ["acaf"] = XmlValueKind.Boolean, ["mtv"] = XmlValueKind.Boolean, ["sqi"] = XmlValueKind.Boolean,
        ["da"] = XmlValueKind.Boolean, ["nse"] = XmlValueKind.Boolean, ["rms"] = XmlValueKind.Boolean, ["dae"] = XmlValueKind.Boolean, ["vlde"] = XmlValueKind.Boolean, ["sfc"] = XmlValueKind.Boolean, ["svd"] = XmlValueKind.Boolean,
        ["ud"] = XmlValueKind.Boolean, ["in"] = XmlValueKind.Boolean, ["un"] = XmlValueKind.Boolean, ["act"] = XmlValueKind.Boolean,
        ["dea"] = XmlValueKind.Boolean, ["att"] = XmlValueKind.Boolean, ["cus"] = XmlValueKind.Boolean, ["ena"] = XmlValueKind.Boolean,
        ["dis"] = XmlValueKind.Boolean, ["rbo"] = XmlValueKind.Boolean, ["far"] = XmlValueKind.Boolean, ["lga"] = XmlValueKind.Boolean,
        ["lgo"] = XmlValueKind.Boolean, ["mdd"] = XmlValueKind.Boolean, ["tra"] = XmlValueKind.Boolean, ["trr"] = XmlValueKind.Boolean,
        ["nco"] = XmlValueKind.Boolean,
        // xs:list of text.
        ["lbl"] = XmlValueKind.TextList, ["acpi"] = XmlValueKind.TextList, ["poa"] = XmlValueKind.TextList, ["srv"] = XmlValueKind.TextList,
        ["nu"] = XmlValueKind.TextList, ["at"] = XmlValueKind.TextList, ["aa"] = XmlValueKind.TextList, ["csz"] = XmlValueKind.TextList,
        ["acor"] = XmlValueKind.TextList, ["mid"] = XmlValueKind.TextList, ["macp"] = XmlValueKind.TextList, ["daci"] = XmlValueKind.TextList, ["dap"] = XmlValueKind.TextList, ["rels"] = XmlValueKind.TextList, ["dep"] = XmlValueKind.TextList,
        ["rids"] = XmlValueKind.TextList, ["m2m:uril"] = XmlValueKind.TextList, ["ipv4"] = XmlValueKind.TextList,
        ["ipv6"] = XmlValueKind.TextList, ["accc"] = XmlValueKind.TextList, ["atrl"] = XmlValueKind.TextList, ["m2m:atrl"] = XmlValueKind.TextList,
        ["cty"] = XmlValueKind.TextList, ["hael"] = XmlValueKind.TextList, ["hsl"] = XmlValueKind.TextList, ["mgca"] = XmlValueKind.TextList,
        ["obis"] = XmlValueKind.TextList, ["obps"] = XmlValueKind.TextList, ["ldv"] = XmlValueKind.TextList, ["lnh"] = XmlValueKind.TextList,
        ["ptl"] = XmlValueKind.TextList, ["mdlt"] = XmlValueKind.TextList, ["ntu"] = XmlValueKind.TextList,
        ["lou"] = XmlValueKind.TextList,
        ["bcnu"] = XmlValueKind.TextList, ["rrat"] = XmlValueKind.TextList, ["srat"] = XmlValueKind.TextList, ["rrats"] = XmlValueKind.TextList,
        ["acrs"] = XmlValueKind.TextList,
        // xs:list of integers.
        ["srt"] = XmlValueKind.IntegerList, ["net"] = XmlValueKind.IntegerList, ["chty"] = XmlValueKind.IntegerList,
        // Repeated elements.
        ["acr"] = XmlValueKind.Repeated, ["acco"] = XmlValueKind.Repeated, ["actw"] = XmlValueKind.Repeated, ["ch"] = XmlValueKind.Repeated,
        ["rrf"] = XmlValueKind.Repeated, ["acod"] = XmlValueKind.Repeated, ["nsi"] = XmlValueKind.Repeated, ["tod"] = XmlValueKind.Repeated,
        ["sce"] = XmlValueKind.Repeated,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Names whose type depends on the parent element: "parent/name".
    private static readonly FrozenDictionary<string, XmlValueKind> s_byParent = new Dictionary<string, XmlValueKind>
    {
        ["fc/ty"] = XmlValueKind.IntegerList,
        ["fc/atr"] = XmlValueKind.Repeated,
        ["enc/atr"] = XmlValueKind.TextList,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The kind of element <paramref name="name"/> under <paramref name="parent"/> (null at the root).</summary>
    public static XmlValueKind Of(string? parent, string name)
    {
        if (parent is not null && s_byParent.TryGetValue(string.Concat(parent, "/", name), out var kind))
        {
            return kind;
        }

        // A representation nested in another one is one of a list: the child resources of rcn 4 and 8
        // (m2m:cnt/m2m:cin), the notifications of a batch (m2m:agn/m2m:sgn), the responses of a fan-out
        // (m2m:agr/m2m:rsp). m2m:rce pairs one representation with its uri.
        if (parent is not null && name.StartsWith("m2m:", StringComparison.Ordinal) && parent.StartsWith("m2m:", StringComparison.Ordinal)
            && parent != "m2m:rce")
        {
            return XmlValueKind.Repeated;
        }

        return s_kinds.GetValueOrDefault(name, XmlValueKind.Text);
    }

    /// <summary>Whether a list under <paramref name="name"/> is written as repeated elements rather than one xs:list.</summary>
    public static bool IsRepeated(string? parent, string name) => Of(parent, name) == XmlValueKind.Repeated;
}
