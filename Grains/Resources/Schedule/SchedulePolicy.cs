using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Domain.Access;

namespace VirtualIoT.Grains.Resources.Schedule;

/// <summary>
/// Attribute rules of the <c>&lt;schedule&gt;</c> (ty 18; presence as ACME's attribute policies give it): <c>se</c>
/// (scheduleElement, <c>m2m:scheduleEntries</c>) mandatory, an object whose one member <c>sce</c> is a non-empty list
/// of schedule entries (seven crontab-like fields, second minute hour day month weekday year, UTC, as <c>actw</c>);
/// <c>nco</c> (networkCoordinated, R4) only under a node, and only false: this CSE has no network to coordinate with
/// (5001, as ACME answers).
/// </summary>
internal static class SchedulePolicy
{
    /// <summary><c>se</c>.</summary>
    public const string ScheduleElement = "se";

    /// <summary><c>sce</c> in <c>se</c>.</summary>
    public const string Entries = "sce";

    /// <summary><c>nco</c>.</summary>
    public const string NetworkCoordinated = "nco";

    public static readonly ResourcePolicy Rules = new(
        ResourceType.Schedule,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new(ScheduleElement, "scheduleElement", ValueKind.Map, Presence.Mandatory, Presence.Optional),
            new(NetworkCoordinated, "networkCoordinated", ValueKind.Boolean, Presence.Optional, Presence.Optional)),
        check: Check);

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.GetValueOrDefault(ScheduleElement) is not Dictionary<string, object?> element)
        {
            return null;
        }

        foreach (var member in element.Keys)
        {
            if (member != Entries)
            {
                return OneM2MError.BadRequest($"'{member}' is not a member of se (scheduleElement): sce");
            }
        }

        return TimeWindow.ParseList(element.GetValueOrDefault(Entries), "se/sce", out var error) is null ? OneM2MError.BadRequest(error) : null;
    }

    /// <summary>The windows of a schedule's stored attributes (empty when it has none that parse).</summary>
    public static TimeWindow[] Windows(Dictionary<string, object?> attributes) =>
        attributes.GetValueOrDefault(ScheduleElement) is Dictionary<string, object?> element
            && TimeWindow.ParseList(element.GetValueOrDefault(Entries), "se/sce", out _) is { } windows
            ? windows
            : [];

    /// <summary>Whether <paramref name="utc"/> lies in any window of a schedule's stored attributes.</summary>
    public static bool Covers(Dictionary<string, object?> attributes, DateTime utc) =>
        Array.Exists(Windows(attributes), w => w.Contains(utc));
}
