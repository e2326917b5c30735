using System.Collections.Concurrent;
using VirtualIoT.Gateway.Addressing;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// The request parameters that govern group requests (TS-0001 8.1.2, 10.2.7.6): the Group Request Identifier
/// (<c>gid</c>), so that a target reached twice by one group request (groups sharing members, a loop of groups) or
/// again by a request reusing a client's gid handles it once and answers the repeat 4104; and the result expiration
/// (<c>rset</c>), which bounds how long a fan-out waits for its members. As ACME: members that have not answered by
/// then are left out of the <c>m2m:agr</c> of a flexBlocking or non-blocking request, and a blocking request is
/// answered 4008. The waiting happens here, never in a grain's turn; members not yet asked are not asked.
/// </summary>
public sealed partial class RequestDispatcher
{
    /// <summary>The targets one fan-out (with its nested sub-group fan-outs) has reached, by <see cref="GroupRequestKey"/>.</summary>
    private sealed class FanOutScope
    {
        // A sub-group is a member by its fanOutPoint (TS-0001 9.6.13: "<group ri>/fopt").
        private const string SubGroupSuffix = "/fopt";

        private FanOutScope(string target) => Reached.TryAdd(target, 0);

        public ConcurrentDictionary<string, byte> Reached { get; } = new(StringComparer.Ordinal);

        /// <summary>
        /// A scope for a fan-out to <paramref name="members"/> from <paramref name="target"/>, or null when none of them
        /// is a sub-group: a group's <c>mid</c> holds no duplicates, so only nested groups reach a target twice.
        /// </summary>
        public static FanOutScope? For(IReadOnlyList<string> members, string target)
        {
            for (var i = 0; i < members.Count; i++)
            {
                if (members[i].EndsWith(SubGroupSuffix, StringComparison.Ordinal))
                {
                    return new FanOutScope(target);
                }
            }

            return null;
        }
    }

    /// <summary>A target as group request records name it: its resource ID, with the path below it (<c>cnt7Fk2/la</c>, <c>grp3/fopt</c>).</summary>
    private static string GroupRequestKey(ResolvedTarget target) =>
        target.SubTarget is null ? target.ResourceId : target.ResourceId + "/" + target.SubTarget;

    /// <summary>For a request carrying a client's <c>gid</c>: null when its target has not received that gid before, else 4104.</summary>
    private async ValueTask<ResourceResponse?> AdmitGroupRequestAsync(string gid, ResolvedTarget target)
    {
        var key = GroupRequestKey(target);
        var repeated = await _grains.GetGrain<IGroupRequestGrain>(gid).Admit([key]);
        return repeated.Count == 0 ? null : GroupRequestExists(gid, key);
    }

    /// <summary>
    /// Which members (by position) this group request reached before, through another group of the same fan-out or, for a
    /// client's <paramref name="gid"/>, any earlier request; null when none did.
    /// </summary>
    private async ValueTask<bool[]?> RepeatedMembersAsync(FanOutScope? scope, string? gid, IReadOnlyList<string> members, string below)
    {
        if (scope is null && gid is null)
        {
            return null;
        }

        bool[]? repeated = null;
        var keys = new string[members.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = members[i] + below;
            if (scope is not null && !scope.Reached.TryAdd(keys[i], 0))
            {
                (repeated ??= new bool[keys.Length])[i] = true;
            }
        }

        if (gid is not null && keys.Length > 0)
        {
            foreach (var i in await _grains.GetGrain<IGroupRequestGrain>(gid).Admit(keys))
            {
                (repeated ??= new bool[keys.Length])[i] = true;
            }
        }

        return repeated;
    }

    private static ResourceResponse GroupRequestExists(string? gid, string target) =>
        ResourceResponse.Error(ResponseStatusCode.GroupRequestIdentifierExists, gid is null
            ? $"'{target}' was already reached by this group request (through another group); it is handled once"
            : $"'{target}' already received the group request '{gid}' (gid); it is handled once");

    /// <summary>
    /// Runs <paramref name="member"/> for every member, a bounded number at a time. With a <paramref name="deadline"/>
    /// (<c>rset</c>), stops waiting then: members not yet asked are not asked, and those still running are told to stop
    /// (their answers, should they come, are dropped). Returns false when the deadline came first.
    /// </summary>
    private async ValueTask<bool> RunMembersAsync(int count, Func<int, CancellationToken, ValueTask> member, DateTimeOffset? deadline,
        CancellationToken cancellationToken)
    {
        if (deadline is null)
        {
            await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = _fanOutParallelism, CancellationToken = cancellationToken }, member);
            return true;
        }

        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var options = new ParallelOptions { MaxDegreeOfParallelism = _fanOutParallelism, CancellationToken = stop.Token };
        var all = Parallel.ForAsync(0, count, options, async (i, token) =>
        {
            try
            {
                await member(i, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Past rset: this member's answer is left out.
            }
        });

        var remaining = deadline.Value - _failures.Time.GetUtcNow();
        try
        {
            await all.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _failures.Time, cancellationToken);
            stop.Dispose();
            return true;
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            await stop.CancelAsync();
            _ = all.ContinueWith(static (finished, source) =>
            {
                _ = finished.Exception;
                ((IDisposable)source!).Dispose();
            }, stop, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            if (exception is OperationCanceledException)
            {
                throw;
            }

            return false;
        }
    }

    /// <summary>
    /// The answer of a fan-out whose <c>rset</c> passed before every member answered (as ACME): a blocking request is
    /// answered 4008; a flexBlocking or non-blocking one gets the <c>m2m:agr</c> of the members that did, in <c>mid</c> order.
    /// </summary>
    private static ResourceResponse LateAggregation(ResourceRequest request, object?[] answers)
    {
        var answered = new List<object?>(answers.Length);
        for (var i = 0; i < answers.Length; i++)
        {
            if (Volatile.Read(ref answers[i]) is { } answer)
            {
                answered.Add(answer);
            }
        }

        if (request.ResponseType is ResponseType.Blocking or ResponseType.NoResponse)
        {
            return ResourceResponse.Error(ResponseStatusCode.RequestTimeout,
                $"the result expired (rset {OneM2MTime.Format(request.ResultExpiration!.Value.UtcDateTime)}) with {answered.Count} of {answers.Length} members answered; a flexBlocking request (rt=4) gets their answers");
        }

        var aggregated = new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:rsp"] = answered };
        return new ResourceResponse(ResponseStatusCode.Ok, new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:agr"] = aggregated });
    }
}
