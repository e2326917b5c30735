using Orleans.Storage;

namespace VirtualIoT.Grains.Resources.PollingChannel;

/// <summary>
/// The requests queued on a polling channel, first in first out, stored as <see cref="PollingQueue"/> says: the
/// newest in the channel's state record, the older ones in sealed pages (<see cref="StoredPages{T}"/>, state name
/// <c>polling</c>, grain id <c>vi-polling/{ri}/{page}</c>) that are written once, before the state that names them,
/// and cleared once the state no longer does. A change is made in memory between <see cref="Begin"/> and
/// <see cref="StoreAsync"/>; should storing fail, <see cref="Rollback"/> puts memory back as stored. Expired requests
/// leave when they reach the head of the queue (or, among the newest, when a request is added).
/// </summary>
internal sealed class PolledRequestQueue(IGrainStorage storage, string channelId, Func<PollingQueue> state)
{
    /// <summary>Requests per sealed page: an enqueue stores at most this many in the state record.</summary>
    public const int PageSize = 32;

    private readonly StoredPages<PolledRequestPage> _pages = new(storage, "polling", "vi-polling", channelId);

    // Pages whose requests are all taken: cleared once the state that no longer names them is stored.
    private readonly List<long> _emptied = [];
    private (long Number, List<PolledRequest> Requests)? _head;
    private (long Number, PolledRequestPage Page)? _sealing;
    private (long FirstPage, long NextPage, int Taken, int Sealed, List<PolledRequest> Requests, int Emptied)? _before;

    /// <summary>Requests queued (expired ones that have not reached the head yet included).</summary>
    public int Count => state().Sealed + state().Requests.Count;

    /// <summary>Starts a change: remembers where the stored queue stands.</summary>
    public void Begin()
    {
        var queue = state();
        _before = (queue.FirstPage, queue.NextPage, queue.Taken, queue.Sealed, [.. queue.Requests], _emptied.Count);
        _sealing = null;
    }

    /// <summary>Adds <paramref name="request"/> as the newest, first dropping the newest requests that expired.</summary>
    public void Add(PolledRequest request, string now)
    {
        var queue = state();
        queue.Requests.RemoveAll(r => IsExpired(r, now));
        queue.Requests.Add(request);
        if (queue.Requests.Count < PageSize)
        {
            return;
        }

        var page = new PolledRequestPage { Requests = queue.Requests };
        _sealing = (queue.NextPage, page);
        if (queue.Sealed == 0)
        {
            _head = (queue.NextPage, page.Requests);
        }

        queue.NextPage++;
        queue.Sealed += page.Requests.Count;
        queue.Requests = [];
    }

    /// <summary>Takes the oldest request that has not expired (dropping the expired ones before it); null when none is left.</summary>
    public async ValueTask<PolledRequest?> TakeOldest(string now)
    {
        var queue = state();
        while (true)
        {
            PolledRequest? request = null;
            if (queue.Sealed > 0)
            {
                var page = await Page(queue.FirstPage);
                if (queue.Taken < page.Count)
                {
                    request = page[queue.Taken];
                    queue.Taken++;
                    queue.Sealed--;
                }

                if (queue.Taken >= page.Count)
                {
                    PassFirstPage(queue);
                }
            }
            else if (queue.Requests.Count > 0)
            {
                request = queue.Requests[0];
                queue.Requests.RemoveAt(0);
            }
            else
            {
                return null;
            }

            if (request is not null && !IsExpired(request, now))
            {
                return request;
            }
        }
    }

    /// <summary>Takes every request that has not expired, oldest first.</summary>
    public async ValueTask<List<PolledRequest>> TakeAll(string now)
    {
        var queue = state();
        var taken = new List<PolledRequest>(Count);
        while (queue.Sealed > 0)
        {
            var page = await Page(queue.FirstPage);
            for (var i = queue.Taken; i < page.Count; i++)
            {
                taken.Add(page[i]);
            }

            PassFirstPage(queue);
        }

        taken.AddRange(queue.Requests);
        queue.Requests = [];
        taken.RemoveAll(r => IsExpired(r, now));
        return taken;
    }

    /// <summary>
    /// Stores the change: a page just sealed, then the state (<paramref name="writeState"/>), then the pages emptied
    /// (best effort: a page that fails to clear is cleared with the next change).
    /// </summary>
    public async Task StoreAsync(Func<Task> writeState)
    {
        ArgumentNullException.ThrowIfNull(writeState);
        if (_sealing is { } sealing)
        {
            await _pages.WriteAsync(sealing.Number, sealing.Page);
        }

        await writeState();
        _sealing = null;
        _before = null;
        for (var i = _emptied.Count - 1; i >= 0; i--)
        {
            try
            {
                await _pages.WriteAsync(_emptied[i], null);
                _emptied.RemoveAt(i);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // The state no longer names the page: it holds nothing queued, and is cleared with the next change.
            }
        }
    }

    /// <summary>Puts memory back as it was at <see cref="Begin"/> (storing the change failed).</summary>
    public void Rollback()
    {
        if (_before is not { } before)
        {
            return;
        }

        var queue = state();
        (queue.FirstPage, queue.NextPage, queue.Taken, queue.Sealed, queue.Requests) =
            (before.FirstPage, before.NextPage, before.Taken, before.Sealed, before.Requests);
        _emptied.RemoveRange(before.Emptied, _emptied.Count - before.Emptied);
        if (_head is { } head && head.Number >= before.NextPage)
        {
            // A page sealed by the change that failed: its number goes to the next page sealed.
            _head = null;
        }

        _sealing = null;
        _before = null;
    }

    /// <summary>Clears every stored page (the channel is deleted).</summary>
    public async Task ClearAsync()
    {
        var queue = state();
        for (var page = queue.FirstPage; page < queue.NextPage; page++)
        {
            await _pages.ReadAsync(page);
        }

        await _pages.ClearAsync();
        _emptied.Clear();
        _head = null;
    }

    private static bool IsExpired(PolledRequest request, string now) => string.CompareOrdinal(request.Expires, now) <= 0;

    // Every request of the first sealed page is taken: the next page becomes the first.
    private void PassFirstPage(PollingQueue queue)
    {
        _emptied.Add(queue.FirstPage);
        queue.FirstPage++;
        queue.Taken = 0;
        if (queue.FirstPage >= queue.NextPage)
        {
            queue.Sealed = 0;
        }
    }

    // A sealed page's requests (none when the page is not stored), the first page kept in memory.
    private async ValueTask<List<PolledRequest>> Page(long number)
    {
        if (_head is { } head && head.Number == number)
        {
            return head.Requests;
        }

        var requests = (await _pages.ReadAsync(number))?.Requests ?? [];
        _head = (number, requests);
        return requests;
    }
}
