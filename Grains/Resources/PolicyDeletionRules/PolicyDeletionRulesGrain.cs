using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.PolicyDeletionRules;

/// <summary>
/// A <c>&lt;policyDeletionRules&gt;</c> (ty 27, R4), keyed by its <c>ri</c>: the conditions under which its parent
/// notification target policy's action applies; the policy reads its attributes when it decides.
/// </summary>
internal sealed class PolicyDeletionRulesGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<PolicyDeletionRulesGrain> logger) : ResourceGrain(store, options, logger), IPolicyDeletionRulesGrain
{
    protected override ResourcePolicy Policy => PolicyDeletionRulesPolicy.Rules;
}
