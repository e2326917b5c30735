using System.Globalization;

namespace VirtualIoT.Grains.Resources.Action;

/// <summary>
/// <c>m2m:evalCriteria</c> (<c>evc</c> of an action or a dependency): <c>sbjt</c>, the subject attribute's short
/// name; <c>optr</c>, the operator (1 equal, 2 not equal, 3 greater than, 4 less than, 5 greater or equal, 6 less or
/// equal, as ACME numbers them); <c>thld</c>, the threshold: a number, a string or a boolean (ordering operators
/// take numbers and strings only). Numbers compare as numbers whether integral or not, strings ordinally.
/// </summary>
internal static class EvalCriteria
{
    /// <summary>Null when <paramref name="value"/> is a valid <c>evc</c>, else the reason.</summary>
    public static OneM2MError? Check(object? value, string name)
    {
        if (value is not Dictionary<string, object?> evc)
        {
            return null; // absent, or not a map: the attribute rules answer that
        }

        foreach (var member in evc.Keys)
        {
            if (member is not ("sbjt" or "optr" or "thld"))
            {
                return OneM2MError.BadRequest($"{name}: '{member}' is not a member of evalCriteria (sbjt, optr, thld)");
            }
        }

        if (evc.GetValueOrDefault("sbjt") is not string { Length: > 0 })
        {
            return OneM2MError.BadRequest($"{name}/sbjt (subject) must name an attribute");
        }

        if (evc.GetValueOrDefault("optr") is not long optr || optr is < 1 or > 6)
        {
            return OneM2MError.BadRequest($"{name}/optr (operator) must be 1 to 6 (equal, not equal, greater, less, greater or equal, less or equal)");
        }

        return evc.GetValueOrDefault("thld") switch
        {
            long or double or string => null,
            bool when optr <= 2 => null,
            bool => OneM2MError.BadRequest($"{name}/thld (threshold): a boolean takes only optr 1 or 2"),
            _ => OneM2MError.BadRequest($"{name}/thld (threshold) must be a number, a string or a boolean"),
        };
    }

    /// <summary>Whether the attribute <c>sbjt</c> of <paramref name="attributes"/> meets <paramref name="evc"/> (false when it is absent).</summary>
    public static bool Holds(object? evc, Dictionary<string, object?>? attributes)
    {
        if (evc is not Dictionary<string, object?> criteria || attributes is null || criteria.GetValueOrDefault("sbjt") is not string subject
            || attributes.GetValueOrDefault(subject) is not { } value || criteria.GetValueOrDefault("optr") is not long optr)
        {
            return false;
        }

        int? order = (value, criteria.GetValueOrDefault("thld")) switch
        {
            (long or double, long or double) => Convert.ToDouble(value, CultureInfo.InvariantCulture)
                .CompareTo(Convert.ToDouble(criteria["thld"], CultureInfo.InvariantCulture)),
            (string text, string threshold) => string.CompareOrdinal(text, threshold),
            (bool flag, bool threshold) when optr <= 2 => flag == threshold ? 0 : 1,
            _ => null,
        };
        return order is { } compared && optr switch
        {
            1 => compared == 0,
            2 => compared != 0,
            3 => compared > 0,
            4 => compared < 0,
            5 => compared >= 0,
            _ => compared <= 0,
        };
    }
}
