using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Container;
using VirtualIoT.Grains.Resources.ContentInstance;
using static VirtualIoT.Grains.Domain.Presence;

namespace VirtualIoT.Grains.Resources.TimeSeries;

/// <summary>
/// Attribute rules of the timeSeries (TS-0001 9.6.36, TS-0004 7.4.37) and of its missing-data detection, as ACME
/// applies them where the text leaves room: <c>pei</c>, <c>peid</c> and <c>mdt</c> in milliseconds; <c>peid</c> at
/// most <c>pei</c>/2 and, when not given, half of <c>mdt</c> or of <c>pei</c>, whichever is smaller; <c>mdd</c> true needs
/// <c>mdt</c> above <c>peid</c>.
/// </summary>
internal static class TimeSeriesPolicy
{
    /// <summary><c>pei</c>: periodicInterval (ms) between expected data points.</summary>
    public const string PeriodicInterval = "pei";

    /// <summary><c>peid</c>: periodicIntervalDelta (ms), how far a data point may lie from the expected time.</summary>
    public const string PeriodicIntervalDelta = "peid";

    /// <summary><c>mdd</c>: missingDataDetect, whether detection runs.</summary>
    public const string MissingDataDetect = "mdd";

    /// <summary><c>mdn</c>: missingDataMaxNr, how many entries <c>mdlt</c> keeps.</summary>
    public const string MissingDataMaxNr = "mdn";

    /// <summary><c>mdlt</c>: missingDataList, the expected times of the missing points, oldest first.</summary>
    public const string MissingDataList = "mdlt";

    /// <summary><c>mdc</c>: missingDataCurrentNr, the length of <c>mdlt</c>.</summary>
    public const string MissingDataCurrentNr = "mdc";

    /// <summary><c>mdt</c>: missingDataDetectTimer (ms) after the expected time at which a point counts as missing.</summary>
    public const string MissingDataDetectTimer = "mdt";

    /// <summary>Attributes that cannot change while detection runs, nor together with <c>mdd</c> (TS-0001 10.2.4.23).</summary>
    public static readonly string[] DetectionParameters = [MissingDataDetectTimer, MissingDataMaxNr, PeriodicIntervalDelta, PeriodicInterval];

    public static readonly ResourcePolicy Rules = new(
        ResourceType.TimeSeries,
        ResourcePolicy.Universal(
        [
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            ResourcePolicy.Creator,
            ResourcePolicy.StateTag,
            ResourcePolicy.Location,
            .. ContainerPolicy.InstanceLimits,
            new(PeriodicInterval, "periodicInterval", ValueKind.PositiveInteger, Optional, Optional),
            new(PeriodicIntervalDelta, "periodicIntervalDelta", ValueKind.NonNegativeInteger, Optional, Optional),
            new(MissingDataDetect, "missingDataDetect", ValueKind.Boolean, Optional, Optional),
            new(MissingDataMaxNr, "missingDataMaxNr", ValueKind.PositiveInteger, Optional, Optional),
            new(MissingDataList, "missingDataList", ValueKind.List, NotPresent, NotPresent, ItemKind: ValueKind.Timestamp),
            new(MissingDataCurrentNr, "missingDataCurrentNr", ValueKind.NonNegativeInteger, NotPresent, NotPresent),
            new(MissingDataDetectTimer, "missingDataDetectTimer", ValueKind.PositiveInteger, Optional, Optional),
            new("cnf", "contentInfo", ValueKind.String, Optional, Optional),
            new("or", "ontologyRef", ValueKind.String, Optional, Optional),
        ]),
        check: Check,
        defaults: Defaults);

    /// <summary>
    /// A new timeSeries starts at state tag 0, with no instances, detection off unless asked (<c>mdd</c> false), no
    /// missing data (<c>mdc</c> 0; an empty <c>mdlt</c> while detecting, as ACME shows it) and <c>peid</c> from
    /// <see cref="DefaultDelta"/>.
    /// </summary>
    private static void Defaults(Dictionary<string, object?> attributes, string originator)
    {
        attributes[AttributeNames.StateTag] = 0L;
        attributes[AttributeNames.CurrentNrOfInstances] = 0L;
        attributes[AttributeNames.CurrentByteSize] = 0L;
        attributes.TryAdd(MissingDataDetect, false);
        attributes[MissingDataCurrentNr] = 0L;
        if (attributes[MissingDataDetect] is true)
        {
            attributes[MissingDataList] = new List<object?>();
        }

        if (!attributes.ContainsKey(PeriodicIntervalDelta) && DefaultDelta(attributes) is { } peid)
        {
            attributes[PeriodicIntervalDelta] = peid;
        }
    }

    /// <summary>
    /// The <c>peid</c> a timeSeries gets when none is given (ACME's local policy): half of <c>mdt</c> when that is at
    /// most half of <c>pei</c>, else half of <c>pei</c>; none without <c>pei</c>.
    /// </summary>
    public static long? DefaultDelta(Dictionary<string, object?> attributes) =>
        attributes.Long(PeriodicInterval) is not { } pei ? null
        : attributes.Long(MissingDataDetectTimer) is { } mdt && mdt <= pei / 2 ? mdt / 2
        : pei / 2;

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.GetValueOrDefault("cnf") is string cnf && !ContentInstancePolicy.IsContentInfo(cnf))
        {
            return OneM2MError.BadRequest($"cnf '{cnf}' must be '<type>/<subtype>:<encoding 0|1|2>[:<security 0-5>]'");
        }

        // On update the grain checks the merged resource (the request alone does not say the final values).
        return context.Operation == Operation.Create ? CheckDetection(attributes) : null;
    }

    /// <summary>
    /// The detection parameters of a timeSeries as a whole: <c>peid</c> at most <c>pei</c>/2; with <c>mdd</c> true, an
    /// <c>mdt</c> above <c>peid</c>. 4000 otherwise.
    /// </summary>
    public static OneM2MError? CheckDetection(Dictionary<string, object?> attributes)
    {
        var pei = attributes.Long(PeriodicInterval);
        var peid = attributes.Long(PeriodicIntervalDelta) ?? DefaultDelta(attributes);
        if (pei is { } interval && peid is { } delta && delta > interval / 2)
        {
            return OneM2MError.BadRequest($"peid {delta} must be at most half of pei {interval}");
        }

        if (attributes.GetValueOrDefault(MissingDataDetect) is true)
        {
            if (attributes.Long(MissingDataDetectTimer) is not { } mdt)
            {
                return OneM2MError.BadRequest("mdd true needs mdt (missingDataDetectTimer)");
            }

            if (peid is { } d && mdt <= d)
            {
                return OneM2MError.BadRequest($"mdt {mdt} must be greater than peid {d}");
            }
        }

        return null;
    }
}
