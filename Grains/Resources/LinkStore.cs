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
    /// Names of the children each page held when it was last read or written, kept once a parent has
    /// <see cref="NamesKeptFrom"/> children. A page's write visits these and the child being written rather than every
    /// child: a parent of many children would otherwise hash every child's ID on each create. A parent of fewer (a
    /// device's AE and its few containers) visits its children: cheaper than the sets it would hold while active.
    /// </summary>
    private Dictionary<int, HashSet<string>>? _pageNames;

    /// <summary>The number of children from which <see cref="_pageNames"/> is kept.</summary>
    internal const int NamesKeptFrom = 16;
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

        if (!Links.HasChildren || Links.Children.Count < NamesKeptFrom)
        {
            _pageNames = null;
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
        var childCount = Links.HasChildren ? Links.Children.Count : 0;
        if (childCount < NamesKeptFrom)
        {
            // Every link change is followed by its page's write: the children on the page are the linked ones whose
            // ID hashes to it.
            _pageNames = null;
            if (childCount > 0)
            {
                foreach (var (name, child) in Links.Children)
                {
                    if (PageOf(child.ResourceId) == page)
                    {
                        content.Children[name] = child;
                    }
                }
            }
        }
        else if ((_pageNames ??= NamesByPage()).TryGetValue(page, out var held))
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

        if (!Links.HasChildren)
        {
            // No child to write (a subscription's page, or the last child gone).
        }
        else if (childName is not null)
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

        if (Links.HasSubscriptions)
        {
            foreach (var (id, filter) in Links.Subscriptions)
            {
                if (PageOf(id) == page)
                {
                    content.Subscriptions[id] = filter;
                }
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

        var empty = !content.HasChildren && !content.HasSubscriptions;
        var updated = await Pages.WriteAsync(page, empty ? null : content, mask);
        if (empty)
        {
            _pageNames?.Remove(page);
        }
        else if (_pageNames is not null)
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

    /// <summary>The names of the linked children by page (every link change is followed by its page's write, so these are what the pages hold).</summary>
    private Dictionary<int, HashSet<string>> NamesByPage()
    {
        var names = new Dictionary<int, HashSet<string>>();
        foreach (var (name, child) in Links.Children)
        {
            var page = PageOf(child.ResourceId);
            if (!names.TryGetValue(page, out var held))
            {
                names[page] = held = new HashSet<string>(StringComparer.Ordinal);
            }

            held.Add(name);
        }

        return names;
    }

    private static int PageOf(string childId) => (int)(Policies.Hash(childId) % StoredPages<ResourceLinks>.PageCount);
}
