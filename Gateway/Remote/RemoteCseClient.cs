using System.Text;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Http;

namespace VirtualIoT.Gateway.Remote;

/// <summary>Another CSE's answer to a request this CSE sent it.</summary>
/// <param name="Status">Its response status code (<c>rsc</c>, <c>X-M2M-RSC</c>).</param>
/// <param name="Content">Its content (<c>pc</c>) as a value tree, when it had one this CSE can read.</param>
/// <param name="Location">The created resource's address (HTTP <c>Content-Location</c>), if any.</param>
public sealed record RemoteAnswer(ResponseStatusCode Status, Dictionary<string, object?>? Content, string? Location);

/// <summary>
/// The one way this CSE talks to another CSE (retargeting, its registration at a registrar): a request sent to a
/// point of access (<c>poa</c>) of that CSE over the binding its scheme names, and the answer read back. HTTP and
/// HTTPS (TS-0009: the target travels SP-relative as <c>/~/&lt;csi&gt;/…</c>, the parameters as query fields) here;
/// MQTT and MQTTS (TS-0010, the other CSE's broker) in <see cref="MqttCseLinks"/>.
/// </summary>
public sealed class RemoteCseClient
{
    /// <summary>Name of the HTTP client used for requests to other CSEs.</summary>
    public const string HttpClientName = "VirtualIoT.Retargeting";

    private readonly IHttpClientFactory _clients;
    private readonly MqttCseLinks _mqtt;

    /// <summary>Creates the client.</summary>
    public RemoteCseClient(IHttpClientFactory clients, MqttCseLinks mqtt)
    {
        _clients = clients;
        _mqtt = mqtt;
    }

    /// <summary>True when this CSE can send requests to <paramref name="poa"/> (http, https, mqtt, mqtts).</summary>
    public static bool Supports(Uri poa)
    {
        ArgumentNullException.ThrowIfNull(poa);
        return poa.Scheme is "http" or "https" || MqttCseLinks.Supports(poa);
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
        return MqttCseLinks.Supports(poa)
            ? _mqtt.SendAsync(poa, receiver, target, request, timeout, cancellationToken)
            : SendHttpAsync(poa, target, request, timeout, cancellationToken);
    }

    /// <summary>The content of <paramref name="request"/> as a representation (<c>{"m2m:cnt":{…}}</c>), or null when it has none.</summary>
    internal static Dictionary<string, object?>? Representation(ResourceRequest request) =>
        request.Content is not null || request.Operation is Operation.Create or Operation.Update or Operation.Notify
            ? new Dictionary<string, object?>(1, StringComparer.Ordinal) { [request.ContentRoot ?? "m2m:sgn"] = request.Content }
            : null;

    private async Task<RemoteAnswer?> SendHttpAsync(Uri poa, string target, ResourceRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var message = OneM2MHttpRequest.Create(MethodOf(request.Operation), HttpUri(poa, target, request), request.Originator,
            request.RequestIdentifier, request.ReleaseVersion ?? "3", Representation(request), request.Operation == Operation.Create ? request.ResourceType : null);
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

    // TS-0009 6.2.2: an SP-relative target travels as /~/<csi>/…; every parameter as a query field, list members
    // joined by '+'.
    private static Uri HttpUri(Uri poa, string target, ResourceRequest request)
    {
        var uri = new StringBuilder(poa.GetLeftPart(UriPartial.Path).TrimEnd('/')).Append("/~").Append(target);
        var separator = '?';
        foreach (var (name, value, _) in ForwardedParameters.Of(request))
        {
            uri.Append(separator).Append(Uri.EscapeDataString(name)).Append('=');
            separator = '&';
            if (value is List<object?> items)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    uri.Append(i == 0 ? "" : "+").Append(Uri.EscapeDataString(ForwardedParameters.Text(items[i]!)));
                }
            }
            else
            {
                uri.Append(Uri.EscapeDataString(ForwardedParameters.Text(value)));
            }
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
