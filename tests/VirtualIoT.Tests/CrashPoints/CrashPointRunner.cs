using System.Globalization;
using VirtualIoT.Tests.Backends;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace VirtualIoT.Tests.CrashPoints;

/// <summary>
/// Crashes each operation at each of its storage writes in turn on one platform. For an operation it first runs it
/// uncrashed, counting its writes (n), and "crashes" right after it (its answer is lost); then, on fresh resources,
/// for k = 1..n, lets write k fail and the process die there: that write and every later storage call fail. The
/// restart discards every activation of the platform's grains while the store is dead (no write of the dead process
/// gets through), then revives the store, as a new process on the same storage would find it. After each crash it
/// checks the operation is fully there or fully absent, repeats the request with the same <c>rqi</c> and checks the
/// result (<see cref="CrashOperation"/>).
/// </summary>
internal sealed class CrashPointRunner(PlatformHost host, CrashSwitch crash, ITestOutputHelper output)
{
    private static readonly TimeSpan DiscardTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long no further write must come before an uncrashed operation's writes are taken as all of them.</summary>
    private static readonly TimeSpan QuietFor = TimeSpan.FromSeconds(1);

    /// <summary>Runs every operation at every write point; returns what broke (empty: nothing).</summary>
    public async Task<IReadOnlyList<string>> RunAll(IReadOnlyList<Func<CrashOperation>> operations)
    {
        var failures = new List<string>();
        var points = 0;
        foreach (var create in operations)
        {
            await WarmUp(create());
            var writes = await RunOne(create(), 0, failures);
            points++;
            for (var k = 1; k <= writes; k++)
            {
                await RunOne(create(), k, failures);
                points++;
            }
        }

        output.WriteLine($"{operations.Count} operations, {points} crash points, {failures.Count} broken");
        return failures;
    }

    /// <summary>
    /// Runs the operation once, uncounted, so that what the platform writes only on the first operation of its kind
    /// (the CSEBase's own records, the admin's notification policies, the AE contact list) is stored before the writes
    /// of the operation are counted: each counted write is then one the operation makes every time, and its crash
    /// point is reached.
    /// </summary>
    private async Task WarmUp(CrashOperation operation)
    {
        var client = host.Client;
        crash.Revive();
        await operation.Prepare(client);
        var answer = await operation.Send(client, "warm-" + Guid.NewGuid().ToString("N")[..16]);
        if (answer.Rsc != operation.Success)
        {
            throw new XunitException($"{operation.Name}: warm-up answered {answer.Rsc}: {answer.Body}");
        }

        await operation.Settle(client, answer);
    }

    /// <summary>One crash point: at write <paramref name="crashAt"/>, or after the last write when 0; returns the writes counted.</summary>
    private async Task<int> RunOne(CrashOperation operation, int crashAt, List<string> failures)
    {
        var client = host.Client;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var point = crashAt == 0 ? "after its last write" : "at write " + crashAt.ToString(CultureInfo.InvariantCulture);
        try
        {
            await operation.Prepare(client);
        }
        catch (Exception exception)
        {
            failures.Add($"{operation.Name}, {point}: preparing failed: {exception.Message}");
            return 0;
        }

        var rqi = "crash-" + Guid.NewGuid().ToString("N")[..16];
        crash.Arm(crashAt);
        IReadOnlyList<string> writes = [];
        try
        {
            var first = await operation.Send(client, rqi);
            if (crashAt == 0)
            {
                if (first.Rsc != operation.Success)
                {
                    throw new XunitException($"uncrashed attempt answered {first.Rsc}: {first.Body}");
                }

                await operation.Settle(client, first);
                writes = await WritesWhenQuiet();
            }
            else
            {
                // Some writes follow the answer (notifications): wait for the crash point to be reached.
                var deadline = Deadline.In(TimeSpan.FromSeconds(10));
                while (!crash.IsDead && !deadline.Passed)
                {
                    await Task.Delay(10);
                }

                writes = crash.Writes;
                if (!crash.IsDead)
                {
                    // The point was not crashed, so it was not tested: the operation's writes must be the same each time.
                    throw new XunitException($"write {crashAt} not reached: only {writes.Count} writes this time (answered {first.Rsc})");
                }
            }

            await Restart();
            await operation.CheckBetween(client);
            var repeat = await operation.Send(client, rqi);
            await operation.CheckAfter(client, repeat);
            output.WriteLine($"ok   {operation.Name}, {point}{Describe(writes, crashAt)} [{Elapsed(started)}]");
        }
        catch (Exception exception)
        {
            // Every write counted, not only the crashed one: a write of another operation's resources counted here
            // is what a wrong count looks like.
            failures.Add($"{operation.Name}, {point}{Describe(writes, crashAt)}: {exception.Message} (writes counted: {string.Join("; ", writes)})");
            output.WriteLine($"FAIL {failures[^1]} [{Elapsed(started)}]");
            if (crash.IsDead)
            {
                await Restart();
            }
        }

        return writes.Count;
    }

    /// <summary>
    /// The writes counted once none has come for <see cref="QuietFor"/>: some follow the answer (a delete's parent
    /// forgets the child by a one-way call), and each must be counted to be crashed at.
    /// </summary>
    private async Task<IReadOnlyList<string>> WritesWhenQuiet()
    {
        var writes = crash.Writes;
        var quiet = Deadline.In(QuietFor);
        var deadline = Deadline.In(TimeSpan.FromSeconds(30));
        while (!quiet.Passed && !deadline.Passed)
        {
            await Task.Delay(20);
            var now = crash.Writes;
            if (now.Count != writes.Count)
            {
                writes = now;
                quiet = Deadline.In(QuietFor);
            }
        }

        return writes;
    }

    private static string Elapsed(long started) =>
        System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + " s";

    private static string Describe(IReadOnlyList<string> writes, int crashAt) =>
        crashAt == 0 ? $" ({writes.Count} writes: {string.Join("; ", writes)})"
        : writes.Count >= crashAt ? $" ({writes[crashAt - 1]})" : "";

    /// <summary>The process dies (if it has not) and restarts: every platform activation is discarded, then the store works again.</summary>
    private async Task Restart()
    {
        crash.Kill();
        await host.DiscardActivations(DiscardTimeout);
        crash.Revive();
    }
}
