using Microsoft.Extensions.Logging;
using VirtualIoT.Grains.Index;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The spatial index (<see cref="IGeoIndexGrain"/>): a resource with a location (<c>loc</c>) tells its index shard
/// where it is after each stored change of it, and that it is gone on deletion, before the request is answered, so
/// that a geo-query right after a create finds the new resource. A failed call leaves the change standing (it is
/// stored); the entry is corrected at the resource's next change or activation.
/// </summary>
internal abstract partial class ResourceGrain
{
    private async Task TellGeoIndex(Dictionary<string, object?>? before, Dictionary<string, object?>? after)
    {
        if (!GeoIndexEntryChanged(before, after, out var entry))
        {
            return;
        }

        try
        {
            await GeoIndex.For(GrainFactory, ResourceId).Locate(ResourceId, entry);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogGeoIndexNotTold(Logger, exception, ResourceId);
        }
    }

    /// <summary>Whether the location changed, with the entry to give the index then (null: remove it).</summary>
    private bool GeoIndexEntryChanged(Dictionary<string, object?>? before, Dictionary<string, object?>? after, out GeoEntry? entry)
    {
        entry = null;
        var was = before?.GetValueOrDefault(GeoLocation.Attribute) as Dictionary<string, object?>;
        var now = after?.GetValueOrDefault(GeoLocation.Attribute) as Dictionary<string, object?>;
        if ((was is null && now is null) || (was is not null && now is not null
            && Equals(was.GetValueOrDefault(GeoLocation.TypeMember), now.GetValueOrDefault(GeoLocation.TypeMember))
            && Equals(was.GetValueOrDefault(GeoLocation.CoordinatesMember), now.GetValueOrDefault(GeoLocation.CoordinatesMember))))
        {
            // No location, or an update that left it as it was.
            return false;
        }

        entry = now is not null && now.GetValueOrDefault(GeoLocation.TypeMember) is long type
            && now.GetValueOrDefault(GeoLocation.CoordinatesMember) is string coordinates
            ? new GeoEntry(State.Path, State.Type, type, coordinates)
            : null;
        return true;
    }

    [LoggerMessage(EventId = 2111, Level = LogLevel.Warning, Message = "Resource {ResourceId}: the spatial index could not be told of its location now; it is told again at its next change or activation")]
    private static partial void LogGeoIndexNotTold(ILogger logger, Exception exception, string resourceId);
}
