using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// A resource's links: its children held by other grains, the subscriptions to it, and the creates of those
/// children remembered for repeated requests (<see cref="RequestLedger"/>). Stored apart from the resource's state
/// on <see cref="StoredPages{T}"/> by the hash of the child's resource ID, so a new child rewrites one page.
/// </summary>
internal sealed class LinkStore(IServiceProvider services, string resourceId, CseOptions options)
{
    // Allocated when first needed: most resources have no children, no subscriptions and no repeated creates, and
    // every active resource grain holds a link store (BENCHMARKS.md, "Memory per grain: lazy collections").
    private List<CompletedCreate>? _creates;

    /// <summary>
    /// Names of the children each page held when it was last read or written. A page's write visits these and the
    /// child being written rather than every child: a parent of many children (a device's containers) would
    /// otherwise hash every child's ID on each create.
    /// </summary>
    private Dictionary<int, HashSet<string>>? _pageNames;
    private StoredPages<ResourceLinks>? _pages;

    /// <summary>Children and subscriptions as held in memory.</summary>
    public ResourceLinks Links { get; private set; } = new();

    private StoredPages<ResourceLinks> Pages => _pages ??= new StoredPages<ResourceLinks>(
        services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources), "links", "vi-links", resourceId);

    /// <summary>Reads the pages in <paramref name="mask"/> (none when the resource does not exist).</summary>
    public async Task LoadAsync(bool exists, ulong mask)
    {
        Links = new ResourceLinks();
        _pageNames = null;
        if (!exists || mask == 0)
        {
            return;
        }

        foreach (var (page, stored) in await Pages.LoadAsync(mask))
        {
            foreach (var (name, child) in stored.Children)
            {
                Links.Children[name] = child;
            }

            RememberNames(page, stored.Children.Keys);

            foreach (var (id, filter) in stored.Subscriptions)
            {
                Links.Subscriptions[id] = filter;
            }

            if (stored.Completed is { Count: > 0 } completed)
            {
                var creates = _creates ??= [];
                creates.AddRange(completed);
                creates.Sort((a, b) => a.CompletedTicks.CompareTo(b.CompletedTicks));
                RequestLedger.Trim(creates, options);
            }
        }
    }

    /// <summary>
    /// Stores the page that holds <paramref name="childId"/> (named <paramref name="childName"/> when it is a child and
    /// the caller knows its name); returns <paramref name="mask"/> updated for it. Every change of the links is
    /// followed by the write of the changed child's page, so the page's content is the children it held before that
    /// are still linked to it, and the child written.
    /// </summary>
    public async Task<ulong> WriteAsync(string childId, ulong mask, string? childName = null)
    {
        var page = PageOf(childId);
        var content = new ResourceLinks();
        if (_pageNames is not null && _pageNames.TryGetValue(page, out var held))
        {
            foreach (var name in held)
            {
                // Gone, or the name now belongs to a child on another page.
                if (Links.Children.TryGetValue(name, out var child) && PageOf(child.ResourceId) == page)
                {
                    content.Children[name] = child;
                }
            }
        }

        if (childName is not null)
        {
            if (Links.Children.TryGetValue(childName, out var written) && written.ResourceId == childId)
            {
                content.Children[childName] = written;
            }
        }
        else
        {
            foreach (var (name, child) in Links.Children)
            {
                if (child.ResourceId == childId)
                {
                    content.Children[name] = child;
                    break;
                }
            }
        }

        foreach (var (id, filter) in Links.Subscriptions)
        {
            if (PageOf(id) == page)
            {
                content.Subscriptions[id] = filter;
            }
        }

        if (_creates is not null)
        {
            foreach (var create in _creates)
            {
                if (PageOf(create.ResourceId) == page)
                {
                    (content.Completed ??= []).Add(create);
                }
            }
        }

        var empty = content.Children.Count == 0 && content.Subscriptions.Count == 0;
        var updated = await Pages.WriteAsync(page, empty ? null : content, mask);
        if (empty)
        {
            _pageNames?.Remove(page);
        }
        else
        {
            RememberNames(page, content.Children.Keys);
        }

        return updated;
    }

    /// <summary>Clears every stored page and forgets the links.</summary>
    public async Task ClearAsync()
    {
        await Pages.ClearAsync();
        Links = new ResourceLinks();
        _pageNames = null;
    }

    /// <summary>The completed create that <paramref name="request"/> repeats, or null.</summary>
    public CompletedCreate? FindCreate(ResourceRequest request) => _creates is null ? null : RequestLedger.Find(_creates, request, options);

    /// <summary>Remembers the create of child <paramref name="childId"/>; stored with the child's page.</summary>
    public void RecordCreate(ResourceRequest request, string childId, string name) =>
        RequestLedger.Record(_creates ??= [], request, childId, name, options);

    /// <summary>Forgets the create of <paramref name="childId"/> again (its write failed).</summary>
    public void ForgetCreate(string childId) => _creates?.RemoveAll(e => e.ResourceId == childId);

    /// <summary>Remembers the names page <paramref name="page"/> holds (none: nothing to remember).</summary>
    private void RememberNames(int page, Dictionary<string, ChildReference>.KeyCollection names)
    {
        if (names.Count > 0)
        {
            (_pageNames ??= [])[page] = [.. names];
        }
        else
        {
            _pageNames?.Remove(page);
        }
    }

    private static int PageOf(string childId) => (int)(Policies.Hash(childId) % StoredPages<ResourceLinks>.PageCount);
}
