using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using VirtualIoT.Grains.Domain.Access;

namespace VirtualIoT.Grains.Resources.DynamicAuthorizationConsultation;

/// <summary>
/// See <see cref="IInheritedConsultationGrain"/>. Stateless: it reads each ancestor's attributes in turn (as the CSE,
/// which no operation monitor watches) until one names consultation resources in <c>daci</c>. The ancestors answer
/// in their own turns; none of them waits on another, and the denied target's turn is over by then.
/// </summary>
[StatelessWorker, Reentrant]
internal sealed class InheritedConsultationGrain(IOptions<CseOptions> options, AccessPolicyCache policies) : Grain, IInheritedConsultationGrain
{
    // Deeper than any resource tree this CSE builds; a bound against a loop of parent IDs in damaged data.
    private const int MaxDepth = 64;

    public async ValueTask<IReadOnlyList<string>?> Find(string parentId, string targetId)
    {
        var cse = options.Value;
        var id = parentId;
        for (var depth = 0; depth < MaxDepth && id.Length > 0; depth++)
        {
            if (GrainFactory.GetClusterResource(id, cse.CseBaseId) is not { } grain
                || await grain.AttributesFor(cse.AdminOriginator) is not { } attributes)
            {
                return null;
            }

            if (DynamicAuthorizationConsultations.Of(attributes, policies.Forms, targetId, cse.CseBaseId) is { } ids)
            {
                return ids;
            }

            id = attributes.GetValueOrDefault(AttributeNames.ParentId) as string ?? "";
        }

        return null;
    }
}

/// <summary>Reading a resource's <c>daci</c>.</summary>
internal static class DynamicAuthorizationConsultations
{
    /// <summary>
    /// The resource IDs of the consultation resources in <paramref name="attributes"/>' <c>daci</c> (unstructured or
    /// SP-relative entries; <paramref name="exclude"/> left out, a grain never waits on itself), or null when there
    /// are none.
    /// </summary>
    public static List<string>? Of(Dictionary<string, object?> attributes, OriginatorForms forms, string exclude, string cseBaseId)
    {
        if (attributes.GetValueOrDefault(AttributeNames.DynamicAuthorizationConsultationIds) is not List<object?> { Count: > 0 } daci)
        {
            return null;
        }

        List<string>? ids = null;
        foreach (var entry in daci)
        {
            if (entry is string text && forms.Normalize(text) is var ri && ri != exclude
                && ResourceIds.Classify(ri, cseBaseId) == ResourceType.DynamicAuthorizationConsultation)
            {
                (ids ??= []).Add(ri);
            }
        }

        return ids;
    }
}
