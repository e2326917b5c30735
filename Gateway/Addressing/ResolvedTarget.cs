namespace VirtualIoT.Gateway.Addressing;

/// <summary>The grain a request goes to and what it addresses inside that grain.</summary>
/// <param name="Grain">The grain to call.</param>
/// <param name="ResourceId">
/// Resource ID of the addressed resource (the container's for <c>la</c>/<c>ol</c>, the instance's for a content
/// instance addressed by ID); the target passed to discovery.
/// </param>
/// <param name="SubTarget">Value for <see cref="ResourceRequest.SubTarget"/>: null, <c>la</c>, <c>ol</c>, or a content instance's ID or name.</param>
/// <param name="FromCache">True when the structured address was taken from the address cache.</param>
/// <param name="ExpectedName">
/// For a structured address, the resource name by which the grain's resource was reached; the grain answers
/// "target missing" when its resource has another name (an AE-ID re-registered under a new name).
/// </param>
public readonly record struct ResolvedTarget(IResourceGrain Grain, string ResourceId, string? SubTarget, bool FromCache,
    string? ExpectedName = null);
