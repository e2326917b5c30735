using Microsoft.Extensions.DependencyInjection;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// The <see cref="RequestOrigin"/> each binding of this process marks its requests with: the silo's address when the
/// bindings run inside a silo (the embedded default), none in a standalone gateway (an Orleans client). One instance
/// per binding, made once.
/// </summary>
/// <remarks>
/// Marking a request puts an entry in Orleans' <see cref="RequestContext"/>, which Orleans copies into every grain
/// call the request makes: about 1.1 KB allocated per request. The mark matters only where a request can reach
/// another silo, so a binding inside a silo marks only while the cluster has more than one active silo; in a
/// one-silo cluster the request carries its binding's name (<see cref="ResourceRequest.Binding"/>) instead, and the
/// resource grain counts it as served locally.
/// </remarks>
public sealed class RequestOrigins(IServiceProvider services)
{
    /// <summary>Name of the HTTP binding in origins and metrics.</summary>
    public const string HttpBinding = "http";

    /// <summary>Name of the CoAP binding in origins and metrics.</summary>
    public const string CoapBinding = "coap";

    private BindingOrigin? _http;
    private BindingOrigin? _mqtt;
    private BindingOrigin? _webSocket;
    private BindingOrigin? _coap;
    private Membership? _membership;

    /// <summary>Requests received by the HTTP binding.</summary>
    public BindingOrigin Http => _http ??= new BindingOrigin(this, new RequestOrigin(HttpBinding, Silo));

    /// <summary>Requests received by the MQTT binding.</summary>
    public BindingOrigin Mqtt => _mqtt ??= new BindingOrigin(this, new RequestOrigin("mqtt", Silo));

    /// <summary>Requests received by the WebSocket binding.</summary>
    public BindingOrigin WebSocket => _webSocket ??= new BindingOrigin(this, new RequestOrigin("ws", Silo));

    /// <summary>Requests received by the CoAP binding.</summary>
    public BindingOrigin Coap => _coap ??= new BindingOrigin(this, new RequestOrigin(CoapBinding, Silo));

    // Read when the first request arrives: by then the silo knows its address.
    private SiloAddress? Silo => services.GetService<ILocalSiloDetails>()?.SiloAddress;

    /// <summary>True while the cluster this silo belongs to has another active silo (read again on each membership change).</summary>
    internal bool ClusterHasOtherSilos()
    {
        var service = services.GetService<IClusterMembershipService>();
        if (service is null)
        {
            return true;
        }

        var snapshot = service.CurrentSnapshot;
        var known = _membership;
        if (known is null || known.Version != snapshot.Version)
        {
            var active = 0;
            foreach (var member in snapshot.Members)
            {
                if (member.Value.Status == SiloStatus.Active)
                {
                    active++;
                }
            }

            known = new Membership(snapshot.Version, active > 1);
            _membership = known;
        }

        return known.OtherSilos;
    }

    private sealed record Membership(MembershipVersion Version, bool OtherSilos);
}

/// <summary>One binding's <see cref="RequestOrigin"/> and how its requests are marked with it (<see cref="RequestOrigins"/>).</summary>
public sealed class BindingOrigin
{
    private readonly RequestOrigins _owner;

    internal BindingOrigin(RequestOrigins owner, RequestOrigin origin)
    {
        _owner = owner;
        Origin = origin;
    }

    /// <summary>The origin: binding name and, inside a silo, the silo.</summary>
    public RequestOrigin Origin { get; }

    /// <summary>
    /// Marks the calls that follow on this asynchronous flow with <see cref="Origin"/> when it can matter (a standalone
    /// gateway, or a cluster of more than one silo); false when it left them unmarked, so the request itself must
    /// name its binding (<see cref="ResourceRequest.Binding"/>).
    /// </summary>
    public bool Mark()
    {
        if (Origin.Silo is not null && !_owner.ClusterHasOtherSilos())
        {
            return false;
        }

        Origin.MarkCurrent();
        return true;
    }
}
