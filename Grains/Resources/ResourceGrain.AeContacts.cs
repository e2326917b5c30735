using VirtualIoT.Grains.Resources.AeContactList;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The AE contact list (R4 <c>&lt;AEContactList&gt;</c>, IN-CSE only): a resource whose type names AEs (a
/// subscription's or cross-resource subscription's <c>nu</c>, a group's <c>mid</c>) tells them when it starts or stops
/// naming them, after its change is stored: one-way hand-offs, so no turn waits on them.
/// </summary>
internal abstract partial class ResourceGrain
{
    private void TellAeContacts(Dictionary<string, object?>? before, Dictionary<string, object?>? after)
    {
        if (Options.Type == CseTier.IN
            && (Policy.Attributes.ContainsKey(AttributeNames.NotificationUri) || Policy.Attributes.ContainsKey("mid")))
        {
            AeContacts.Tell(GrainFactory, AccessPolicies.Forms, ResourceId, before, after);
        }
    }
}
