using VirtualIoT.Gateway.Addressing;

namespace VirtualIoT.Gateway.Remote;

/// <summary>
/// <see cref="IRemoteCseSender"/> over the retargeting path (<see cref="RemoteCseForwarder"/>): the request goes to a
/// point of access of the CSE's <c>&lt;remoteCSE&gt;</c> here, or through the registrar, as a forwarded request would.
/// </summary>
internal sealed class RemoteCseSender(RemoteCseForwarder forwarder) : IRemoteCseSender
{
    /// <inheritdoc/>
    public async Task<ResourceResponse> SendAsync(string cseId, string target, ResourceRequest request, CancellationToken cancellationToken) =>
        await forwarder.ForwardAsync(request, ParsedAddress.Remote(cseId, target), TimeProvider.System, cancellationToken);
}
