using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources;

namespace VirtualIoT.Grains.Index;

/// <summary>Stored state of one child index shard: which of its name pages exist (<see cref="ChildIndexPage"/>).</summary>
[GenerateSerializer, Alias("VirtualIoT.ChildIndexState")]
public sealed class ChildIndexState
{
    /// <summary>Children by name as shards stored them before pages; moved to pages on activation, then empty.</summary>
    [Id(0)] public Dictionary<string, ChildReference> Children { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Completed creates as shards stored them before pages; moved to pages on activation, then empty.</summary>
    [Id(1)] public List<CompletedCreate> Creates { get; set; } = [];

    /// <summary>Bitmask of the name pages that are stored.</summary>
    [Id(2)] public ulong Pages { get; set; }
}

/// <summary>One page of a child index shard: the names that hash to it, with the creates that made them.</summary>
[GenerateSerializer, Alias("VirtualIoT.ChildIndexPage")]
public sealed class ChildIndexPage
{
    /// <summary>Children by name.</summary>
    [Id(0)] public Dictionary<string, ChildReference> Children { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Completed creates of the children named on this page, oldest first: the part on this page of the shard's
    /// record, bounded as a parent's is (<see cref="RequestLedger"/>).
    /// </summary>
    [Id(1)] public List<CompletedCreate> Creates { get; set; } = [];
}

/// <summary>
/// One shard of a parent's child name index; see <see cref="IChildIndexGrain"/>. Its names are stored in
/// <see cref="StoredPages{T}.PageCount"/> pages by hash of the name, so a claim or a release rewrites one page
/// (with the record of the create, in the same write) and never the whole shard.
/// </summary>
internal sealed partial class ChildIndexGrain(
    [PersistentState("index", GrainStorageNames.Resources)] IPersistentState<ChildIndexState> store,
    IOptions<CseOptions> options,
    ILogger<ChildIndexGrain> logger) : Grain, IChildIndexGrain
{
    private readonly ChildIndexPage?[] _content = new ChildIndexPage?[StoredPages<ChildIndexPage>.PageCount];
    private readonly List<CompletedCreate> _creates = [];

    // The page of each of _creates' names as of the last write (PageOf hashes a name; a write hashed every name in
    // the ledger, ~2 % of a registration's CPU): _pagedNames[i] is on page _namePages[i]. See SyncCreatePages.
    private List<string> _pagedNames = [];
    private List<int> _namePages = [];
    private List<string> _spareNames = [];
    private List<int> _sparePages = [];
    private StoredPages<ChildIndexPage>? _pages;

    // Whether the parent listens to its children's creation (ICseBaseGrain.Listens): null until its answer comes,
    // which counts as true; a ParentListens call sets it true for good, and a late answer never turns that back.
    private bool? _parentListens;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var state = store.State;
        var legacy = state.Children.Count > 0 || state.Creates.Count > 0;
        _pages = new StoredPages<ChildIndexPage>(
            ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources), "index-page", "vi-index", this.GetPrimaryKeyString());

        // A shard stored before pages: read every page (a move cut short may have written some), so that each is
        // overwritten with its current version.
        foreach (var (page, content) in await _pages.LoadAsync(legacy ? ulong.MaxValue : state.Pages))
        {
            _content[page] = content;
            _creates.AddRange(content.Creates);
        }

        if (legacy)
        {
            foreach (var (name, child) in state.Children)
            {
                Content(PageOf(name)).Children[name] = child;
            }

            _creates.AddRange(state.Creates.Where(e => !_creates.Contains(e)));
        }

        _creates.Sort((a, b) => a.CompletedTicks.CompareTo(b.CompletedTicks));
        RequestLedger.Trim(_creates, options.Value);
        if (legacy)
        {
            await MoveToPages(state);
        }

        // Not awaited: the CSEBase may be activating and waiting on this shard (its own creates claim names here).
        _ = AskWhetherParentListens();
    }

