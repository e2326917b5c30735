using VirtualIoT.Grains.Domain;
using static VirtualIoT.Grains.Domain.Presence;
using Kind = VirtualIoT.Grains.Domain.ValueKind;

namespace VirtualIoT.Grains.Resources.MgmtObj;

/// <summary>
/// The mgmtObj specializations this CSE knows (TS-0001 Annex D, TS-0004 Annex D; presence and defaults as ACME's
/// attribute policies give them). Adding a specialization is one entry here.
/// </summary>
internal static class MgmtObjSpecializations
{
    public static readonly MgmtObjSpecialization[] All =
    [
        new(1001, "fwr", "firmware",
        [
            M("vr", "version", Kind.String), M("fwn", "firmwareName", Kind.String), M("url", "URL", Kind.String), M("ud", "update", Kind.Boolean),
            new("uds", "updateStatus", Kind.Map, NotPresent, Optional),
        ])
        {
            // Without a device the update is never run: ud is stored as sent and uds stays as the CSE set it.
            Defaults = Dict(("uds", ActionStatus())),
        },
        new(1002, "swr", "software",
        [
            M("vr", "version", Kind.String), M("swn", "softwareName", Kind.String), M("url", "URL", Kind.String),
            ReadOnly("ins", "installStatus", Kind.Map), ReadOnly("acts", "activeStatus", Kind.Map),
            UpdateOnly("in", "install", Kind.Boolean), UpdateOnly("un", "uninstall", Kind.Boolean),
            UpdateOnly("act", "activate", Kind.Boolean), UpdateOnly("dea", "deactivate", Kind.Boolean),
        ])
        {
            Defaults = Dict(("ins", ActionStatus()), ("acts", ActionStatus()), ("in", false), ("un", false), ("act", false), ("dea", false)),
        },
        new(1003, "mem", "memory", [M("mma", "memAvailable", Kind.NonNegativeInteger), M("mmt", "memTotal", Kind.NonNegativeInteger)]),
        new(1004, "ani", "areaNwkInfo", [M("ant", "areaNwkType", Kind.String), O("ldv", "listOfDevices", Kind.StringList)]),
        new(1005, "andi", "areaNwkDeviceInfo",
        [
            M("dvd", "devId", Kind.String), M("dvt", "devType", Kind.String), M("awi", "areaNwkId", Kind.String),
            O("sli", "sleepInterval", Kind.NonNegativeInteger), O("sld", "sleepDuration", Kind.NonNegativeInteger), O("ss", "devStatus", Kind.String),
            O("lnh", "listOfNeighbors", Kind.StringList),
        ]),
        new(1006, "bat", "battery", [M("btl", "batteryLevel", Kind.NonNegativeInteger), M("bts", "batteryStatus", Kind.NonNegativeInteger)])
        {
            // m2m:batteryStatus: NORMAL … UNKNOWN.
            Ranges = Ranges(("bts", 1, 7)),
        },
        new(1007, "dvi", "deviceInfo",
        [
            M("dlb", "deviceLabel", Kind.String), M("man", "manufacturer", Kind.String), O("mfdl", "manufacturerDetailsLink", Kind.String),
            O("mfd", "manufacturingDate", Kind.Timestamp), M("mod", "model", Kind.String), O("smod", "subModel", Kind.String),
            M("dty", "deviceType", Kind.String), O("dvnm", "deviceName", Kind.String), O("fwv", "fwVersion", Kind.String),
            O("swv", "swVersion", Kind.String), CreateOnly("hwv", "hwVersion", Kind.String), O("osv", "osVersion", Kind.String),
            CreateOnly("cnty", "country", Kind.String), O("loc", "location", Kind.String), O("syst", "systemTime", Kind.Timestamp),
            O("spur", "supportURL", Kind.String), O("purl", "presentationURL", Kind.String), O("ptl", "protocol", Kind.StringList),
        ]),
        new(1008, "dvc", "deviceCapability",
        [
            M("can", "capabilityName", Kind.String), M("att", "attached", Kind.Boolean), M("cas", "capabilityActionStatus", Kind.Map),
            M("cus", "currentState", Kind.Boolean), O("ena", "enable", Kind.Boolean), O("dis", "disable", Kind.Boolean),
        ])
        {
            Reset = Dict(("ena", true), ("dis", true)),
            Exclusive = ("ena", "dis"),
        },
        new(1009, "rbo", "reboot", [O("rbo", "reboot", Kind.Boolean), O("far", "factoryReset", Kind.Boolean)])
        {
            Reset = Dict(("rbo", false), ("far", false)),
            Exclusive = ("rbo", "far"),
        },
        new(1010, "evl", "eventLog",
        [
            M("lgt", "logTypeId", Kind.NonNegativeInteger), M("lgd", "logData", Kind.String), M("lgst", "logStatus", Kind.NonNegativeInteger),
            O("lga", "logStart", Kind.Boolean), O("lgo", "logStop", Kind.Boolean),
        ])
        {
            Defaults = Dict(("lga", true), ("lgo", true)),
            Exclusive = ("lga", "lgo"),
            // m2m:logTypeId (system … panic), m2m:logStatus (started … error).
            Ranges = Ranges(("lgt", 1, 5), ("lgst", 1, 5)),
        },
    ];

    /// <summary>A fresh m2m:actionStatus "nothing done yet" (sus 0, uninitialized), as ACME starts one.</summary>
    public static Dictionary<string, object?> ActionStatus() => new(StringComparer.Ordinal) { ["acn"] = "", ["sus"] = 0L };

    private static AttributeRule M(string shortName, string longName, Kind kind) => new(shortName, longName, kind, Mandatory, Optional);

    private static AttributeRule O(string shortName, string longName, Kind kind) => new(shortName, longName, kind, Optional, Optional);

    private static AttributeRule CreateOnly(string shortName, string longName, Kind kind) => new(shortName, longName, kind, Optional, NotPresent);

    private static AttributeRule UpdateOnly(string shortName, string longName, Kind kind) => new(shortName, longName, kind, NotPresent, Optional);

    private static AttributeRule ReadOnly(string shortName, string longName, Kind kind) => new(shortName, longName, kind, NotPresent, NotPresent);

    private static Dictionary<string, object?> Dict(params (string Name, object? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);

    private static Dictionary<string, (long, long)> Ranges(params (string Name, long Min, long Max)[] ranges) =>
        ranges.ToDictionary(r => r.Name, r => (r.Min, r.Max), StringComparer.Ordinal);
}
