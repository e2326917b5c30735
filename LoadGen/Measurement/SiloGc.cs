using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace VirtualIoT.LoadGen.Measurement;

/// <summary>
/// Makes .NET silo processes run a full garbage collection from outside, through their diagnostics port: an
/// EventPipe session that enables the runtime provider's <c>GCHeapCollect</c> keyword induces one blocking gen-2
/// collection (the way <c>dotnet-gcdump</c> does). Afterwards the RSS is read until it settles, since the collector
/// returns freed regions to the OS gradually. Then an RSS reading counts live memory, not the collector's slack.
/// </summary>
internal static class SiloGc
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const long GcKeyword = 0x1;
    private const long GcHeapCollectKeyword = 0x800000;

    /// <summary>Collects in every process of <paramref name="pids"/>; returns the ones that could not be asked.</summary>
    public static async Task<IReadOnlyList<string>> CollectAsync(IReadOnlyList<int> pids, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var pid in pids)
        {
            try
            {
                var client = new DiagnosticsClient(pid);
                using var session = await client.StartEventPipeSessionAsync(
                    [new EventPipeProvider(RuntimeProvider, EventLevel.Informational, GcKeyword | GcHeapCollectKeyword)],
                    requestRundown: false, circularBufferMB: 16, cancellationToken);
                var drain = session.EventStream.CopyToAsync(Stream.Null, cancellationToken);
                // The collection runs on the runtime's side once the session is enabled; a gen-2 collection of a
                // few GB takes well under this on one core.
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
                await session.StopAsync(cancellationToken);
                await drain;
            }
            catch (Exception exception) when (exception is ServerNotAvailableException or UnsupportedCommandException or IOException
                or TimeoutException or UnauthorizedAccessException or ServerErrorException)
            {
                failures.Add($"PID {pid}: {exception.Message}");
            }
        }

        await SettleAsync(pids, cancellationToken);
        return failures;
    }

    /// <summary>Waits (at most 20 s) until the summed RSS changes by less than 1 % in a second.</summary>
    private static async Task SettleAsync(IReadOnlyList<int> pids, CancellationToken cancellationToken)
    {
        var previous = SumRss(pids);
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            var current = SumRss(pids);
            if (Math.Abs(current - previous) < previous / 100)
            {
                return;
            }

            previous = current;
        }
    }

    private static long SumRss(IReadOnlyList<int> pids) => pids.Sum(pid => ServerProbe.ReadProcess(pid).Rss ?? 0);
}