    /// <summary>Asks the parent (the CSEBase: the only parent with index shards) whether it listens to its children's creation.</summary>
    private async Task AskWhetherParentListens()
    {
        try
        {
            var listens = await GrainFactory.GetGrainByKey<ICseBaseGrain>(options.Value.CseBaseId).Listens();
            _parentListens ??= listens;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Unknown counts as listening: an AE registered here tells the CSEBase, which raises nothing if it has no subscription.
            LogParentNotAsked(logger, exception, this.GetPrimaryKeyString());
        }
    }

    public ValueTask ParentListens()
    {
        _parentListens = true;
        return ValueTask.CompletedTask;
    }

    public async ValueTask<bool> Claim(ChildReference child, CompletedCreate? create = null)
    {
        var page = PageOf(child.Name);
        var children = Content(page).Children;
        if (children.TryGetValue(child.Name, out var existing))
        {
            if (existing == child && create is null)
            {
                return true;
            }

            // The same resource with a new expiration time, or a sibling that expired: a resource's own updates
            // keep its time here exact, so an expired entry no longer holds its name.
            var expired = existing.ExpirationTime is { } et && string.CompareOrdinal(et, (ServiceProvider.GetService<CseClock>() ?? CseClock.System).Now()) <= 0;
            if (existing.ResourceId != child.ResourceId && !expired)
            {
                return false;
            }

            if (existing.ResourceId != child.ResourceId && GrainFactory.GetClusterResource(existing.ResourceId, options.Value.CseBaseId) is { } stale)
            {
                // Not awaited: the expired resource may at this moment be asking this shard to release its name.
                _ = stale.DeleteSubtree();
            }
        }

        children[child.Name] = child;
        if (create is not null)
        {
            RequestLedger.Add(_creates, create, options.Value);
        }

        try
        {
            await WritePage(page);
        }
        catch
        {
            if (create is not null && _creates.Count > 0 && _creates[^1] == create)
            {
                _creates.RemoveAt(_creates.Count - 1);
            }

            if (existing is null)
            {
                children.Remove(child.Name);
            }
            else
            {
                children[child.Name] = existing;
            }

            throw;
        }

        return true;
    }

    public async ValueTask<NewNameClaim> ClaimNew(ChildReference child, CompletedCreate? create)
    {
        var listens = _parentListens ?? true;
        if (_content[PageOf(child.Name)]?.Children.GetValueOrDefault(child.Name)?.ResourceId == child.ResourceId
            || RequestLedger.Holds(_creates, child.ResourceId))
        {
            return new(NameClaim.Held, listens);
        }

        return new(await Claim(child, create) ? NameClaim.Claimed : NameClaim.Taken, listens);
    }

    public async ValueTask Unclaim(ChildReference child, CompletedCreate? create)
    {
        var page = PageOf(child.Name);
        if (_content[page] is { } content && content.Children.TryGetValue(child.Name, out var existing) && existing == child)
        {
            content.Children.Remove(child.Name);
            if (create is not null)
            {
                _creates.Remove(create);
            }

            await WritePage(page);
        }
    }

    public async ValueTask<bool> Release(string name, string ri)
    {
        var listens = _parentListens ?? true;
        var page = PageOf(name);
        if (_content[page] is { } content && content.Children.TryGetValue(name, out var existing) && existing.ResourceId == ri)
        {
            // The record goes with the name (it is on the name's page): a device that deregistered and registers
            // again (its rqi counter restarted) must get a new AE, not the answer about the one it deleted.
            content.Children.Remove(name);
            RequestLedger.Release(_creates, ri);
            await WritePage(page);
        }

        return listens;
    }

    public ValueTask<CompletedCreate?> FindCreate(string originator, string requestId, ulong fingerprint) =>
        ValueTask.FromResult(RequestLedger.Find(_creates, originator, requestId, fingerprint, options.Value));

    public ValueTask<ChildReference?> Lookup(string name) =>
        ValueTask.FromResult(_content[PageOf(name)] is { } content && content.Children.TryGetValue(name, out var child) ? child : null);

