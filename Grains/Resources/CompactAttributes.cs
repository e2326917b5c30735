using System.Collections.Concurrent;
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

    /// <summary>Values of these attributes come from a few distinct ones across resources (an application's <c>api</c>,
    /// the name every device gives its container, the releases in <c>srv</c>): kept in <see cref="s_values"/>.</summary>
    private static readonly FrozenSet<string> s_commonValued = new[]
    {
        "api", AttributeNames.ResourceName, AttributeNames.Creator, "srv", AttributeNames.AccessControlPolicyIds,
        AttributeNames.Labels, AttributeNames.MaxNrOfInstances, AttributeNames.MaxByteSize, AttributeNames.MaxInstanceAge,
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Longest string <see cref="s_values"/> takes.</summary>
    private const int MaxSharedLength = 64;

    /// <summary>Most values <see cref="s_values"/> takes: a first-come pool, bounded so that unusual values cannot grow it.</summary>
    private const int MaxSharedValues = 4096;

    /// <summary>Shared strings and boxes of the attributes in <see cref="s_commonValued"/>, first come first kept.</summary>
    private static readonly ConcurrentDictionary<object, object> s_values = new();
    private static int s_valueCount;

    /// <summary>
    /// A copy of <paramref name="attributes"/> with shared names and boxes; the same entries in the same order, nested
    /// values (lists, complex attributes) as they are but for their strings. A string equal to <paramref name="resourceId"/>
    /// (the resource's own ID, which <c>ri</c>, <c>rn</c> and <c>aei</c> of an AE repeat) or to an earlier value of the
    /// tree (<c>lt</c> and <c>ct</c> at creation) is that one instance; common values (<see cref="s_commonValued"/>,
    /// and <c>pi</c> of an AE: its CSE) are shared between resources.
    /// </summary>
    public static Dictionary<string, object?> Of(Dictionary<string, object?> attributes, string? resourceId = null)
    {
        var compact = new Dictionary<string, object?>(attributes.Count, StringComparer.Ordinal);
        var common = attributes.TryGetValue(AttributeNames.ResourceType, out var ty) && ty is long type && type == (long)ResourceType.AE
            ? AttributeNames.ParentId
            : null;
        foreach (var (name, value) in attributes)
        {
            var key = s_names.TryGetValue(name, out var shared) ? shared : name;
            var pooled = name == common || s_commonValued.Contains(name);
            compact.Add(key, value switch
            {
                string text => SameString(text, compact, resourceId, pooled),
                List<object?> list => SharedItems(list, compact, resourceId, pooled),
                long number when pooled && number >= SharedNumbers => Pooled(value),
                _ => Shared(value),
            });
        }

        return compact;
    }

    /// <summary>
    /// <paramref name="text"/>, or an equal string already held: <paramref name="resourceId"/>, a value of
    /// <paramref name="attributes"/> (the state's owner and parent repeat its attributes), a shared common value.
    /// </summary>
    public static string SameString(string text, Dictionary<string, object?> attributes, string? resourceId = null, bool pooled = false)
    {
        if (resourceId is not null && text == resourceId)
        {
            return resourceId;
        }

        // Over the entries, not Values: a dictionary keeps the value collection it hands out.
        foreach (var (_, value) in attributes)
        {
            if (value is string held && !ReferenceEquals(held, text) && held == text)
            {
                return held;
            }
        }

        return pooled ? (string)Pooled(text) : text;
    }

    /// <summary>The shared box for a small number or a flag; any other value as it is.</summary>
    internal static object? Shared(object? value) => value switch
    {
        long number when number is >= 0 and < SharedNumbers => s_numbers[number],
        bool flag => flag ? s_true : s_false,
        _ => value,
    };

    /// <summary>
    /// The list, or a copy of it with its strings replaced by equal ones already held when any is (a copy: the list may
    /// be read elsewhere meanwhile, and it reads the same).
    /// </summary>
    private static List<object?> SharedItems(List<object?> list, Dictionary<string, object?> attributes, string? resourceId, bool pooled)
    {
        List<object?>? copy = null;
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is string text && SameString(text, attributes, resourceId, pooled) is var same && !ReferenceEquals(same, text))
            {
                (copy ??= new List<object?>(list))[i] = same;
            }
        }

        return copy ?? list;
    }

    /// <summary>The pool's instance equal to <paramref name="value"/> (a string or a boxed number), taken in while the pool has room.</summary>
    private static object Pooled(object value)
    {
        if (s_values.TryGetValue(value, out var shared))
        {
            return shared;
        }

        if (value is string { Length: > MaxSharedLength } || Volatile.Read(ref s_valueCount) >= MaxSharedValues)
        {
            return value;
        }

        shared = s_values.GetOrAdd(value, value);
        if (ReferenceEquals(shared, value))
        {
            Interlocked.Increment(ref s_valueCount);
        }

        return shared;
    }

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
