using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Domain.Access;

namespace VirtualIoT.Grains.Resources.DynamicAuthorizationConsultation;

/// <summary>
/// A <c>&lt;dynamicAuthorizationConsultation&gt;</c> (ty 34), keyed by its <c>ri</c>. It holds where to consult
/// (<c>dap</c>) and the answers given: the privileges granted to an originator on a resource, until their lifetime
/// ends. Answers are kept in the activation only (a consultation after a deactivation asks the server again), at
/// most <see cref="MaxGrants"/> of them; any update of the resource forgets them all.
/// </summary>
internal sealed class DynamicAuthorizationConsultationGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<DynamicAuthorizationConsultationGrain> logger) : ResourceGrain(store, options, logger), IDynamicAuthorizationConsultationGrain
{
    /// <summary>Beyond this many kept answers they are all forgotten rather than growing without bound.</summary>
    private const int MaxGrants = 10_000;

    /// <summary>How long an answer is kept that names no lifetime (<c>pl</c>) when the resource has no <c>dal</c>.</summary>
    private static readonly TimeSpan s_defaultLifetime = TimeSpan.FromMinutes(1);

    private readonly Dictionary<(string Originator, string Target), Grant> _grants = [];

    protected override ResourcePolicy Policy => DynamicAuthorizationConsultationPolicy.Rules;

    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator)
    {
        // New servers, a new lifetime or disabling: what earlier servers granted no longer stands.
        _grants.Clear();
        return ValueTask.FromResult<ResourceResponse?>(null);
    }

    public ValueTask<DynamicAuthorizationPoint?> ConsultationPoint()
    {
        if (!IsEnabled())
        {
            return ValueTask.FromResult<DynamicAuthorizationPoint?>(null);
        }

        var points = new List<string>();
        if (State.Attributes.GetValueOrDefault(DynamicAuthorizationConsultationPolicy.PointsOfAccess) is List<object?> dap)
        {
            points.AddRange(dap.OfType<string>());
        }

        return ValueTask.FromResult<DynamicAuthorizationPoint?>(
            new(points, State.Attributes.GetValueOrDefault(DynamicAuthorizationConsultationPolicy.Lifetime) as string));
    }

    public ValueTask<Dictionary<string, object?>?> GrantedPrivileges(string originator, string targetId) =>
        ValueTask.FromResult(IsEnabled() && _grants.TryGetValue((originator, targetId), out var grant) && grant.Until > UtcNow
            ? grant.Privileges
            : null);

    public ValueTask<string?> RecordGrant(string originator, string targetId, Dictionary<string, object?> acpInfo)
    {
        if (!IsEnabled())
        {
            return ValueTask.FromResult<string?>("the dynamicAuthorizationConsultation is gone or disabled");
        }

        // gp is a setOfAcrs ({"acr":[…]}); ACME's servers send the list of rules alone.
        var privileges = acpInfo.GetValueOrDefault("gp") switch
        {
            List<object?> rules => new Dictionary<string, object?>(StringComparer.Ordinal) { ["acr"] = rules },
            Dictionary<string, object?> set => set,
            _ => null,
        };
        if (privileges is null)
        {
            return ValueTask.FromResult<string?>("the answer's dynamicACPInfo has no gp (grantedPrivileges)");
        }

        if (AccessRules.Parse(privileges, "gp", atLeastOneRule: true, AccessPolicies.Forms, out var error) is null)
        {
            return ValueTask.FromResult<string?>(error?.Message ?? "gp (grantedPrivileges) is not a set of access control rules");
        }

        if (Lifetime(acpInfo.GetValueOrDefault("pl")) is not { } until)
        {
            return ValueTask.FromResult<string?>($"pl (privilegesLifetime) '{acpInfo.GetValueOrDefault("pl")}' is not a timestamp or a number of milliseconds");
        }

        if (_grants.Count >= MaxGrants)
        {
            _grants.Clear();
        }

        _grants[(originator, targetId)] = new Grant(privileges, until);
        return ValueTask.FromResult<string?>(null);
    }

    private bool IsEnabled() => IsLive(Now()) && State.Attributes.GetValueOrDefault(DynamicAuthorizationConsultationPolicy.Enabled) is true;

    /// <summary>
    /// Until when an answer stands: its <c>pl</c> (absRelTimestamp: a timestamp, or milliseconds from now), else the
    /// resource's <c>dal</c>, else <see cref="s_defaultLifetime"/>; null when <c>pl</c> is neither.
    /// </summary>
    private DateTime? Lifetime(object? lifetime)
    {
        var now = UtcNow;
        switch (lifetime)
        {
            case null:
                return OneM2MTime.TryParse(State.Attributes.GetValueOrDefault(DynamicAuthorizationConsultationPolicy.Lifetime) as string, out var dal)
                    ? dal
                    : now + s_defaultLifetime;
            case long milliseconds when milliseconds >= 0:
                return now.AddMilliseconds(milliseconds);
            case string text when long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var relative):
                return now.AddMilliseconds(relative);
            case string text when OneM2MTime.TryParse(text, out var absolute):
                return absolute;
            default:
                return null;
        }
    }

    private sealed record Grant(Dictionary<string, object?> Privileges, DateTime Until);
}
