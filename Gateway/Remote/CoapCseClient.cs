using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Coap;
using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Gateway.Coap.CoapOptionNumbers;

namespace VirtualIoT.Gateway.Remote;

/// <summary>
/// Requests to other CSEs at a <c>coap://</c> point of access (TS-0008 on Mcc): a confirmable message with the method
/// of the operation (GET, POST for create and notify, PUT, DELETE), the target SP-relative as Uri-Path
/// <c>[poa path]/~/&lt;csi&gt;/…</c>, oneM2M-FR, -RQI, -RVI, -TY for a create, -RQET and -GID, the request parameters
/// as Uri-Query fields (as over HTTP) and the content in JSON. The answer's oneM2M-RSC and content are the other
/// CSE's response; a large one is read in Block2 blocks (<see cref="CoapClientExchange"/>).
/// </summary>
public sealed class CoapCseClient(IOptions<GatewayOptions> gatewayOptions)
{
    private readonly int _maxAnswerBytes = gatewayOptions.Value.MaxBodyBytes;

    /// <summary>True for a <c>poa</c> this class sends to (<c>coap://</c>; there is no DTLS here, so no <c>coaps://</c>).</summary>
    public static bool Supports(Uri poa)
    {
        ArgumentNullException.ThrowIfNull(poa);
        return poa.Scheme == "coap";
    }

    /// <summary>
    /// Sends <paramref name="request"/> for <paramref name="target"/> to the CSE at <paramref name="poa"/>, waiting at
    /// most <paramref name="timeout"/>; null when it could not be reached there or did not answer in time.
    /// </summary>
    public async Task<RemoteAnswer?> SendAsync(Uri poa, string target, ResourceRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reply = await CoapClientExchange.SendAsync(poa, Message(poa, target, request), timeout, _maxAnswerBytes, cancellationToken);
        return reply is null ? null : new RemoteAnswer(CoapClientExchange.Status(reply), CoapClientExchange.Content(reply, _maxAnswerBytes), null);
    }

    /// <summary>The CoAP request message of <paramref name="request"/> for <paramref name="target"/> (SP-relative) at <paramref name="poa"/>.</summary>
    internal static CoapMessage Message(Uri poa, string target, ResourceRequest request)
    {
        var options = new List<CoapOption>();
        foreach (var segment in poa.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            options.Add(CoapOption.String(UriPath, Uri.UnescapeDataString(segment)));
        }

        options.Add(CoapOption.String(UriPath, "~"));
        foreach (var segment in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            options.Add(CoapOption.String(UriPath, segment));
        }

        var format = SerializationFormats.CoapFormat(ContentSerialization.Json);
        var content = ForwardedRequest.Representation(request);
        if (content is not null)
        {
            options.Add(CoapOption.UInt(ContentFormat, format));
        }

        options.Add(CoapOption.UInt(Accept, format));
        foreach (var (name, values) in ForwardedRequest.QueryFields(request))
        {
            options.Add(CoapOption.String(UriQuery, string.Concat(name, "=", string.Join('+', values))));
        }

        options.Add(CoapOption.String(From, request.Originator));
        options.Add(CoapOption.String(RequestIdentifier, request.RequestIdentifier));
        options.Add(CoapOption.String(ReleaseVersion, request.ReleaseVersion ?? "3"));
        if (request.Operation == Operation.Create && request.ResourceType is { } type)
        {
            options.Add(CoapOption.UInt(TypeOfResource, (uint)type));
        }

        if (request.RequestExpiration is { } expiration)
        {
            options.Add(CoapOption.String(RequestExpiration, OneM2MTime.Format(expiration.UtcDateTime)));
        }

        if (request.GroupRequestIdentifier is { } groupRequest)
        {
            options.Add(CoapOption.String(GroupRequestIdentifier, groupRequest));
        }

        options.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        return new CoapMessage
        {
            Type = CoapType.Confirmable,
            Code = request.Operation switch
            {
                Operation.Retrieve => 1,
                Operation.Update => 3,
                Operation.Delete => 4,
                _ => 2,
            },
            MessageId = (ushort)Random.Shared.Next(ushort.MaxValue + 1),
            Token = BitConverter.GetBytes(Random.Shared.NextInt64()),
            Options = options,
            Payload = content is null ? default : Representation.ToArray(ContentSerialization.Json, content),
        };
    }
}
