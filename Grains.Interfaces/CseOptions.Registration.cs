using System.ComponentModel.DataAnnotations;

namespace VirtualIoT;

/// <summary>The CSE's tier and, for an MN-CSE, its registrar (TS-0001 6.2: an MN-CSE registers to one IN- or MN-CSE).</summary>
public sealed partial class CseOptions
{
    /// <summary>
    /// The CSE's type (<c>cst</c>): <c>IN</c> (default), <c>MN</c> or <c>ASN</c>. An MN- or ASN-CSE with a
    /// <see cref="RegistrarAddress"/> registers to that registrar at start and keeps the registration.
    /// </summary>
    public CseTier Type { get; set; } = CseTier.IN;

    /// <summary>
    /// Where this CSE takes requests (<c>poa</c> of its CSEBase, and of its <c>&lt;remoteCSE&gt;</c> at the
    /// registrar), e.g. <c>http://10.0.0.7:8080</c> or <c>mqtt://10.0.0.7:1883</c> (this CSE's broker). Default none: a registrar cannot forward requests to a CSE
    /// without one.
    /// </summary>
    public List<string> PointsOfAccess { get; set; } = [];

    /// <summary>
    /// <see cref="PointsOfAccess"/> without repeats: a host that binds the section for both its silo and its gateway
    /// has each configured entry appended twice (the configuration binder adds to a list).
    /// </summary>
    public List<object?> DistinctPointsOfAccess() => [.. PointsOfAccess.Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// The registrar's address: HTTP (<c>http://in.example.com:8080</c>) or its MQTT broker (<c>mqtt://in.example.com:1883</c>);
    /// for an MN- or ASN-CSE. Default none.
    /// </summary>
    public string? RegistrarAddress { get; set; }

    /// <summary>The registrar's SP-relative CSE-ID (<c>/id-in</c>); required with <see cref="RegistrarAddress"/>.</summary>
    [RegularExpression("^/[A-Za-z0-9._~-]+$")]
    public string? RegistrarCseId { get; set; }

    /// <summary>The resource name of the registrar's CSEBase (<c>cse-in</c>). Default <c>cse-in</c>.</summary>
    public string RegistrarCseBaseName { get; set; } = "cse-in";

    /// <summary>
    /// How often an MN-CSE checks that its registration at the registrar stands, and registers again when it does not
    /// (the registrar restarted without it, or lost it). Default 30 s.
    /// </summary>
    public TimeSpan RegistrationCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest wait for another CSE's answer to a forwarded request (retargeting), unless the request expires sooner.
    /// Default 10 s, as ACME waits for a remote CSE.
    /// </summary>
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>The tier of a CSE, as configured (<see cref="CseOptions.Type"/>).</summary>
public enum CseTier
{
    /// <summary>Infrastructure node CSE (cst 1).</summary>
    IN = 1,

    /// <summary>Middle node CSE (cst 2).</summary>
    MN = 2,

    /// <summary>Application service node CSE (cst 3).</summary>
    ASN = 3,
}
