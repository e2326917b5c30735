using System.Globalization;
using Orleans.Storage;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Records a grain keeps in numbered pages apart from its own state, so that a change rewrites one page rather than
/// all of them. Each page is a record of its own in the grain storage, under state name <c>stateName</c> and grain
/// id <c>{pageType}/{owner}/{page}</c>. The owner's state says which pages exist: either as a bitmask of up to
/// <see cref="PageCount"/> pages (the mask overloads: links, index names), or as a range it keeps itself (a
/// container's sealed instance segments). A page is stored before the state that names it; the first write of a
/// page not read reads it first (<see cref="StoredRecordWrites"/>), so a page left by a silo that died before the
/// state named it is overwritten. The pages' content is the owner's to keep: a page's handle keeps only its version.
/// </summary>
/// <typeparam name="T">A page's content.</typeparam>
internal sealed class StoredPages<T>(IGrainStorage storage, string stateName, string pageType, string owner)
    where T : class, new()
{
    /// <summary>Number of pages an owner with a bitmask has: one bit each.</summary>
    public const int PageCount = 64;

    private readonly Dictionary<long, StoredRecord<T>> _pages = [];

    /// <summary>Reads the pages in <paramref name="mask"/> (a page not stored reads empty); returns each with its number.</summary>
    public async Task<List<(int Page, T Content)>> LoadAsync(ulong mask)
    {
        _pages.Clear();
        var loaded = new List<(int Page, T Content)>();
        for (var page = 0; page < PageCount; page++)
        {
            if ((mask & (1UL << page)) != 0)
            {
                loaded.Add((page, await ReadAsync(page) ?? new T()));
            }
        }

        return loaded;
    }

    /// <summary>Reads page <paramref name="page"/>; null when it is not stored.</summary>
    public async Task<T?> ReadAsync(long page)
    {
        var stored = await ReadRecordAsync(page);
        var content = stored.State;
        stored.ReleaseState(content);
        return stored.RecordExists ? content : null;
    }

    /// <summary>Stores <paramref name="content"/> as page <paramref name="page"/>, or clears the page when it is null; returns <paramref name="mask"/> with the page's bit set accordingly.</summary>
    public async Task<ulong> WriteAsync(int page, T? content, ulong mask)
    {
        await WriteAsync(page, content);
        return content is null ? mask & ~(1UL << page) : mask | (1UL << page);
    }

    /// <summary>Stores <paramref name="content"/> as page <paramref name="page"/>, or clears the page when it is null.</summary>
    public async Task WriteAsync(long page, T? content)
    {
        _pages.TryGetValue(page, out var stored);
        if (content is null)
        {
            if (stored is { RecordExists: true })
            {
                await storage.ClearStateAsync(stateName, PageId(page), stored);
            }

            _pages.Remove(page);
            return;
        }

        stored ??= new StoredRecord<T>();
        stored.State = content;
        await storage.WriteRecordAsync(stateName, PageId(page), stored);
        stored.ReleaseState(content);
        _pages[page] = stored;
    }

    /// <summary>
    /// Stores <paramref name="content"/> as page <paramref name="page"/>, which the caller knows is not stored (past
    /// the last page it found): no read before the write.
    /// </summary>
    public async Task WriteNewAsync(long page, T content)
    {
        var stored = new StoredRecord<T> { State = content, Known = true };
        await storage.WriteRecordAsync(stateName, PageId(page), stored);
        stored.ReleaseState(content);
        _pages[page] = stored;
    }

    /// <summary>Clears page <paramref name="page"/>, first reading it when its stored version is not known.</summary>
    public async Task ClearAsync(long page)
    {
        if (!_pages.ContainsKey(page))
        {
            await ReadRecordAsync(page);
        }

        await WriteAsync(page, null);
    }

    /// <summary>Forgets what is known of page <paramref name="page"/> (a write of it failed, or it was found missing): its next write reads it first.</summary>
    public void Forget(long page) => _pages.Remove(page);

    /// <summary>Clears every page read or written.</summary>
    public async Task ClearAsync()
    {
        foreach (var (page, stored) in _pages)
        {
            if (stored.RecordExists)
            {
                await storage.ClearStateAsync(stateName, PageId(page), stored);
            }
        }

        _pages.Clear();
    }

    private async Task<StoredRecord<T>> ReadRecordAsync(long page)
    {
        var stored = new StoredRecord<T>();
        await storage.ReadRecordAsync(stateName, PageId(page), stored);
        _pages[page] = stored;
        return stored;
    }

    // The page's grain id: the type's part made once per page type (GrainType.Create encoded and hashed the name again
    // for every page written, 1.8 % of a silo's CPU delivering notifications, each of which writes a queue page).
    private GrainId PageId(long page) =>
        GrainId.Create(s_types.GetOrAdd(pageType, static type => GrainType.Create(type)),
            string.Concat(owner, "/", page.ToString(CultureInfo.InvariantCulture)));

    // The page types are a few constants (vi-queue, vi-links, ...).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, GrainType> s_types = new(StringComparer.Ordinal);
}
