using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.PollingChannel;

/// <summary>
/// Attribute rules of the <c>&lt;pollingChannel&gt;</c> (TS-0001 9.6.21, TS-0004 7.4.16; as ACME's policy): the
/// universal attributes and R4 <c>rqag</c> (requestAggregation: a poll takes every queued request at once, as
/// <c>m2m:agrp</c>), false unless set. It has no <c>acpi</c>: only its AE may use it.
/// </summary>
internal static class PollingChannelPolicy
{
    public static readonly ResourcePolicy Rules = new(
        ResourceType.PollingChannel,
        ResourcePolicy.Universal(
            new AttributeRule(RequestAggregation, "requestAggregation", ValueKind.Boolean, Presence.Optional, Presence.Optional)),
        defaults: static (attributes, _) => attributes.TryAdd(RequestAggregation, false));

    /// <summary><c>rqag</c>.</summary>
    public const string RequestAggregation = "rqag";
}
