using VirtualIoT.Grains.Resources.RemoteCse;

namespace VirtualIoT.Grains.Resources.CseBase;

/// <summary>Registration of remote CSEs (TS-0001 10.2.2.3, TS-0004 7.4.4.2.1) under the CSEBase.</summary>
internal sealed partial class CseBaseGrain
{
    /// <summary>
    /// Completes a <c>&lt;remoteCSE&gt;</c> registration from <paramref name="originator"/>: its <c>csi</c> is the
    /// originator's CSE-ID (TS-0004 7.4.4.2.1: the registrar takes it from From, whatever the content says) and its
    /// name that CSE-ID without the slash, as ACME does, so that one CSE registers once (a second registration of it
    /// is 4117) and <c>/&lt;csi&gt;/…</c> finds it. CAdmin may register a CSE on its behalf (the content's <c>csi</c>
    /// then stands). An AE-ID is no CSE-ID (4005, as ACME), nor is this CSE's own.
    /// </summary>
    private OneM2MError? RegisterRemoteCse(string originator, Dictionary<string, object?> accepted)
    {
        string csi;
        if (IsAdmin(originator))
        {
            csi = (string)accepted[RemoteCsePolicy.CseId]!;
        }
        else if (originator.Length == 0 || originator[0] is 'C' or 'S')
        {
            return new OneM2MError(ResponseStatusCode.OperationNotAllowed, $"originator '{originator}' is not a CSE-ID: only a CSE registers a <remoteCSE>");
        }
        else
        {
            csi = RemoteCsePolicy.SpRelative(originator);
        }

        if (!RemoteCsePolicy.IsCseId(csi))
        {
            return OneM2MError.BadRequest($"'{csi}' is not an SP-relative CSE-ID (/<id>)");
        }

        if (csi == Options.CseId)
        {
            return new OneM2MError(ResponseStatusCode.OperationNotAllowed, $"{csi} is this CSE: it cannot register to itself");
        }

        accepted[RemoteCsePolicy.CseId] = csi;
        accepted[AttributeNames.ResourceName] = csi[1..];
        return null;
    }

    /// <summary>True when <paramref name="originator"/> is the CSE-ID of a CSE registered here (a live <c>&lt;remoteCSE&gt;</c>).</summary>
    private async ValueTask<bool> IsRegisteredCse(string originator)
    {
        if (originator.Length < 2 || originator[0] != '/')
        {
            return false;
        }

        return await FindChild(originator[1..], Now()) is { Type: ResourceType.RemoteCSE } child
            && await GrainFactory.GetGrain<IRemoteCseGrain>(child.ResourceId).IsLiveResource();
    }
}
