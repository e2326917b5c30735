namespace VirtualIoT;

/// <summary>
/// The resource ID scheme. An ID names its grain without any lookup, so an unstructured address costs one grain
/// call: AE IDs are AE-ID stems, containers are <c>cnt</c> + 12 random characters, and a content instance is
/// <c>cin</c> + its container's 12 characters + its sequence number in base 36.
/// </summary>
public static class ResourceIds
{
    /// <summary>Length of the random part of prefixed IDs.</summary>
    public const int RandomLength = 12;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary>
    /// The type of resource an ID names (by its form alone, see <see cref="ResourceIdScheme"/>), or null when it is
    /// not an ID this CSE assigns. <paramref name="cseBaseId"/> is the CSEBase's <c>ri</c>.
    /// </summary>
    public static ResourceType? Classify(string ri, string cseBaseId)
    {
        ArgumentNullException.ThrowIfNull(ri);
        if (ri.Length == 0)
        {
            return null;
        }

        if (ri == cseBaseId)
        {
            return ResourceType.CSEBase;
        }

        if (ri[0] is 'C' or 'S')
        {
            return ResourceType.AE;
        }

        // Prefixes are lower case and prefix-free (checked by the registry): at most one type can match.
        foreach (var descriptor in ResourceTypeRegistry.Prefixed)
        {
            var prefix = descriptor.IdPrefix!;
            if (!ri.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var matches = descriptor.Ids == ResourceIdScheme.Prefixed
                ? ri.Length == prefix.Length + RandomLength
                : ri.Length > prefix.Length + RandomLength && TryParseSequence(ri.AsSpan(prefix.Length + RandomLength), out _);
            return matches ? descriptor.Type : null;
        }

        return null;
    }

    /// <summary>A new ID for a resource of <paramref name="type"/>, a type with <see cref="ResourceIdScheme.Prefixed"/> IDs.</summary>
    public static string NewId(ResourceType type)
    {
        var descriptor = ResourceTypeRegistry.Get(type);
        if (descriptor.Ids != ResourceIdScheme.Prefixed)
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "the type's IDs are not generated from a prefix");
        }

        return descriptor.IdPrefix + RandomString(RandomLength);
    }

    /// <summary>The ID of instance <paramref name="sequence"/> of container <paramref name="containerId"/>.</summary>
    public static string InstanceId(string containerId, long sequence) =>
        HeldId(ResourceTypeRegistry.Get(ResourceType.ContentInstance), containerId, sequence);

    /// <summary>Splits a content instance ID into its container's ID and sequence number.</summary>
    public static bool TrySplitInstanceId(string ri, out string containerId, out long sequence) =>
        TrySplitHeldId(ResourceTypeRegistry.Get(ResourceType.ContentInstance), ri, out containerId, out sequence);

    /// <summary>The ID of resource <paramref name="sequence"/> of a <see cref="ResourceIdScheme.Held"/> type in holder <paramref name="holderId"/>.</summary>
    public static string HeldId(ResourceTypeDescriptor held, string holderId, long sequence)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(holderId);
        var holderPrefix = ResourceTypeRegistry.Get(held.Holder!.Value).IdPrefix!;
        return string.Concat(held.IdPrefix, holderId.AsSpan(holderPrefix.Length), ToBase36(sequence));
    }

    /// <summary>Splits the ID of a <see cref="ResourceIdScheme.Held"/> resource into its holder's ID and sequence number.</summary>
    public static bool TrySplitHeldId(ResourceTypeDescriptor held, string ri, out string holderId, out long sequence)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(ri);
        holderId = "";
        sequence = 0;
        var prefix = held.IdPrefix!;
        if (ri.Length <= prefix.Length + RandomLength || !ri.StartsWith(prefix, StringComparison.Ordinal)
            || !TryParseSequence(ri.AsSpan(prefix.Length + RandomLength), out sequence))
        {
            return false;
        }

        holderId = string.Concat(ResourceTypeRegistry.Get(held.Holder!.Value).IdPrefix, ri.AsSpan(prefix.Length, RandomLength));
        return true;
    }

    /// <summary>Random characters from an unreserved alphabet.</summary>
    public static string RandomString(int length) =>
        string.Create(length, 0, static (span, _) => Random.Shared.GetItems(Alphabet, span));

    /// <summary>
    /// Characters from the same alphabet derived from <paramref name="seed"/>: the same seed gives the same string
    /// (a generated name that a repeat of the request finds again).
    /// </summary>
    public static string SeededString(int length, ulong seed) =>
        string.Create(length, seed, static (span, value) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                value = (value ^ (value >> 29)) * 0xBF58476D1CE4E5B9UL;
                span[i] = Alphabet[(int)(value % (ulong)Alphabet.Length)];
            }
        });

    /// <summary>
    /// True when an AE registering with originator <paramref name="originator"/> is given an AE-ID by the CSE
    /// (empty, <c>C</c>, <c>S</c>): such an originator names no one device, so (originator, <c>rqi</c>) is no key
    /// for recognising a repeated request.
    /// </summary>
    public static bool IsAnonymousOriginator(string originator) => originator is "" or "C" or "S";

    /// <summary>True for a string usable as a resource name: unreserved characters, not starting with a separator.</summary>
    public static bool IsValidName(string name)
    {
        if (name.Length == 0 || name.Length > 255)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~'))
            {
                return false;
            }
        }

        return name is not "." and not "..";
    }

    private static string ToBase36(long value)
    {
        Span<char> buffer = stackalloc char[16];
        var i = buffer.Length;
        do
        {
            var digit = (int)(value % 36);
            buffer[--i] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
            value /= 36;
        }
        while (value > 0);

        return new string(buffer[i..]);
    }

    private static bool TryParseSequence(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 12)
        {
            return false;
        }

        foreach (var c in text)
        {
            int digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'z' => c - 'a' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = value * 36 + digit;
        }

        return true;
    }
}
