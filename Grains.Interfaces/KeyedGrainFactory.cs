using System.Runtime.CompilerServices;

namespace VirtualIoT;

/// <summary>
/// Grain references by string key without Orleans resolving the interface again on every call:
/// <c>IGrainFactory.GetGrain&lt;T&gt;(key)</c> reads the interface's attributes and formats its type name each time,
/// which was 7 % of an AE registration's CPU (BENCHMARKS.md, "Request-path profile"). Here that is done once per
/// interface; later references are made from the grain type and interface type found then.
/// </summary>
public static class KeyedGrainFactory
{
    /// <summary>The grain of interface <typeparamref name="T"/> with key <paramref name="key"/>, as <c>GetGrain&lt;T&gt;(key)</c> gives it.</summary>
    public static T GetGrainByKey<T>(this IGrainFactory grains, string key)
        where T : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(grains);
        if (Resolved<T>.Types is { } types)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(key);
            return (T)grains.GetGrain(GrainId.Create(types.Grain, key), types.Interface);
        }

        var grain = grains.GetGrain<T>(key);
        // A grain type Orleans could not resolve yet (a "sys." placeholder in a client that has no type map yet) is
        // not kept: the next call asks again.
        if (grain is GrainReference reference && !reference.GrainId.Type.ToString()!.StartsWith("sys.", StringComparison.Ordinal))
        {
            Resolved<T>.Types = new ResolvedTypes(reference.GrainId.Type, reference.InterfaceType);
        }

        return grain;
    }

    /// <summary>
    /// The grain <paramref name="id"/> seen through interface <typeparamref name="T"/>, as <c>GetGrain&lt;T&gt;(id)</c>
    /// gives it, with the interface resolved once: one reference made, not a reference of the grain's own interface
    /// first and then its cast (<c>AsReference</c>), which made a proxy of the larger interface for nothing.
    /// </summary>
    public static T GetGrainById<T>(this IGrainFactory grains, GrainId id)
        where T : IAddressable
    {
        ArgumentNullException.ThrowIfNull(grains);
        if (ResolvedInterface<T>.Type is { } type)
        {
            return (T)grains.GetGrain(id, type.Value);
        }

        var grain = grains.GetGrain<T>(id);
        if (grain is GrainReference reference)
        {
            ResolvedInterface<T>.Type = new StrongBox<GrainInterfaceType>(reference.InterfaceType);
        }

        return grain;
    }

    private sealed record ResolvedTypes(GrainType Grain, GrainInterfaceType Interface);

    // One per interface, for GetGrainById; written once (a reference, so readers see all of it or nothing).
    private static class ResolvedInterface<T>
    {
        public static StrongBox<GrainInterfaceType>? Type;
    }

    // One per interface; written once (a reference, so readers see all of it or nothing).
    private static class Resolved<T>
    {
        public static ResolvedTypes? Types;
    }
}