    public ValueTask<IReadOnlyList<ChildReference>> List()
    {
        var children = new List<ChildReference>();
        foreach (var content in _content)
        {
            if (content is not null)
            {
                children.AddRange(content.Children.Values);
            }
        }

        return ValueTask.FromResult<IReadOnlyList<ChildReference>>(children);
    }

    /// <summary>
    /// Page of a name: from the hash bits above those that chose the shard (<see cref="Policies.IndexShardKey"/>),
    /// so that a shard's names spread over all pages.
    /// </summary>
    private int PageOf(string name) =>
        (int)(Policies.Hash(name) / (uint)options.Value.CseBaseIndexShards % StoredPages<ChildIndexPage>.PageCount);

    private ChildIndexPage Content(int page) => _content[page] ??= new ChildIndexPage();

    /// <summary>What page <paramref name="page"/> stores: its names with the creates that made them, or null when it has none.</summary>
    private ChildIndexPage? PageRecord(int page)
    {
        var content = Content(page);
        var creates = new List<CompletedCreate>();
        SyncCreatePages();
        for (var i = 0; i < _creates.Count; i++)
        {
            if (_namePages[i] == page)
            {
                creates.Add(_creates[i]);
            }
        }

        content.Creates = creates;
        return content.Children.Count == 0 && content.Creates.Count == 0 ? null : content;
    }

    /// <summary>
    /// Brings the pages of the ledger's names (<see cref="_namePages"/>) up to date with <see cref="_creates"/>. The
    /// ledger changes by entries dropped, appended or replaced by a released copy, never reordered but on activation,
    /// so walking the last list in step finds nearly every name again (the same string); only a name not found there
    /// is hashed. A page depends on the name alone, so a name found anywhere gives the right page.
    /// </summary>
    private void SyncCreatePages()
    {
        _spareNames.Clear();
        _sparePages.Clear();
        var next = 0;
        foreach (var create in _creates)
        {
            var at = next;
            while (at < _pagedNames.Count && !ReferenceEquals(_pagedNames[at], create.Name))
            {
                at++;
            }

            _spareNames.Add(create.Name);
            if (at < _pagedNames.Count)
            {
                _sparePages.Add(_namePages[at]);
                next = at + 1;
            }
            else
            {
                _sparePages.Add(PageOf(create.Name));
            }
        }

        (_pagedNames, _spareNames) = (_spareNames, _pagedNames);
        (_namePages, _sparePages) = (_sparePages, _namePages);
    }

    /// <summary>Stores one page; then the shard's state if the set of pages changed.</summary>
    private async Task WritePage(int page)
    {
        var pages = await _pages!.WriteAsync(page, PageRecord(page), store.State.Pages);
        if (pages != store.State.Pages)
        {
            store.State.Pages = pages;
            await store.WriteStateAsync();
        }
    }

    /// <summary>Writes the names of a shard stored before pages to their pages, then the shard's state without them.</summary>
    private async Task MoveToPages(ChildIndexState state)
    {
        var pages = 0UL;
        for (var page = 0; page < _content.Length; page++)
        {
            if (_content[page] is not null && PageRecord(page) is { } content)
            {
                pages = await _pages!.WriteAsync(page, content, pages);
            }
        }

        var moved = state.Children.Count;
        state.Children = new(StringComparer.Ordinal);
        state.Creates = [];
        state.Pages = pages;
        await store.WriteStateAsync();
        LogMovedToPages(logger, this.GetPrimaryKeyString(), moved, System.Numerics.BitOperations.PopCount(pages));
    }

    [LoggerMessage(EventId = 2502, Level = LogLevel.Warning,
        Message = "Index shard {Shard} could not ask its CSEBase whether it listens to registrations; its AEs tell the CSEBase")]
    private static partial void LogParentNotAsked(ILogger logger, Exception exception, string shard);

    [LoggerMessage(EventId = 2501, Level = LogLevel.Information,
        Message = "Index shard {Shard} moved {Count} names from its state to {Pages} pages")]
    private static partial void LogMovedToPages(ILogger logger, string shard, int count, int pages);
}
