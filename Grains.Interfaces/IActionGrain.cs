using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Grain of an <c>&lt;action&gt;</c> (ty 65, key = its <c>ri</c>): a request (<c>apv</c>) the CSE sends to a resource
/// (<c>orc</c>) when an attribute of its subject (<c>sri</c>, else its parent) meets its criteria (<c>evc</c>) and its
/// dependencies hold, as often as its mode (<c>evm</c>, <c>ecp</c>) allows.
/// </summary>
[Alias("VirtualIoT.IActionGrain")]
public interface IActionGrain : IClusterResourceGrain
{
    /// <summary>Cluster-internal: the subject changed (an update event from its outbox); the action evaluates its criteria.</summary>
    [Alias("Accept")]
    ValueTask Accept(ResourceEvent resourceEvent);

    /// <summary>
    /// Cluster-internal: the request of the action's firing <paramref name="firingId"/> was carried out;
    /// <paramref name="result"/> becomes its <c>air</c>. A firing answered already is not answered again.
    /// </summary>
    [Alias("Fired"), OneWay]
    ValueTask Fired(string firingId, Dictionary<string, object?> result);
}

/// <summary>Grain of a <c>&lt;dependency&gt;</c> (ty 66, key = its <c>ri</c>): a condition (<c>evc</c> on <c>rri</c>) an action waits for.</summary>
[Alias("VirtualIoT.IDependencyGrain")]
public interface IDependencyGrain : IClusterResourceGrain
{
}

/// <summary>
/// Carries out actions' requests outside any resource grain's turn (stateless worker): the action hands its request
/// over and goes on; the result comes back to the action as its <c>air</c>.
/// </summary>
[Alias("VirtualIoT.IActionFiringGrain")]
public interface IActionFiringGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Sends <paramref name="request"/> to the resource <paramref name="targetId"/> and reports the answer to the action
    /// <paramref name="actionId"/> as its firing <paramref name="firingId"/>. One-way: should it be lost with its silo,
    /// the action, which stored the firing before handing it over, hands it over again.
    /// </summary>
    [Alias("Fire"), OneWay]
    ValueTask Fire(string actionId, string firingId, string targetId, ResourceRequest request);
}
