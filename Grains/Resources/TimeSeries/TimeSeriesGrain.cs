using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Placement;
using VirtualIoT.Grains.Resources.Container;
using static VirtualIoT.Grains.Resources.TimeSeries.TimeSeriesPolicy;

namespace VirtualIoT.Grains.Resources.TimeSeries;

/// <summary>
/// A timeSeries (ty 29) together with its timeSeriesInstances (ty 30), <c>la</c> and <c>ol</c> (held as
/// <see cref="InstanceHolderGrain"/> holds them). An instance is created by a create request to the timeSeries; its
/// <c>dgt</c> is unique within the series (4105, as ACME). With <c>mdd</c> true the series detects missing data
/// points on this grain's timer (<see cref="TimeSeriesGrain"/>'s detection part).
/// </summary>
[DevicePlacement]
internal sealed partial class TimeSeriesGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<TimeSeriesGrain> logger,
    IServiceProvider services) : InstanceHolderGrain(store, options, logger, services), ITimeSeriesGrain
{
    // The live instances by data generation time, to refuse a second one with the same dgt. Built on first use;
    // entries of instances removed since are skipped when met and dropped when the index is rebuilt.
    private Dictionary<DateTime, long>? _byGenerationTime;

    protected override ResourcePolicy Policy => TimeSeriesPolicy.Rules;

    protected override ResourcePolicy InstancePolicy => TimeSeriesInstancePolicy.Rules;

    protected override ContainerLog Log => Specific<TimeSeriesLog>();

    private TimeSeriesLog Detection => (TimeSeriesLog)Log;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (Exists && Detection.Detecting)
        {
            ResumeDetection();
        }
    }

    protected override ValueTask<ResourceResponse> AddChild(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> accepted, string now) =>
        policy.Type == ResourceType.TimeSeriesInstance
            ? CreateRequestedInstance(request, accepted, now)
            : base.AddChild(request, policy, accepted, now);

    protected override ResourceResponse? InstanceWillBeAdded(Dictionary<string, object?> accepted, string now)
    {
        var dgt = GenerationTime(accepted);
        return GenerationTimes().TryGetValue(dgt, out var sequence) && Instances.Lookup(sequence) is { } existing && !IsExpired(existing, now)
            ? ResourceResponse.Error(ResponseStatusCode.Conflict,
                $"a timeSeriesInstance with dgt {accepted[TimeSeriesInstancePolicy.DataGenerationTime]} exists in this timeSeries ({existing.Attributes.ResourceName()})")
            : null;
    }

    protected override void InstanceAdded(Dictionary<string, object?> attributes, string now)
    {
        var dgt = GenerationTime(attributes);
        GenerationTimes()[dgt] = Log.NextSequence - 1;
        InstanceArrived(dgt);
    }

    /// <summary>
    /// The rules of an update (TS-0001 10.2.4.23, as ACME applies them): <c>mdd</c> changes alone, and the
    /// detection parameters (<c>pei</c>, <c>peid</c>, <c>mdn</c>, <c>mdt</c>) not while detection is on; a new <c>pei</c>
    /// without <c>peid</c> brings <c>peid</c> = <c>pei</c>/2. Turning <c>mdd</c> on clears <c>mdlt</c> and <c>mdc</c> and
    /// restarts detection at the next instance; turning it off stops it; changing a parameter while it is off clears
    /// the missing data.
    /// </summary>
    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator)
    {
        var changesParameters = Array.Exists(DetectionParameters, accepted.ContainsKey);
        if (accepted.ContainsKey(MissingDataDetect) && changesParameters)
        {
            return Refuse("mdd cannot be updated together with mdt, mdn, pei or peid");
        }

        if (State.Attributes.GetValueOrDefault(MissingDataDetect) is true && changesParameters)
        {
            return Refuse("mdt, mdn, pei and peid cannot change while mdd is true");
        }

        if (accepted.Long(PeriodicInterval) is { } pei && !accepted.ContainsKey(PeriodicIntervalDelta))
        {
            updated[PeriodicIntervalDelta] = pei / 2;
        }

        if (CheckDetection(updated) is { } invalid)
        {
            return ValueTask.FromResult<ResourceResponse?>(ResourceResponse.Error(invalid));
        }

        if (accepted.TryGetValue(MissingDataDetect, out var mdd))
        {
            StopDetection();
            if (mdd is true)
            {
                updated[MissingDataList] = new List<object?>();
                updated[MissingDataCurrentNr] = 0L;
            }
        }
        else if (changesParameters)
        {
            updated.Remove(MissingDataList);
            updated[MissingDataCurrentNr] = 0L;
        }

        return base.WillBeUpdated(updated, accepted, originator);
    }

    protected override async Task WillBeDeleted()
    {
        StopDetection();
        await base.WillBeDeleted();
    }

    private static ValueTask<ResourceResponse?> Refuse(string message) =>
        ValueTask.FromResult<ResourceResponse?>(ResourceResponse.Error(ResponseStatusCode.BadRequest, message));

    /// <summary>The instances' data generation times (see <see cref="_byGenerationTime"/>), rebuilt when mostly stale.</summary>
    private Dictionary<DateTime, long> GenerationTimes()
    {
        if (_byGenerationTime is null || _byGenerationTime.Count > (2 * Instances.Count) + 64)
        {
            _byGenerationTime = [];
            foreach (var segment in Instances.Segments.Values)
            {
                foreach (var held in segment)
                {
                    _byGenerationTime[GenerationTime(Instances.Record(held).Attributes)] = held.Sequence;
                }
            }
        }

        return _byGenerationTime;
    }

    /// <summary>An instance's <c>dgt</c> (validated as a timestamp when it was created).</summary>
    private static DateTime GenerationTime(Dictionary<string, object?> attributes) =>
        OneM2MTime.TryParse(attributes[TimeSeriesInstancePolicy.DataGenerationTime] as string, out var dgt) ? dgt : default;
}
