using System.Text;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Http;
using VirtualIoT.Gateway.Security;

namespace VirtualIoT.Gateway.Remote;

/// <summary>Another CSE's answer to a request this CSE sent it.</summary>
/// <param name="Status">Its response status code (<c>rsc</c>, <c>X-M2M-RSC</c>).</param>
/// <param name="Content">Its content (<c>pc</c>) as a value tree, when it had one this CSE can read.</param>
/// <param name="Location">The created resource's address (HTTP <c>Content-Location</c>), if any.</param>
public sealed record RemoteAnswer(ResponseStatusCode Status, Dictionary<string, object?>? Content, string? Location);

/// <summary>
/// The one way this CSE talks to another CSE (retargeting, its registration at a registrar): a request sent to a
/// point of access (<c>poa</c>) of that CSE over the binding its scheme names, and the answer read back. HTTP and
/// HTTPS (TS-0009: the target travels SP-relative as <c>/~/&lt;csi&gt;/…</c>, the parameters as query fields, and with a
/// secret for the link this CSE's CSE-ID and that secret as Basic credentials, <see cref="CseLinkCredentials"/>) here;
/// MQTT and MQTTS (TS-0010, the other CSE's broker) in <see cref="MqttCseLinks"/>, CoAP (TS-0008) in
/// <see cref="CoapCseClient"/>, WebSocket (TS-0020) in <see cref="WebSocketCseLinks"/>.
/// </summary>
public sealed class RemoteCseClient
{
    /// <summary>Name of the HTTP client used for requests to other CSEs.</summary>
    public const string HttpClientName = "VirtualIoT.Retargeting";

    private readonly IHttpClientFactory _clients;
    private readonly MqttCseLinks _mqtt;
    private readonly CoapCseClient _coap;
    private readonly WebSocketCseLinks _webSockets;
    private readonly CseLinkCredentials _credentials;

    /// <summary>Creates the client.</summary>
    public RemoteCseClient(IHttpClientFactory clients, MqttCseLinks mqtt, CoapCseClient coap, WebSocketCseLinks webSockets, CseLinkCredentials credentials)
    {
        _clients = clients;
        _credentials = credentials;
        _mqtt = mqtt;
        _coap = coap;
        _webSockets = webSockets;
    }

    /// <summary>True when this CSE can send requests to <paramref name="poa"/> (http, https, mqtt, mqtts, coap, ws, wss).</summary>
    public static bool Supports(Uri poa)
    {
        ArgumentNullException.ThrowIfNull(poa);
        return poa.Scheme is "http" or "https" || MqttCseLinks.Supports(poa) || CoapCseClient.Supports(poa) || WebSocketCseLinks.Supports(poa);
    }

    /// <summary>
    /// Sends <paramref name="request"/> (its originator as the other CSE must see it) for <paramref name="target"/>
    /// (SP-relative: <c>/id-mn/cse-mn/app</c>) to the CSE <paramref name="receiver"/> at <paramref name="poa"/>, waiting
    /// at most <paramref name="timeout"/>; null when it could not be reached there or did not answer in time.
    /// </summary>
    public Task<RemoteAnswer?> SendAsync(Uri poa, string receiver, string target, ResourceRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poa);
        ArgumentNullException.ThrowIfNull(request);
        return poa.Scheme switch
        {
            _ when MqttCseLinks.Supports(poa) => _mqtt.SendAsync(poa, receiver, target, request, timeout, cancellationToken),
            _ when CoapCseClient.Supports(poa) => _coap.SendAsync(poa, target, request, timeout, cancellationToken),
            _ when WebSocketCseLinks.Supports(poa) => _webSockets.SendAsync(poa, receiver, target, request, timeout, cancellationToken),
            _ => SendHttpAsync(poa, receiver, target, request, timeout, cancellationToken),
        };
    }

    private async Task<RemoteAnswer?> SendHttpAsync(Uri poa, string receiver, string target, ResourceRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var message = OneM2MHttpRequest.Create(MethodOf(request.Operation), HttpUri(poa, target, request), request.Originator,
            request.RequestIdentifier, request.ReleaseVersion ?? "3", ForwardedRequest.Representation(request), request.Operation == Operation.Create ? request.ResourceType : null);
        if (_credentials.BasicAuthorizationFor(receiver) is { } authorization)
        {
            message.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (request.RequestExpiration is { } expiration)
        {
            message.Headers.TryAddWithoutValidation(OneM2MHeaders.RequestExpiration, OneM2MTime.Format(expiration.UtcDateTime));
        }

        if (request.GroupRequestIdentifier is { } groupRequest)
        {
            message.Headers.TryAddWithoutValidation(OneM2MHeaders.GroupRequestIdentifier, groupRequest);
        }

        var answer = await OneM2MHttpRequest.ExchangeAsync(_clients.CreateClient(HttpClientName), message, timeout, cancellationToken);
        return answer is null ? null : new RemoteAnswer(answer.Status, answer.Content, answer.Location);
    }

    // TS-0009 6.2.2: an SP-relative target travels as /~/<csi>/…; every parameter as a query field.
    private static Uri HttpUri(Uri poa, string target, ResourceRequest request)
    {
        var uri = new StringBuilder(poa.GetLeftPart(UriPartial.Path).TrimEnd('/')).Append("/~").Append(target);
        var separator = '?';
        foreach (var (name, values) in ForwardedRequest.QueryFields(request))
        {
            // '+' separates a list's members (TS-0009 6.2.2.2): escaped within one, not between them.
            uri.Append(separator).Append(Uri.EscapeDataString(name)).Append('=').AppendJoin('+', values.Select(Uri.EscapeDataString));
            separator = '&';
        }

        return new Uri(uri.ToString());
    }

    private static HttpMethod MethodOf(Operation operation) => operation switch
    {
        Operation.Retrieve => HttpMethod.Get,
        Operation.Update => HttpMethod.Put,
        Operation.Delete => HttpMethod.Delete,
        _ => HttpMethod.Post,
    };
}
