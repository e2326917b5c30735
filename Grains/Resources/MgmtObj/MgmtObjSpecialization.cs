using System.Collections.Frozen;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.MgmtObj;

/// <summary>
/// One mgmtObj specialization (TS-0001 Annex D, TS-0004 Annex D) as data: its <c>mgd</c>, short name (the root key is
/// <c>m2m:</c> + short name) and attributes, with how the CSE treats them when no device management protocol acts on
/// them (as ACME does). <see cref="MgmtObjPolicy"/> turns each into the policy the one validator reads.
/// </summary>
/// <param name="Definition"><c>mgd</c> (mgmtDefinition).</param>
/// <param name="ShortName">The short name: root key <c>m2m:</c> + this, generated names <c>fwr_…</c>.</param>
/// <param name="LongName">The specialization's long name, for messages.</param>
/// <param name="Attributes">Its own attributes (the common mgmtObj ones are added by <see cref="MgmtObjPolicy"/>).</param>
internal sealed record MgmtObjSpecialization(long Definition, string ShortName, string LongName, AttributeRule[] Attributes)
{
    private static readonly FrozenDictionary<string, object?> s_none = FrozenDictionary<string, object?>.Empty;

    /// <summary>Values a new mgmtObj gets unless the create sets them (status objects start uninitialized).</summary>
    public IReadOnlyDictionary<string, object?> Defaults { get; init; } = s_none;

    /// <summary>
    /// Trigger attributes the CSE sets back after every create and update: with no device behind, the action they ask
    /// for (reboot, factory reset …) is taken as done at once and the trigger shows its idle value again.
    /// </summary>
    public IReadOnlyDictionary<string, object?> Reset { get; init; } = s_none;

    /// <summary>Two triggers one update may not both set to true (reboot and factory reset at once → 4000).</summary>
    public (string First, string Second)? Exclusive { get; init; }

    /// <summary>Enumerated attributes and the range of their values (battery status 1–7 …).</summary>
    public IReadOnlyDictionary<string, (long Min, long Max)> Ranges { get; init; } = FrozenDictionary<string, (long, long)>.Empty;

    /// <summary>The representation's root key (<c>m2m:fwr</c>).</summary>
    public string RootKey => "m2m:" + ShortName;
}
