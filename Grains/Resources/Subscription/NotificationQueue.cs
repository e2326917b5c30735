using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>
/// A subscription's delivery queue in memory, oldest first, one notification per ID. It notes what changed since it
/// was last stored (the notifications added or replaced, in the order they were, and the IDs removed), so that
/// storing it (<see cref="NotificationQueuePages.StoreAsync"/>) costs what changed rather than the queue's length.
/// </summary>
internal sealed class NotificationQueue : IReadOnlyList<PendingNotification>
{
    private readonly List<PendingNotification> _items = [];
    private readonly Dictionary<string, PendingNotification> _byId = new(StringComparer.Ordinal);

    // Added or replaced since stored, in that order; an entry no longer queued under its ID (replaced again or removed) is stale.
    private readonly List<PendingNotification> _changed = [];

    // IDs removed since stored (one may have been added again since).
    private readonly List<string> _removed = [];

    /// <inheritdoc/>
    public int Count => _items.Count;

    /// <summary>The notification at <paramref name="index"/>; setting it replaces that one by a copy with the same ID (a retry).</summary>
    public PendingNotification this[int index]
    {
        get => _items[index];
        set
        {
            if (_items[index].Id != value.Id)
            {
                throw new ArgumentException("a queued notification is replaced only by one with its ID", nameof(value));
            }

            _items[index] = value;
            _byId[value.Id] = value;
            _changed.Add(value);
        }
    }

    /// <summary>Notifications added or replaced since the queue was last stored, in that order (an ID's entry may be stale: see <see cref="TryGet"/>).</summary>
    internal IReadOnlyList<PendingNotification> Changed => _changed;

    /// <summary>IDs removed since the queue was last stored (see <see cref="Contains"/>: one may be queued again).</summary>
    internal IReadOnlyList<string> Removed => _removed;

    /// <summary>Appends <paramref name="notification"/>, or, when its ID is queued already, replaces that one in its place.</summary>
    public void Add(PendingNotification notification)
    {
        if (_byId.TryGetValue(notification.Id, out var queued))
        {
            this[_items.IndexOf(queued)] = notification;
            return;
        }

        _items.Add(notification);
        _byId.Add(notification.Id, notification);
        _changed.Add(notification);
    }

    /// <summary>Appends each of <paramref name="notifications"/> in order (see <see cref="Add"/>).</summary>
    public void AddRange(IEnumerable<PendingNotification> notifications)
    {
        foreach (var notification in notifications)
        {
            Add(notification);
        }
    }

    /// <summary>Whether a notification with this ID is queued.</summary>
    public bool Contains(string id) => _byId.ContainsKey(id);

    /// <summary>The queued notification with this ID, if any.</summary>
    public bool TryGet(string id, [MaybeNullWhen(false)] out PendingNotification notification) => _byId.TryGetValue(id, out notification);

    /// <summary>Whether <paramref name="notification"/> itself is queued (not a replaced or removed copy of its ID).</summary>
    public bool IsQueued(PendingNotification notification) =>
        _byId.TryGetValue(notification.Id, out var queued) && ReferenceEquals(queued, notification);

    /// <summary>The position of the notification with this ID, or -1.</summary>
    public int IndexOf(string id)
    {
        if (!_byId.TryGetValue(id, out var queued))
        {
            return -1;
        }

        // Deliveries are reported from the head, so the search is short.
        for (var i = 0; i < _items.Count; i++)
        {
            if (ReferenceEquals(_items[i], queued))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Removes <paramref name="notification"/> itself, if queued.</summary>
    public bool Remove(PendingNotification notification)
    {
        if (!IsQueued(notification))
        {
            return false;
        }

        RemoveAt(_items.IndexOf(notification));
        return true;
    }

    /// <summary>Removes the notification at <paramref name="index"/>.</summary>
    public void RemoveAt(int index)
    {
        var id = _items[index].Id;
        _items.RemoveAt(index);
        _byId.Remove(id);
        _removed.Add(id);
    }

    /// <summary>Removes the notifications <paramref name="match"/> selects; returns how many.</summary>
    public int RemoveAll(Predicate<PendingNotification> match)
    {
        var removed = _items.RemoveAll(notification =>
        {
            if (!match(notification))
            {
                return false;
            }

            _byId.Remove(notification.Id);
            _removed.Add(notification.Id);
            return true;
        });
        return removed;
    }

    /// <summary>Removes every notification.</summary>
    public void Clear()
    {
        foreach (var notification in _items)
        {
            _removed.Add(notification.Id);
        }

        _items.Clear();
        _byId.Clear();
    }

    /// <summary>The notifications from <paramref name="index"/> on, <paramref name="count"/> of them, as a new list.</summary>
    public List<PendingNotification> GetRange(int index, int count) => _items.GetRange(index, count);

    /// <summary>The first <paramref name="count"/> entries of <see cref="Changed"/> are stored (or stale).</summary>
    internal void ChangesStored(int count) => _changed.RemoveRange(0, count);

    /// <summary>The removals noted in <see cref="Removed"/> are stored.</summary>
    internal void RemovalsStored() => _removed.Clear();

    /// <inheritdoc/>
    public List<PendingNotification>.Enumerator GetEnumerator() => _items.GetEnumerator();

    IEnumerator<PendingNotification> IEnumerable<PendingNotification>.GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
}
