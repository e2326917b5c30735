using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The bounded record of completed creates a parent keeps (<see cref="CompletedCreate"/>): at most
/// <see cref="CseOptions.IdempotentCreatesPerOriginator"/> per originator and <see cref="CseOptions.IdempotentCreatesPerParent"/>
/// in all, none older than <see cref="CseOptions.IdempotencyWindow"/>. A retry within those bounds is answered from
/// the record; one beyond them is a new create.
/// </summary>
internal static class RequestLedger
{
    /// <summary>The completed create <paramref name="request"/> repeats, or null when it is a new request.</summary>
    public static CompletedCreate? Find(List<CompletedCreate> ledger, ResourceRequest request, CseOptions options) =>
        ledger.Count == 0 ? null : Find(ledger, request.Originator, request.RequestIdentifier, Fingerprint(request), options);

    /// <summary>The completed create by <paramref name="originator"/> under <paramref name="requestId"/> with this fingerprint, or null.</summary>
    public static CompletedCreate? Find(List<CompletedCreate> ledger, string originator, string requestId, ulong fingerprint, CseOptions options)
    {
        var oldest = DateTime.UtcNow.Ticks - options.IdempotencyWindow.Ticks;
        foreach (var entry in ledger)
        {
            if (entry.RequestId == requestId && entry.Originator == originator
                && entry.Fingerprint == fingerprint && entry.CompletedTicks >= oldest && !entry.Released)
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>Whether the ledger holds a create of <paramref name="resourceId"/> that is not released.</summary>
    public static bool Holds(List<CompletedCreate> ledger, string resourceId)
    {
        foreach (var entry in ledger)
        {
            if (!entry.Released && entry.ResourceId == resourceId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds the create of <paramref name="resourceId"/> for <paramref name="request"/>, dropping what falls out of the bounds.</summary>
    public static void Record(List<CompletedCreate> ledger, ResourceRequest request, string resourceId, string name, CseOptions options) =>
        Record(ledger, request, Fingerprint(request), resourceId, name, options);

    /// <summary>
    /// Adds the create of <paramref name="resourceId"/> for <paramref name="request"/>, whose <see cref="Fingerprint(ResourceRequest)"/>
    /// the caller already has (it looked the request up first), dropping what falls out of the bounds.
    /// </summary>
    public static void Record(List<CompletedCreate> ledger, ResourceRequest request, ulong fingerprint, string resourceId, string name, CseOptions options)
    {
        Add(ledger, For(SharedOriginator(ledger, request.Originator), request.RequestIdentifier, fingerprint, resourceId, name), options);
    }

    /// <summary>
    /// The string of <paramref name="originator"/> the ledger's records hold already, else <paramref name="originator"/>:
    /// a device creating in its own container repeats its originator, and each request parsed it into a string of its own.
    /// </summary>
    private static string SharedOriginator(List<CompletedCreate> ledger, string originator)
    {
        for (var i = ledger.Count - 1; i >= 0; i--)
        {
            if (ledger[i].Originator == originator)
            {
                return ledger[i].Originator;
            }
        }

        return originator;
    }

    /// <summary>
    /// Appends <paramref name="entry"/> to a ledger within the bounds, replacing any record of the same resource, and
    /// drops what falls out of them: only the entry's originator can be over its count, so only its records are counted.
    /// </summary>
    public static void Add(List<CompletedCreate> ledger, CompletedCreate entry, CseOptions options)
    {
        for (var i = ledger.Count - 1; i >= 0; i--)
        {
            if (ledger[i].ResourceId == entry.ResourceId)
            {
                ledger.RemoveAt(i);
            }
        }

        ledger.Add(entry);
        DropExpired(ledger, options);
        var count = 0;
        for (var i = ledger.Count - 1; i >= 0; i--)
        {
            if (ledger[i].Originator == entry.Originator && ++count > options.IdempotentCreatesPerOriginator)
            {
                ledger.RemoveAt(i);
            }
        }

        DropBeyondParentCount(ledger, options);
    }

    /// <summary>The record of the create of <paramref name="resourceId"/> for <paramref name="request"/>, completed now.</summary>
    public static CompletedCreate For(ResourceRequest request, ulong fingerprint, string resourceId, string name) =>
        For(request.Originator, request.RequestIdentifier, fingerprint, resourceId, name);

    /// <summary>The record of the create of <paramref name="resourceId"/>, kept under <paramref name="originator"/> and <paramref name="requestId"/>, completed now.</summary>
    public static CompletedCreate For(string originator, string requestId, ulong fingerprint, string resourceId, string name) =>
        new(originator, requestId, fingerprint, resourceId, name, DateTime.UtcNow.Ticks);

    /// <summary>
    /// Marks the records of <paramref name="resourceId"/> released (its name was given up) rather than dropping them:
    /// a released record answers no repeat but still counts against the bounds until it is trimmed, so the records
    /// it pushed out of the bounds stay out when the ledger is read back from storage (other pages keep them).
    /// </summary>
    public static void Release(List<CompletedCreate> ledger, string resourceId)
    {
        for (var i = 0; i < ledger.Count; i++)
        {
            if (ledger[i].ResourceId == resourceId && !ledger[i].Released)
            {
                ledger[i] = ledger[i] with { Released = true };
            }
        }
    }

    /// <summary>Drops, from a ledger in completion order, what is older than the window or beyond the counts (oldest first).</summary>
    public static void Trim(List<CompletedCreate> ledger, CseOptions options)
    {
        DropExpired(ledger, options);
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

        DropBeyondParentCount(ledger, options);
    }

    private static void DropExpired(List<CompletedCreate> ledger, CseOptions options)
    {
        var oldest = DateTime.UtcNow.Ticks - options.IdempotencyWindow.Ticks;
        var kept = 0;
        for (var i = 0; i < ledger.Count; i++)
        {
            if (ledger[i].CompletedTicks >= oldest)
            {
                ledger[kept++] = ledger[i];
            }
        }

        ledger.RemoveRange(kept, ledger.Count - kept);
    }

    private static void DropBeyondParentCount(List<CompletedCreate> ledger, CseOptions options)
    {
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

    /// <summary>FNV-1a (64 bit) over an originator and a request identifier.</summary>
    internal static ulong Fingerprint(string originator, string requestId) =>
        Mix(Mix(14695981039346656037UL, originator), string.Concat("\u0000", requestId));

    private static ulong Add(ulong hash, object? value)
    {
        switch (value)
        {
            case null:
                return Mix(hash, "\u0000n");
            case Dictionary<string, object?> map:
                hash = Mix(hash, "\u0000{");
                // Keys sorted in a rented array: a LINQ ordering allocated its buffers for every request.
                var keys = System.Buffers.ArrayPool<string>.Shared.Rent(map.Count);
                try
                {
                    map.Keys.CopyTo(keys, 0);
                    Array.Sort(keys, 0, map.Count, StringComparer.Ordinal);
                    for (var i = 0; i < map.Count; i++)
                    {
                        hash = Add(Mix(hash, keys[i]), map[keys[i]]);
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<string>.Shared.Return(keys, clearArray: true);
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
