using Orleans.Storage;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>
/// A subscription's delivery queue as stored: one page per queued notification (<see cref="StoredPages{T}"/>, state
/// name <c>queue</c>, grain id <c>vi-queue/{ri}/{page}</c>), numbered in queue order, so that an event writes its own
/// notification and nothing else. Before, every event rewrote the subscription's whole state record with the whole
/// queue in it. Unlike the polling channel's queue (<c>PolledRequestQueue</c>, sealed pages of 32), entries change one
/// by one here (a retry rewrites its notification's page, a delivery clears it), so each has a page of its own.
/// </summary>
/// <remarks>
/// The subscription's state names the pages from <see cref="PendingNotifications.FirstPage"/> to
/// <see cref="PendingNotifications.NextPage"/> (a missing one among them was delivered). Pages written since the state
/// was last stored follow <see cref="PendingNotifications.NextPage"/> without a gap, and loading reads on until a page
/// is missing. So a delivered notification's page is cleared at once only when the state names it; one past what the
/// state names waits for the next state write (clearing it first could leave a gap before later pages, which a load
/// would then miss). The subscription writes its state when <see cref="WaitingClears"/> reach a bound, so that few
/// delivered pages stay stored; should the silo die first, those are delivered again with their identifiers
/// (at least once).
/// </remarks>
internal sealed class NotificationQueuePages(IGrainStorage storage, string subscriptionId)
{
    private readonly StoredPages<QueuedNotification> _pages = new(storage, "queue", "vi-queue", subscriptionId);

    // The page of each queued notification (by ID) and the record stored there.
    private readonly Dictionary<string, (long Page, PendingNotification Stored)> _stored = new(StringComparer.Ordinal);

    // Pages of notifications no longer queued that are still stored: past what the state names, or their clear failed.
    private readonly List<long> _waiting = [];

    // The queue whose changes are noted since it was last stored (see StoreAsync).
    private NotificationQueue? _tracked;

    // Scratch of StoreWholeAsync (one activation's turns only).
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly List<long> _gone = [];

    // The page the next new notification goes to; the pages below _named are named by the stored state.
    private long _next;
    private long _named;

    // False when page _next may be stored (a write of it failed, or nothing was read yet): its write reads it first.
    private bool _nextAbsent;

    /// <summary>Whether <see cref="LoadAsync"/> ran (or the subscription is new): only then may the queue be stored.</summary>
    public bool Loaded { get; private set; }

    /// <summary>Pages of delivered notifications still stored, cleared after the next state write.</summary>
    public int WaitingClears => _waiting.Count;

    /// <summary>A subscription with no stored pages (it did not exist when activated).</summary>
    public void Start()
    {
        Loaded = true;
    }

    /// <summary>
    /// Reads the stored queue: the pages the state names (<paramref name="firstPage"/> to <paramref name="nextPage"/>),
    /// then those written after it, until a page is missing. Returns the notifications in queue order.
    /// </summary>
    public async Task<List<PendingNotification>> LoadAsync(long firstPage, long nextPage)
    {
        var loaded = new List<PendingNotification>();
        for (var page = firstPage; ; page++)
        {
            if (await _pages.ReadAsync(page) is { } stored)
            {
                if (stored.Notification is { } notification && _stored.TryAdd(notification.Id, (page, notification)))
                {
                    loaded.Add(notification);
                }
                else
                {
                    // A second copy of a queued notification (its event was handed over again after a failure).
                    _waiting.Add(page);
                }

                continue;
            }

            _pages.Forget(page);
            if (page >= nextPage)
            {
                _next = page;
                break;
            }
        }

        _named = nextPage;
        _nextAbsent = true;
        Loaded = true;
        return loaded;
    }

