using System.Collections.Concurrent;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// The write load of the failover tests: one AE with <c>containers</c> containers, one writer per container creating
/// contentInstances through a client, and the read-back that checks every acknowledged write is stored, none twice.
/// </summary>
internal sealed class ContainerWriters(OneM2MClient client, string aeId, int containers, int writesPerContainer)
{
    private readonly ConcurrentDictionary<string, string> _acknowledged = new(); // ri -> con
    private int _ackCount;

    /// <summary>Acknowledged writes (ri → con).</summary>
    public IReadOnlyDictionary<string, string> Acknowledged => _acknowledged;

    /// <summary>Writes answered with anything but 2001.</summary>
    public ConcurrentBag<OneM2MResponse> Refused { get; } = [];

    private string Container(int c) => $"/cse-in/{aeId}/c{c}";

    /// <summary>Registers the AE and creates its containers.</summary>
    public async Task CreateAsync()
    {
        await client.RegisterAe(aeId);
        for (var c = 0; c < containers; c++)
        {
            var created = await client.Create($"/cse-in/{aeId}", aeId, 3, $$$"""{"m2m:cnt":{"rn":"c{{{c}}}"}}""");
            Assert.True(created.Rsc == 2001, created.Body);
        }
    }

    /// <summary>
    /// Runs the writers: once <paramref name="trigger"/> writes are acknowledged, <paramref name="act"/> runs (once, on
    /// the writer that acknowledged that write) and its result is returned. Each writer writes at least
    /// <c>writesPerContainer</c>, and after <paramref name="act"/> has completed another <paramref name="writesAfter"/>
    /// (so the writes go on past whatever it waited for); at most ten times <c>writesPerContainer</c> in all.
    /// </summary>
    public async Task<T> WriteAsync<T>(int trigger, Func<Task<T>> act, int writesAfter = 0)
    {
        var acted = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, containers).Select(c => Task.Run(async () =>
        {
            int? until = null;
            for (var i = 0; i < (until ?? 10 * writesPerContainer); i++)
            {
                if (until is null && acted.Task.IsCompleted)
                {
                    until = Math.Max(writesPerContainer, i + writesAfter);
                    if (i >= until)
                    {
                        break;
                    }
                }

                var con = $"c{c}-{i}";
                var response = await client.Create(Container(c), aeId, 4, $$$"""{"m2m:cin":{"con":"{{{con}}}"}}""");
                if (response.Rsc == 2001)
                {
                    _acknowledged[response.Resource("m2m:cin")["ri"]!.GetValue<string>()] = con;
                    if (Interlocked.Increment(ref _ackCount) == trigger)
                    {
                        acted.SetResult(await act());
                    }
                }
                else
                {
                    Refused.Add(response);
                    // What a client told "Retry-After" does: wait a little, then go on (with a new write).
                    await Task.Delay(100);
                }
            }
        })).ToArray();

        await Task.WhenAll(writers);
        Assert.True(acted.Task.IsCompleted, $"only {_ackCount} writes were acknowledged, fewer than the {trigger} that trigger the test's action");
        return await acted.Task;
    }

    /// <summary>Writes acknowledged so far.</summary>
    public int AcknowledgedCount => Volatile.Read(ref _ackCount);

    /// <summary>
    /// Reads every container back (its instances by discovery, each one by ID); returns the acknowledged writes not
    /// stored as acknowledged, the contents stored twice, and how many instances are stored.
    /// </summary>
    public async Task<(List<string> Missing, List<string> Duplicates, int Stored)> ReadBackAsync()
    {
        var stored = new ConcurrentDictionary<string, string>(); // ri -> con
        var duplicates = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, containers), async (c, _) =>
        {
            var container = (await client.Retrieve(Container(c), aeId)).Resource("m2m:cnt");
            var uris = (await client.Discover(Container(c), aeId, "ty=4")).Json!["m2m:uril"]!.AsArray()
                .Select(u => u!.GetValue<string>()).ToList();
            Assert.Equal(container["cni"]!.GetValue<long>(), uris.Count);
            var cons = new HashSet<string>();
            foreach (var uri in uris)
            {
                var read = await client.Retrieve("/" + uri.TrimStart('/'), aeId);
                Assert.True(read.Rsc == 2000, $"{uri}: {read.Rsc} {read.Body}");
                var cin = read.Resource("m2m:cin");
                var con = cin["con"]!.GetValue<string>();
                if (!cons.Add(con))
                {
                    duplicates.Add(con);
                }

                stored[cin["ri"]!.GetValue<string>()] = con;
            }
        });

        var missing = _acknowledged.Where(a => !stored.TryGetValue(a.Key, out var con) || con != a.Value).Select(a => a.Value).ToList();
        return (missing, [.. duplicates], stored.Count);
    }
}
