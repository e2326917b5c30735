using System.Globalization;
using Orleans.Storage;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Records a grain keeps in up to <see cref="PageCount"/> pages apart from its own state, so that a change rewrites
/// one page rather than all of them. Each page is a record of its own in the grain storage, under state name
/// <c>stateName</c> and grain id <c>{pageType}/{owner}/{page}</c>; the owner keeps in its state the bitmask of the
/// pages that exist (<see cref="WriteAsync"/> returns it) and hands it to <see cref="LoadAsync"/> on activation.
/// A page is stored before the bitmask that names it; the first write of a page not loaded reads it first
/// (<see cref="StoredRecordWrites"/>), so a page left by a silo that died before storing the bitmask is overwritten.
/// </summary>
/// <typeparam name="T">A page's content.</typeparam>
internal sealed class StoredPages<T>(IGrainStorage storage, string stateName, string pageType, string owner)
    where T : class, new()
{
    /// <summary>Number of pages: one bit each in the owner's bitmask.</summary>
    public const int PageCount = 64;

    private readonly Dictionary<int, StoredRecord<T>> _pages = [];

    /// <summary>Reads the pages in <paramref name="mask"/> (a page not stored reads empty); returns each with its number.</summary>
    public async Task<List<(int Page, T Content)>> LoadAsync(ulong mask)
    {
        _pages.Clear();
        var loaded = new List<(int Page, T Content)>();
        for (var page = 0; page < PageCount; page++)
        {
            if ((mask & (1UL << page)) == 0)
            {
                continue;
            }

            var stored = new StoredRecord<T>();
            await storage.ReadRecordAsync(stateName, PageId(page), stored);
            _pages[page] = stored;
            loaded.Add((page, stored.State));
        }

        return loaded;
    }

    /// <summary>Stores <paramref name="content"/> as page <paramref name="page"/>, or clears the page when it is null; returns <paramref name="mask"/> with the page's bit set accordingly.</summary>
    public async Task<ulong> WriteAsync(int page, T? content, ulong mask)
    {
        _pages.TryGetValue(page, out var stored);
        if (content is null)
        {
            if (stored is { RecordExists: true })
            {
                await storage.ClearStateAsync(stateName, PageId(page), stored);
            }

            _pages.Remove(page);
            return mask & ~(1UL << page);
        }

        stored ??= new StoredRecord<T>();
        stored.State = content;
        await storage.WriteRecordAsync(stateName, PageId(page), stored);
        _pages[page] = stored;
        return mask | (1UL << page);
    }

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

    private GrainId PageId(int page) =>
        GrainId.Create(pageType, string.Concat(owner, "/", page.ToString(CultureInfo.InvariantCulture)));
}
