using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Action;

/// <summary>
/// Attribute rules of the <c>&lt;action&gt;</c> (ty 65; presence as ACME's): <c>evc</c>, <c>evm</c>, <c>orc</c>,
/// <c>apv</c> mandatory; <c>apy</c>, <c>sri</c> (updatable, as ACME: the action moves to the new subject), <c>ecp</c> (only with <c>evm</c> 2 or 3),
/// <c>dep</c>, <c>ipu</c> (input: stored, not used, as ACME); <c>air</c> set by the CSE. <c>apv</c> is a request
/// primitive: <c>op</c> 1–5, <c>fr</c> the action's creator, <c>ty</c> for a create, <c>pc</c> with one root key (for a
/// create, an update and a NOTIFY).
/// </summary>
internal static class ActionPolicy
{
    /// <summary><c>evm</c> values.</summary>
    public const long Off = 0, Once = 1, Periodic = 2, Continuous = 3;

    /// <summary>Period (ms) and count used when <c>ecp</c> is absent, as ACME's defaults.</summary>
    public const long DefaultPeriod = 10_000, DefaultCount = 1_000;

    public static readonly ResourcePolicy Rules = new(
        ResourceType.Action,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new("cr", "creator", ValueKind.NullOnly, Presence.Optional, Presence.NotPresent),
            new("apy", "actionPriority", ValueKind.PositiveInteger, Presence.Optional, Presence.Optional),
            new("sri", "subjectResourceID", ValueKind.String, Presence.Optional, Presence.Optional),
            new("evc", "evalCriteria", ValueKind.Map, Presence.Mandatory, Presence.Optional),
            new("evm", "evalMode", ValueKind.NonNegativeInteger, Presence.Mandatory, Presence.Optional, Values: new HashSet<long> { 0, 1, 2, 3 }),
            new("ecp", "evalControlParam", ValueKind.PositiveInteger, Presence.Optional, Presence.Optional),
            new("dep", "dependencies", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new("orc", "objectResourceID", ValueKind.String, Presence.Mandatory, Presence.Optional),
            new("apv", "actionPrimitive", ValueKind.Map, Presence.Mandatory, Presence.Optional),
            new("ipu", "input", ValueKind.Map, Presence.Optional, Presence.Optional),
            new("air", "actionResult", ValueKind.Map, Presence.NotPresent, Presence.NotPresent)),
        check: Check);

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (EvalCriteria.Check(attributes.GetValueOrDefault("evc"), "evc") is { } badCriteria)
        {
            return badCriteria;
        }

        if (attributes.GetValueOrDefault("apv") is Dictionary<string, object?> primitive && CheckPrimitive(primitive) is { } badPrimitive)
        {
            return badPrimitive;
        }

        if (context.Operation == Operation.Create || context.Merged)
        {
            if (attributes.GetValueOrDefault("evm") is long mode && mode is Off or Once && attributes.GetValueOrDefault("ecp") is not null)
            {
                return OneM2MError.BadRequest($"ecp (evalControlParam) must not be present with evm {mode}");
            }
        }

        return null;
    }

    private static OneM2MError? CheckPrimitive(Dictionary<string, object?> primitive)
    {
        foreach (var member in primitive.Keys)
        {
            if (member is not ("op" or "fr" or "to" or "rqi" or "rvi" or "ty" or "pc" or "rcn"))
            {
                return OneM2MError.BadRequest($"apv (actionPrimitive): '{member}' is not supported (op, fr, to, rqi, rvi, ty, pc, rcn)");
            }
        }

        if (primitive.GetValueOrDefault("op") is not long operation || operation is < 1 or > 5)
        {
            return OneM2MError.BadRequest("apv/op must be 1 (create), 2 (retrieve), 3 (update), 4 (delete) or 5 (notify)");
        }

        if (primitive.GetValueOrDefault("fr") is not string { Length: > 0 })
        {
            return OneM2MError.BadRequest("apv/fr (from) is mandatory");
        }

        if (operation == 1 && primitive.GetValueOrDefault("ty") is not long)
        {
            return OneM2MError.BadRequest("apv/ty is mandatory for a create");
        }

        return primitive.GetValueOrDefault("pc") switch
        {
            null when operation is 2 or 4 => null,
            Dictionary<string, object?> { Count: 1 } content when content.Values.First() is Dictionary<string, object?> => null,
            _ => OneM2MError.BadRequest("apv/pc must be a resource representation (a notification for a notify) under one root key (for a create, update or notify)"),
        };
    }
}
