using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// A resource's links: its children held by other grains, the subscriptions to it, and the creates of those
/// children remembered for repeated requests (<see cref="RequestLedger"/>). Stored apart from the resource's state
/// on <see cref="StoredPages{T}"/> by the hash of the child's resource ID, so a new child rewrites one page.
/// </summary>
internal sealed class LinkStore(Func<StoredPages<ResourceLinks>> pages, CseOptions options)
{
    private readonly List<CompletedCreate> _creates = [];
    private StoredPages<ResourceLinks>? _pages;

    /// <summary>Children and subscriptions as held in memory.</summary>
    public ResourceLinks Links { get; private set; } = new();

    private StoredPages<ResourceLinks> Pages => _pages ??= pages();

    /// <summary>Reads the pages in <paramref name="mask"/> (none when the resource does not exist).</summary>
    public async Task LoadAsync(bool exists, ulong mask)
    {
        Links = new ResourceLinks();
        if (!exists || mask == 0)
        {
            return;
        }

        foreach (var (_, stored) in await Pages.LoadAsync(mask))
        {
            foreach (var (name, child) in stored.Children)
            {
                Links.Children[name] = child;
            }

            foreach (var (id, filter) in stored.Subscriptions)
            {
                Links.Subscriptions[id] = filter;
            }

            _creates.AddRange(stored.Completed);
            _creates.Sort((a, b) => a.CompletedTicks.CompareTo(b.CompletedTicks));
            RequestLedger.Trim(_creates, options);
        }
    }

    /// <summary>Stores the page that holds <paramref name="childId"/>; returns <paramref name="mask"/> updated for it.</summary>
    public Task<ulong> WriteAsync(string childId, ulong mask)
    {
        var page = PageOf(childId);
        var content = new ResourceLinks();
        foreach (var (name, child) in Links.Children)
        {
            if (PageOf(child.ResourceId) == page)
            {
                content.Children[name] = child;
            }
        }

        foreach (var (id, filter) in Links.Subscriptions)
        {
            if (PageOf(id) == page)
            {
                content.Subscriptions[id] = filter;
            }
        }

        content.Completed = _creates.FindAll(e => PageOf(e.ResourceId) == page);

        var empty = content.Children.Count == 0 && content.Subscriptions.Count == 0;
        return Pages.WriteAsync(page, empty ? null : content, mask);
    }

    /// <summary>Clears every stored page and forgets the links.</summary>
    public async Task ClearAsync()
    {
        await Pages.ClearAsync();
        Links = new ResourceLinks();
    }

    /// <summary>The completed create that <paramref name="request"/> repeats, or null.</summary>
    public CompletedCreate? FindCreate(ResourceRequest request) => RequestLedger.Find(_creates, request, options);

    /// <summary>Remembers the create of child <paramref name="childId"/>; stored with the child's page.</summary>
    public void RecordCreate(ResourceRequest request, string childId, string name) =>
        RequestLedger.Record(_creates, request, childId, name, options);

    /// <summary>Forgets the create of <paramref name="childId"/> again (its write failed).</summary>
    public void ForgetCreate(string childId) => _creates.RemoveAll(e => e.ResourceId == childId);

    private static int PageOf(string childId) => (int)(Policies.Hash(childId) % StoredPages<ResourceLinks>.PageCount);
}
