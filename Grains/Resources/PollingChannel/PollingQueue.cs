namespace VirtualIoT.Grains.Resources.PollingChannel;

/// <summary>
/// A polling channel's own stored state (<see cref="ResourceState.Specific"/>): where the requests queued for its AE
/// stand. The newest requests travel here, in the channel's state record (<see cref="Requests"/>); every
/// <see cref="PolledRequestQueue.PageSize"/> of them are sealed into a page of their own (<see cref="PolledRequestPage"/>),
/// numbered from <see cref="FirstPage"/> up to <see cref="NextPage"/>, which is never rewritten: a poll only moves
/// <see cref="Taken"/> on. So an enqueue or a poll stores a bounded amount of data however deep the queue is.
/// </summary>
[GenerateSerializer, Alias("VirtualIoT.PollingQueue")]
public sealed class PollingQueue : TypeState
{
    /// <summary>
    /// The newest requests, not yet sealed into a page, oldest first (a record stored before the pages holds the whole
    /// queue here).
    /// </summary>
    [Id(0)] public List<PolledRequest> Requests { get; set; } = [];

    /// <summary>The oldest sealed page still holding requests not taken (equal to <see cref="NextPage"/> when there is none).</summary>
    [Id(1)] public long FirstPage { get; set; }

    /// <summary>The number the next sealed page gets.</summary>
    [Id(2)] public long NextPage { get; set; }

    /// <summary>Requests of <see cref="FirstPage"/> already taken (polled, dropped or expired).</summary>
    [Id(3)] public int Taken { get; set; }

    /// <summary>Requests in the sealed pages not yet taken.</summary>
    [Id(4)] public int Sealed { get; set; }
}

/// <summary>A sealed page of a polling channel's queue: requests in the order they were queued.</summary>
[GenerateSerializer, Alias("VirtualIoT.PolledRequestPage")]
public sealed class PolledRequestPage
{
    /// <summary>The page's requests, oldest first.</summary>
    [Id(0)] public List<PolledRequest> Requests { get; set; } = [];
}
