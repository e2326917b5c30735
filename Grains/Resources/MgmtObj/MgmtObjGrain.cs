using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Resources.MgmtObj;

/// <summary>
/// A mgmtObj (ty 13) of any specialization, keyed by its <c>ri</c>; its <c>mgd</c> picks the attribute rules and the
/// root key. No device management protocol (OMA-DM, LwM2M) is behind it: the CSE stores what clients write, starts
/// status objects as uninitialized and sets trigger attributes back after each write (as ACME does), per
/// <see cref="MgmtObjSpecialization"/>.
/// </summary>
[DevicePlacement]
internal sealed class MgmtObjGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<MgmtObjGrain> logger) : ResourceGrain(store, options, logger), IMgmtObjGrain
{
    // Before the resource exists (a request to a missing mgmtObj answers 4004 before reading it) any policy will do.
    protected override ResourcePolicy Policy =>
        MgmtObjPolicy.Find(State.Attributes)?.Policy ?? MgmtObjPolicy.Specializations.All.First();

    protected override ValueTask<ResourceResponse?> WillBeCreated(NewResource resource)
    {
        if (MgmtObjPolicy.Find(resource.Attributes) is var (specialization, _))
        {
            foreach (var (name, value) in specialization.Defaults)
            {
                resource.Attributes.TryAdd(name, Copy(value));
            }

            Reset(specialization, resource.Attributes);
        }

        return ValueTask.FromResult<ResourceResponse?>(null);
    }

    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated,
        Dictionary<string, object?> accepted, string originator)
    {
        if (MgmtObjPolicy.Find(updated) is var (specialization, _))
        {
            Reset(specialization, updated);
        }

        return ValueTask.FromResult<ResourceResponse?>(null);
    }

    private static void Reset(MgmtObjSpecialization specialization, Dictionary<string, object?> attributes)
    {
        foreach (var (name, value) in specialization.Reset)
        {
            attributes[name] = Copy(value);
        }
    }

    // Table values are shared; a stored resource gets its own copy of an object value (attributes are never shared).
    private static object? Copy(object? value) =>
        value is Dictionary<string, object?> map ? new Dictionary<string, object?>(map, StringComparer.Ordinal) : value;
}
