namespace VirtualIoT;

/// <summary>
/// Which announced accessControlPolicy here stands for a policy of another CSE (key = the original's SP-relative ID,
/// the copy's <c>lnk</c>: <c>/id-mn/acp…</c>), so that an announced resource whose <c>acpi</c> names the original
/// (as the announcing CSE writes it) is checked against the copy. Set by the copy when it is created, cleared when it goes.
/// </summary>
[Alias("VirtualIoT.IAnnouncedLinkGrain")]
public interface IAnnouncedLinkGrain : IGrainWithStringKey
{
    /// <summary>The resource ID of the copy here, or null when none is known.</summary>
    [Alias("Copy"), Orleans.Concurrency.ReadOnly]
    ValueTask<string?> Copy();

    /// <summary>Records <paramref name="resourceId"/> as the copy.</summary>
    [Alias("Set")]
    Task Set(string resourceId);

    /// <summary>Forgets the copy, when it is still <paramref name="resourceId"/>.</summary>
    [Alias("Clear")]
    Task Clear(string resourceId);
}
