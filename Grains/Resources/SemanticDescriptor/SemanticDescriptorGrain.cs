using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.SemanticDescriptor;

/// <summary>
/// A <c>&lt;semanticDescriptor&gt;</c> (ty 24), keyed by its <c>ri</c>: a semantic description of its parent,
/// checked on create and on every update that changes <c>dsp</c> or <c>dcrp</c> (the resulting pair is checked,
/// see <see cref="SemanticDescriptorPolicy"/>). Semantic queries over descriptors (<c>sqi</c>, <c>smf</c>) need a
/// SPARQL engine this project does not have: they are answered 5001.
/// </summary>
internal sealed class SemanticDescriptorGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<SemanticDescriptorGrain> logger) : ResourceGrain(store, options, logger), ISemanticDescriptorGrain
{
    protected override ResourcePolicy Policy => SemanticDescriptorPolicy.Rules;

    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator) =>
        ValueTask.FromResult(accepted.ContainsKey(SemanticDescriptorPolicy.Descriptor) || accepted.ContainsKey(SemanticDescriptorPolicy.Representation)
            ? SemanticDescriptorPolicy.CheckDescriptor(updated) is { } invalid ? ResourceResponse.Error(invalid) : null
            : null);
}
