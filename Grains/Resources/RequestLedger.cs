using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// A create a parent carried out, remembered under its originator's request identifier (<c>rqi</c>) so that a
/// repeat of the same request (a gateway or device retrying after a silo died with the answer on its way) gets
/// the original outcome instead of a second resource. Stored in the same write as the create itself.
/// </summary>
/// <param name="Originator">The request's <c>fr</c>.</param>
/// <param name="RequestId">The request's <c>rqi</c>.</param>
/// <param name="Fingerprint">Hash of the request's <c>ty</c> and content: the same <c>rqi</c> with other content is a new request.</param>
/// <param name="ResourceId">The created resource's <c>ri</c>.</param>
/// <param name="Name">The created resource's <c>rn</c>.</param>
/// <param name="CompletedTicks">UTC ticks when the create was stored; entries older than the window are forgotten.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.CompletedCreate")]
public sealed record CompletedCreate(
    [property: Id(0)] string Originator,
    [property: Id(1)] string RequestId,
    [property: Id(2)] ulong Fingerprint,
    [property: Id(3)] string ResourceId,
    [property: Id(4)] string Name,
    [property: Id(5)] long CompletedTicks);

/// <summary>
/// The bounded record of completed creates a parent keeps (<see cref="CompletedCreate"/>): at most
/// <see cref="CseOptions.IdempotentCreatesPerOriginator"/> per originator and <see cref="CseOptions.IdempotentCreatesPerParent"/>
/// in all, none older than <see cref="CseOptions.IdempotencyWindow"/>. A retry within those bounds is answered from
/// the record; one beyond them is a new create.
/// </summary>
internal static class RequestLedger
{
    /// <summary>The completed create <paramref name="request"/> repeats, or null when it is a new request.</summary>
    public static CompletedCreate? Find(List<CompletedCreate> ledger, ResourceRequest request, CseOptions options)
    {
        if (ledger.Count == 0)
        {
            return null;
        }

        var oldest = DateTime.UtcNow.Ticks - options.IdempotencyWindow.Ticks;
        var fingerprint = Fingerprint(request);
        foreach (var entry in ledger)
        {
            if (entry.RequestId == request.RequestIdentifier && entry.Originator == request.Originator
                && entry.Fingerprint == fingerprint && entry.CompletedTicks >= oldest)
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>Adds the create of <paramref name="resourceId"/> for <paramref name="request"/>, dropping what falls out of the bounds.</summary>
    public static void Record(List<CompletedCreate> ledger, ResourceRequest request, string resourceId, string name, CseOptions options)
    {
        ledger.Add(new CompletedCreate(request.Originator, request.RequestIdentifier, Fingerprint(request), resourceId, name, DateTime.UtcNow.Ticks));
        Trim(ledger, options);
    }

    /// <summary>Drops, from a ledger in completion order, what is older than the window or beyond the counts (oldest first).</summary>
    public static void Trim(List<CompletedCreate> ledger, CseOptions options)
    {
        var oldest = DateTime.UtcNow.Ticks - options.IdempotencyWindow.Ticks;
        ledger.RemoveAll(e => e.CompletedTicks < oldest);
        if (ledger.Count > options.IdempotentCreatesPerOriginator)
        {
            var kept = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = ledger.Count - 1; i >= 0; i--)
            {
                var originator = ledger[i].Originator;
                var count = kept.GetValueOrDefault(originator) + 1;
                kept[originator] = count;
                if (count > options.IdempotentCreatesPerOriginator)
                {
                    ledger.RemoveAt(i);
                }
            }
        }

        if (ledger.Count > options.IdempotentCreatesPerParent)
        {
            ledger.RemoveRange(0, ledger.Count - options.IdempotentCreatesPerParent);
        }
    }

    /// <summary>FNV-1a (64 bit) over <c>ty</c> and the content tree, keys in ordinal order: the same in every process.</summary>
    internal static ulong Fingerprint(ResourceRequest request)
    {
        var hash = 14695981039346656037UL;
        hash = Mix(hash, ((int?)request.ResourceType ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Add(hash, request.Content);
    }

    private static ulong Add(ulong hash, object? value)
    {
        switch (value)
        {
            case null:
                return Mix(hash, "\u0000n");
            case Dictionary<string, object?> map:
                hash = Mix(hash, "\u0000{");
                foreach (var key in map.Keys.Order(StringComparer.Ordinal))
                {
                    hash = Add(Mix(hash, key), map[key]);
                }

                return Mix(hash, "\u0000}");
            case List<object?> list:
                hash = Mix(hash, "\u0000[");
                foreach (var item in list)
                {
                    hash = Add(hash, item);
                }

                return Mix(hash, "\u0000]");
            case IFormattable formattable:
                return Mix(hash, string.Concat("\u0000", value.GetType().Name, formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture)));
            default:
                return Mix(hash, string.Concat("\u0000", value.GetType().Name, value.ToString()));
        }
    }

    private static ulong Mix(ulong hash, string text)
    {
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