    /// <summary>
    /// Stores the notifications of <paramref name="queue"/> that are new (each on the next page, in queue order: new
    /// ones are only ever appended) or changed since stored, then clears the pages of those no longer queued that
    /// the state names. The queue stored last time is stored by what it noted as changed since (O(1) per change);
    /// another queue (the first after a load, or one built anew) is compared with what is stored, entry by entry.
    /// </summary>
    public async Task StoreAsync(NotificationQueue queue)
    {
        if (!ReferenceEquals(queue, _tracked))
        {
            await StoreWholeAsync(queue);
            queue.ChangesStored(queue.Changed.Count);
            queue.RemovalsStored();
            _tracked = queue;
            return;
        }

        // In the order first changed, each ID's current notification: the order new ones were appended in.
        var changed = queue.Changed;
        var done = 0;
        try
        {
            for (; done < changed.Count; done++)
            {
                if (queue.TryGet(changed[done].Id, out var notification))
                {
                    await StoreOneAsync(notification);
                }
            }
        }
        finally
        {
            // What failed stays noted, and is stored (its page read first) next time.
            queue.ChangesStored(done);
        }

        foreach (var id in queue.Removed)
        {
            if (!queue.Contains(id) && _stored.Remove(id, out var stored))
            {
                await GoneAsync(stored.Page);
            }
        }

        queue.RemovalsStored();
    }

    // The queue compared with the stored pages, entry by entry.
    private async Task StoreWholeAsync(NotificationQueue queue)
    {
        _queued.Clear();
        foreach (var notification in queue)
        {
            _queued.Add(notification.Id);
            await StoreOneAsync(notification);
        }

        if (_stored.Count == _queued.Count)
        {
            return;
        }

        _gone.Clear();
        foreach (var (id, stored) in _stored)
        {
            if (!_queued.Contains(id))
            {
                _gone.Add(stored.Page);
                _stored.Remove(id);
            }
        }

        foreach (var page in _gone)
        {
            await GoneAsync(page);
        }
    }

    // A queued notification's page: written when new (the next page) or changed since stored.
    private async Task StoreOneAsync(PendingNotification notification)
    {
        if (_stored.TryGetValue(notification.Id, out var stored))
        {
            if (!ReferenceEquals(stored.Stored, notification))
            {
                await Write(stored.Page, notification, absent: false);
                _stored[notification.Id] = (stored.Page, notification);
            }

            return;
        }

        await Write(_next, notification, _nextAbsent);
        _stored.Add(notification.Id, (_next, notification));
        _next++;
        _nextAbsent = true;
    }

    // The page of a notification no longer queued: cleared when the state names it, else once it does.
    private async Task GoneAsync(long page)
    {
        if (page >= _named || !await TryClear(page))
        {
            _waiting.Add(page);
        }
    }

    /// <summary>The pages the state is to name: from the lowest page still stored to the next new one.</summary>
    public (long FirstPage, long NextPage) Range()
    {
        var first = _next;
        foreach (var (_, stored) in _stored)
        {
            first = Math.Min(first, stored.Page);
        }

        foreach (var page in _waiting)
        {
            first = Math.Min(first, page);
        }

        return (first, _next);
    }

    /// <summary>The state naming the pages below <paramref name="nextPage"/> is stored: clears the delivered ones among them.</summary>
    public async Task NamedAsync(long nextPage)
    {
        _named = nextPage;
        for (var i = _waiting.Count - 1; i >= 0; i--)
        {
            if (_waiting[i] < _named && await TryClear(_waiting[i]))
            {
                _waiting.RemoveAt(i);
            }
        }
    }

    /// <summary>Clears every page (the subscription is deleted).</summary>
    public async Task ClearAsync()
    {
        await _pages.ClearAsync();
        _stored.Clear();
        _waiting.Clear();
        _tracked = null;
    }

    private async Task Write(long page, PendingNotification notification, bool absent)
    {
        try
        {
            if (absent)
            {
                await _pages.WriteNewAsync(page, new QueuedNotification { Notification = notification });
            }
            else
            {
                await _pages.WriteAsync(page, new QueuedNotification { Notification = notification });
            }
        }
        catch
        {
            // Whether the page was stored is unknown: its next write reads it first.
            _pages.Forget(page);
            if (page == _next)
            {
                _nextAbsent = false;
            }

            throw;
        }
    }

    // Best effort: a page that fails to clear stays named by the state and is cleared after a later state write.
    private async Task<bool> TryClear(long page)
    {
        try
        {
            await _pages.ClearAsync(page);
            return true;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            _pages.Forget(page);
            return false;
        }
    }
}
