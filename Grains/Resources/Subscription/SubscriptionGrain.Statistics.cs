using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>A subscription's notification statistics (R4 <c>nse</c>/<c>nsi</c>) and checks against its parent.</summary>
internal sealed partial class SubscriptionGrain
{
    /// <summary><c>enc/chty</c> checked against the child types of the subscribed-to resource's type.</summary>
    private OneM2MError? ChildTypeCheck(Dictionary<string, object?> attributes)
    {
        var parentType = ResourceIds.Classify(State.ParentId, Options.CseBaseId);
        return parentType is { } type && Policies.For(type) is { } parent ? SubscriptionPolicy.CheckForParent(attributes, parent, []) : null;
    }

    /// <summary>With <c>nse</c> on, counts an event for every target (<c>noec</c>), creating the statistics on the first.</summary>
    private void CountEvent()
    {
        if (State.Attributes.TryGetValue("nse", out var nse) && nse is true)
        {
            var statistics = Statistics(Targets());
            foreach (var entry in statistics)
            {
                entry["noec"] = (long)entry["noec"]! + 1;
            }

            State.Attributes = new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal) { ["nsi"] = statistics.Cast<object?>().ToList() };
        }
    }

    /// <summary>A copy of <c>nsi</c> with an entry (<c>tg</c>, <c>rqs</c>, <c>rsr</c>, <c>noec</c>) for every one of <paramref name="targets"/>.</summary>
    private List<Dictionary<string, object?>> Statistics(IReadOnlyList<string> targets)
    {
        var statistics = new List<Dictionary<string, object?>>();
        if (State.Attributes.TryGetValue("nsi", out var value) && value is List<object?> list)
        {
            foreach (var entry in list)
            {
                if (entry is Dictionary<string, object?> map)
                {
                    var copy = new Dictionary<string, object?>(map, StringComparer.Ordinal);
                    copy.TryAdd("noec", 0L);
                    statistics.Add(copy);
                }
            }
        }

        foreach (var target in targets)
        {
            if (!statistics.Exists(e => e.TryGetValue("tg", out var tg) && tg as string == target))
            {
                statistics.Add(new Dictionary<string, object?>(StringComparer.Ordinal) { ["tg"] = target, ["rqs"] = 0L, ["rsr"] = 0L, ["noec"] = 0L });
            }
        }

        return statistics;
    }

    /// <summary>
    /// notificationStatsInfo (R4, TS-0004 7.5.1.2.2): with <c>nse</c> on, per target the requests sent
    /// (<c>rqs</c>) and the success responses received (<c>rsr</c>).
    /// </summary>
    private bool CountStatistics(IReadOnlyList<string> attempted, IReadOnlyList<string> delivered)
    {
        if (!State.Attributes.TryGetValue("nse", out var nse) || nse is not true)
        {
            return false;
        }

        var updated = Statistics(attempted);
        foreach (var target in attempted)
        {
            var entry = updated.First(e => e.TryGetValue("tg", out var tg) && tg as string == target);
            entry["rqs"] = (long)entry["rqs"]! + 1;
            if (delivered.Contains(target))
            {
                entry["rsr"] = (long)entry["rsr"]! + 1;
            }
        }

        State.Attributes = new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal) { ["nsi"] = updated.Cast<object?>().ToList() };
        return true;
    }
}
