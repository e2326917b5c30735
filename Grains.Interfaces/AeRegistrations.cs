namespace VirtualIoT;

/// <summary>
/// AE registrations that the grain of the AE-ID carries out itself (<see cref="IAeGrain.Register"/>) instead of the
/// CSEBase: a CREATE of an AE addressed to the CSEBase by an originator that names its own AE-ID (C… or S…). An
/// anonymous originator (C, S, empty) is given its AE-ID by the CSEBase, and is sent there as before. Bindings route by
/// it; the answer is the one the CSEBase gives.
/// </summary>
public static class AeRegistrations
{
    /// <summary>True when <paramref name="request"/>, addressed to <paramref name="targetId"/>, is a registration its AE-ID's grain carries out.</summary>
    public static bool RegistersDirectly(ResourceRequest request, string targetId, string cseBaseId)
    {
        ArgumentNullException.ThrowIfNull(request);
        var originator = request.Originator;
        return request.Operation == Operation.Create && request.ResourceType == ResourceType.AE && request.SubTarget is null
            && targetId == cseBaseId && originator.Length > 1 && originator[0] is ('C' or 'S') && ResourceIds.IsValidName(originator);
    }
}
