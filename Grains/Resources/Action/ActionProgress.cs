namespace VirtualIoT.Grains.Resources.Action;

/// <summary>An action's own stored state: how far its mode (<c>evm</c>, <c>ecp</c>) has run.</summary>
[GenerateSerializer, Alias("VirtualIoT.ActionProgress")]
public sealed class ActionProgress : TypeState
{
    /// <summary><c>evm</c> once: true after it fired.</summary>
    [Id(0)] public bool Fired { get; set; }

    /// <summary><c>evm</c> continuous: firings left.</summary>
    [Id(1)] public long Remaining { get; set; }

    /// <summary><c>evm</c> periodic: the action may not fire again before this instant (UTC).</summary>
    [Id(2)] public DateTime NextPeriod { get; set; }

    /// <summary>The subject's event the action last fired on: a repeated delivery of it does not fire again.</summary>
    [Id(3)] public string? LastEvent { get; set; }

    /// <summary>
    /// Firings stored and handed to the worker whose answer has not come back yet, oldest first: sent again when the
    /// action is activated after its silo failed (the action's reminder brings it back), with the same <c>rqi</c>.
    /// </summary>
    [Id(4)] public List<ActionFiring> Unanswered { get; set; } = [];
}

/// <summary>One firing of an action: its ID (the subject's event it fired on), the object resource and the request sent to it.</summary>
[GenerateSerializer, Immutable, Alias("VirtualIoT.ActionFiring")]
public sealed record ActionFiring([property: Id(0)] string Id, [property: Id(1)] string TargetId, [property: Id(2)] ResourceRequest Request);
