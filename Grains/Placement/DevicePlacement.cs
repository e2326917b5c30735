using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace VirtualIoT.Grains.Placement;

/// <summary>
/// Placement of the grains that belong to one device (its AE, containers, subscriptions, groups, node, MQTT
/// connection, credential): a new activation goes to the silo whose binding received the request that caused it
/// (<see cref="RequestOrigin"/>), so a device whose requests arrive at one silo has all its grains there and each
/// request is served without a cross-silo hop. See <see cref="DevicePlacementDirector"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("VirtualIoT.DevicePlacement")]
public sealed class DevicePlacement : PlacementStrategy
{
}

/// <summary>Places the grain class with <see cref="DevicePlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class DevicePlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public DevicePlacementAttribute()
        : base(new DevicePlacement())
    {
    }
}

/// <summary>
/// Chooses the silo of a new activation under <see cref="DevicePlacement"/>, in this order: Orleans' placement hint
/// (<see cref="IPlacementDirector.PlacementHintKey"/>, for explicit moves); the silo the causing request entered the
/// cluster at (<see cref="RequestOrigin"/>: a grain created by a grain on another silo, such as an AE created by the
/// CSEBase, still goes to its device's silo); the silo deciding, which is the caller's (a reminder, a standalone
/// gateway's connection); any compatible silo when that one cannot host it. The decision runs only when no activation
/// exists (Orleans caches addresses), costs a dictionary lookup and holds no state, so every silo decides alike.
/// </summary>
internal sealed class DevicePlacementDirector : IPlacementDirector
{
    private Task<SiloAddress>? _local;

    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, compatible) is { } hint)
        {
            return Task.FromResult(hint);
        }

        if (RequestOrigin.In(target.RequestContextData) is { Silo: { } origin } && Array.IndexOf(compatible, origin) >= 0)
        {
            return origin.Equals(context.LocalSilo) ? Local(context) : Task.FromResult(origin);
        }

        if (context.LocalSiloStatus == SiloStatus.Active && Array.IndexOf(compatible, context.LocalSilo) >= 0)
        {
            return Local(context);
        }

        return Task.FromResult(compatible[Random.Shared.Next(compatible.Length)]);
    }

    private Task<SiloAddress> Local(IPlacementContext context) => _local ??= Task.FromResult(context.LocalSilo);
}
