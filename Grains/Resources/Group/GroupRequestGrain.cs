using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Grains.Resources.Group;

/// <summary>
/// The targets a Group Request Identifier (<c>gid</c>) reached (<see cref="IGroupRequestGrain"/>): plain memory, since
/// the record only guards against a request handled twice within a short time; the activation is kept alive as long
/// as its newest record.
/// </summary>
internal sealed class GroupRequestGrain(IOptions<CseOptions> options) : Grain, IGroupRequestGrain
{
    private readonly Dictionary<string, long> _received = new(StringComparer.Ordinal);
    private readonly TimeSpan _retention = options.Value.GroupRequestRetention;

    public ValueTask<IReadOnlyList<int>> Admit(IReadOnlyList<string> targets)
    {
        var now = Stopwatch.GetTimestamp();
        var oldest = now - (long)(_retention.TotalSeconds * Stopwatch.Frequency);
        List<int>? repeated = null;
        for (var i = 0; i < targets.Count; i++)
        {
            if (_received.TryGetValue(targets[i], out var at) && at >= oldest)
            {
                (repeated ??= []).Add(i);
            }
            else
            {
                _received[targets[i]] = now;
            }
        }

        DelayDeactivation(_retention);
        return ValueTask.FromResult<IReadOnlyList<int>>(repeated ?? (IReadOnlyList<int>)[]);
    }
}
