using VirtualIoT.Grains.Domain;
using static VirtualIoT.Grains.Domain.Presence;

namespace VirtualIoT.Grains.Resources.TimeSeries;

/// <summary>
/// Attribute rules of the timeSeriesInstance (TS-0001 9.6.37): <c>dgt</c> and <c>con</c> mandatory, <c>snr</c>
/// (sequenceNr) optional, <c>cs</c> set by the CSE. It has no <c>acpi</c>: its timeSeries's policy applies. Never updated
/// (4005, as a content instance).
/// </summary>
internal static class TimeSeriesInstancePolicy
{
    /// <summary><c>dgt</c>: dataGenerationTime, unique within its timeSeries (4105).</summary>
    public const string DataGenerationTime = "dgt";

    public static readonly ResourcePolicy Rules = new(
        ResourceType.TimeSeriesInstance,
        ResourcePolicy.Universal(
            new(DataGenerationTime, "dataGenerationTime", ValueKind.Timestamp, Mandatory, NotPresent),
            new("con", "content", ValueKind.Any, Mandatory, NotPresent),
            new("snr", "sequenceNr", ValueKind.NonNegativeInteger, Optional, NotPresent),
            new(AttributeNames.ContentSize, "contentSize", ValueKind.NonNegativeInteger, NotPresent, NotPresent)));
}
