using System.Collections.Frozen;
using System.Reflection;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The attribute tree a resource grain holds while it is active, without the copies its sources leave in it: a tree
/// read from storage or taken from a request has a string of its own for every attribute name (<c>rn</c>, <c>api</c>,
/// ...) and a box of its own for every number and flag. The compact tree names its attributes with the policies'
/// own strings and holds shared boxes for small counters (<c>st</c>, <c>cni</c>, <c>cbs</c> at 0) and flags
/// (<c>rr</c>), so an active device grain holds only the strings that are its own (BENCHMARKS.md, "Memory per
/// grain: lazy collections").
/// </summary>
internal static class CompactAttributes
{
    /// <summary>Numbers from 0 up to this (excluded) are shared boxes.</summary>
    private const int SharedNumbers = 256;

    private static readonly object[] s_numbers = CreateNumbers();
    private static readonly object s_true = true;
    private static readonly object s_false = false;

    /// <summary>Attribute names: every policy's, and the constants of <see cref="AttributeNames"/> (the same literals where they overlap).</summary>
    private static readonly FrozenSet<string> s_names = Policies.AttributeShortNames
        .Concat(typeof(AttributeNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => string.Intern((string)f.GetRawConstantValue()!)))
        .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// A copy of <paramref name="attributes"/> with shared names and boxes; the same entries in the same order, nested
    /// values (lists, complex attributes) as they are.
    /// </summary>
    public static Dictionary<string, object?> Of(Dictionary<string, object?> attributes)
    {
        var compact = new Dictionary<string, object?>(attributes.Count, StringComparer.Ordinal);
        foreach (var (name, value) in attributes)
        {
            compact.Add(s_names.TryGetValue(name, out var shared) ? shared : name, Shared(value));
        }

        return compact;
    }

    /// <summary>The shared box for a small number or a flag; any other value as it is.</summary>
    internal static object? Shared(object? value) => value switch
    {
        long number when number is >= 0 and < SharedNumbers => s_numbers[number],
        bool flag => flag ? s_true : s_false,
        _ => value,
    };

    private static object[] CreateNumbers()
    {
        var numbers = new object[SharedNumbers];
        for (var i = 0; i < numbers.Length; i++)
        {
            numbers[i] = (long)i;
        }

        return numbers;
    }
}
