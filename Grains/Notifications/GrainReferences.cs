namespace VirtualIoT.Grains.Notifications;

/// <summary>
/// References to grains of one interface by string key, each made once and kept (at most <c>capacity</c>, then the
/// cache starts over). <see cref="IGrainFactory.GetGrain{TGrainInterface}(string, string?)"/> builds a new proxy on
/// every call, whose constructor resolves its argument copiers through reflection: on the notification path, where
/// a reference is needed per notification, that was a visible share of the silo's CPU and allocations. Not
/// thread-safe: one per grain activation, used in its turns.
/// </summary>
internal sealed class GrainReferences<TGrain>(IGrainFactory grains, int capacity)
    where TGrain : IGrainWithStringKey
{
    private readonly Dictionary<string, TGrain> _references = new(StringComparer.Ordinal);

    /// <summary>The grain with key <paramref name="key"/>.</summary>
    public TGrain Get(string key)
    {
        if (!_references.TryGetValue(key, out var reference))
        {
            if (_references.Count >= capacity)
            {
                _references.Clear();
            }

            reference = grains.GetGrain<TGrain>(key);
            _references.Add(key, reference);
        }

        return reference;
    }
}
