using System.Net;

namespace VirtualIoT.Grains.Domain.Access;

/// <summary>
/// A compiled <c>setOfAcrs</c> (<c>pv</c> or <c>pvs</c>, TS-0001 9.6.2): permit-overrides, so the set grants an
/// operation when any one rule does. Built once per policy version (by the validator to check a request, by a
/// silo's <see cref="AccessPolicyCache"/> to evaluate), so a request only walks a few arrays.
/// </summary>
internal sealed class AccessRules
{
    /// <summary>The members an <c>accessControlRule</c> may have.</summary>
    private static readonly HashSet<string> s_ruleMembers = new(StringComparer.Ordinal) { "acor", "acop", "acco", "acaf", "acod", "aca" };

    private readonly AccessRule[] _rules;

    private AccessRules(AccessRule[] rules) => _rules = rules;

    /// <summary>Rules that grant nothing (a policy that no longer exists).</summary>
    public static AccessRules None { get; } = new([]);

    /// <summary>The IDs the rules' <c>acor</c> name exactly (normalised), group IDs among them.</summary>
    public IEnumerable<string> NamedOriginators() => _rules.SelectMany(rule => rule.Originators);

    /// <summary>
    /// Lets <paramref name="members"/> in wherever a rule's <c>acor</c> names group <paramref name="groupId"/> (TS-0001
    /// 9.6.2.1: an <c>acor</c> entry may be a group, granting its members). Only on freshly compiled rules, before
    /// they are shared (<see cref="AccessPolicyCache"/>).
    /// </summary>
    public void GrantGroupMembers(string groupId, IReadOnlyList<string> members)
    {
        foreach (var rule in _rules)
        {
            rule.GrantGroupMembers(groupId, members);
        }
    }

    /// <summary>Whether any rule grants <paramref name="request"/> on the whole resource.</summary>
    public bool Allows(in AccessRequest request)
    {
        foreach (var rule in _rules)
        {
            if (rule.Matches(request) && rule.Attributes is null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Adds to <paramref name="grant"/> what these rules grant <paramref name="request"/>: the whole resource
    /// (a matching rule without <c>aca</c>), or the attributes of the matching rules with <c>aca</c>.
    /// </summary>
    public void Evaluate(in AccessRequest request, AccessGrant grant)
    {
        foreach (var rule in _rules)
        {
            if (!rule.Matches(request))
            {
                continue;
            }

            if (rule.Attributes is null)
            {
                grant.Full = true;
                return;
            }

            grant.AddAttributes(rule.Attributes);
        }
    }

    /// <summary>
    /// Parses and checks <c>pv</c> or <c>pvs</c> (<c>{"acr":[rule…]}</c>); null with <paramref name="error"/> (4000, or
    /// 5001 for a feature this CSE does not evaluate) when it is not valid. <paramref name="cse"/> turns SP-relative and
    /// absolute AE-IDs in <c>acor</c> into the stems originators arrive as.
    /// </summary>
    public static AccessRules? Parse(object? value, string name, bool atLeastOneRule, OriginatorForms cse, out OneM2MError? error)
    {
        error = null;
        if (value is Dictionary<string, object?> { Count: 0 } && !atLeastOneRule)
        {
            // "pv": {} is a set of no rules (ACME accepts it as it accepts {"acr":[]}).
            return new AccessRules([]);
        }

        if (value is not Dictionary<string, object?> set || set.Count != 1 || !set.TryGetValue("acr", out var acr) || acr is not List<object?> list)
        {
            error = OneM2MError.BadRequest($"{name} must be {{\"acr\":[rule…]}}");
            return null;
        }

        if (atLeastOneRule && list.Count == 0)
        {
            error = OneM2MError.BadRequest($"{name} must hold at least one access control rule");
            return null;
        }

        var rules = new AccessRule[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            if (ParseRule(list[i], $"{name}/acr[{i}]", cse, out error) is not { } rule)
            {
                return null;
            }

            rules[i] = rule;
        }

        return new AccessRules(rules);
    }

    private static AccessRule? ParseRule(object? value, string name, OriginatorForms cse, out OneM2MError? error)
    {
        error = null;
        if (value is not Dictionary<string, object?> rule)
        {
            error = OneM2MError.BadRequest($"{name} must be an object");
            return null;
        }

        foreach (var member in rule.Keys)
        {
            if (!s_ruleMembers.Contains(member))
            {
                error = OneM2MError.BadRequest($"{name}: '{member}' is not an access control rule member");
                return null;
            }
        }

        if (!rule.TryGetValue("acor", out var acor) || acor is not List<object?> originators)
        {
            error = OneM2MError.BadRequest($"{name}/acor must be a list of originators");
            return null;
        }

        var exact = new HashSet<string>(StringComparer.Ordinal);
        var patterns = new List<string>();
        var everyone = false;
        foreach (var item in originators)
        {
            if (item is not string originator || originator.Length == 0)
            {
                error = OneM2MError.BadRequest($"{name}/acor must hold non-empty strings");
                return null;
            }

            if (originator == "all")
            {
                everyone = true;
            }
            else if (originator.Contains('*', StringComparison.Ordinal))
            {
                patterns.Add(cse.Normalize(originator));
            }
            else
            {
                exact.Add(cse.Normalize(originator));
            }
        }

        if (!rule.TryGetValue("acop", out var acop) || acop is not long operations || operations is < 0 or > (long)AccessOperation.All)
        {
            error = OneM2MError.BadRequest($"{name}/acop must be an integer from 0 to 63 (1 C, 2 R, 4 U, 8 D, 16 N, 32 Disc)");
            return null;
        }

        if (rule.TryGetValue("acaf", out var acaf) && acaf is not (null or bool))
        {
            error = OneM2MError.BadRequest($"{name}/acaf must be a boolean");
            return null;
        }

        if (acaf is true)
        {
            // Rules that need an authenticated originator: this CSE does not mark requests as authenticated yet.
            error = new OneM2MError(ResponseStatusCode.NotImplemented, $"{name}/acaf true is not supported yet");
            return null;
        }

        ObjectDetails[]? details = null;
        if (rule.TryGetValue("acod", out var acod) && acod is not null && ObjectDetails.ParseList(acod, $"{name}/acod", out details, out error) is false)
        {
            return null;
        }

        string[]? attributes = null;
        if (rule.TryGetValue("aca", out var aca) && aca is not null)
        {
            if (aca is not List<object?> { Count: > 0 } names || names.Exists(n => n is not string { Length: > 0 }))
            {
                error = OneM2MError.BadRequest($"{name}/aca must be a non-empty list of attribute names");
                return null;
            }

            attributes = [.. names.Cast<string>()];
        }

        AccessContext[]? contexts = null;
        if (rule.TryGetValue("acco", out var acco) && acco is not null)
        {
            if (acco is not List<object?> list)
            {
                error = OneM2MError.BadRequest($"{name}/acco must be a list");
                return null;
            }

            contexts = new AccessContext[list.Count];
            for (var i = 0; i < list.Count; i++)
            {
                if (AccessContext.Parse(list[i], $"{name}/acco[{i}]", out error) is not { } context)
                {
                    return null;
                }

                contexts[i] = context;
            }
        }

        return new AccessRule(everyone, exact, [.. patterns], (AccessOperation)operations, contexts is { Length: > 0 } ? contexts : null)
        {
            Details = details is { Length: > 0 } ? details : null,
            Attributes = attributes,
        };
    }
}

/// <summary>How this CSE's originators may be written in <c>acor</c>: an AE-ID SP-relative or absolute is its stem.</summary>
/// <param name="CseId">SP-relative CSE-ID (<c>/id-in</c>).</param>
/// <param name="SpId">SP-ID (<c>//acme.example.com</c>).</param>
internal sealed record OriginatorForms(string CseId, string SpId)
{
    /// <summary>The form an originator arrives in (the gateway strips the same prefixes from From).</summary>
    public string Normalize(string originator)
    {
        var absolute = string.Concat(SpId, CseId, "/");
        if (originator.StartsWith(absolute, StringComparison.Ordinal) && originator.Length > absolute.Length)
        {
            return originator[absolute.Length..];
        }

        var relative = CseId + "/";
        return originator.StartsWith(relative, StringComparison.Ordinal) && originator.Length > relative.Length
            ? originator[relative.Length..]
            : originator;
    }
}

/// <summary>
/// One <c>accessControlRule</c>: originators, operations, the contexts in which they apply, the objects they apply
/// to (<c>acod</c>) and, when <c>aca</c> is given, the only attributes they apply to.
/// </summary>
internal sealed class AccessRule(bool everyone, HashSet<string> originators, string[] patterns, AccessOperation operations, AccessContext[]? contexts)
{
    /// <summary>The originators <c>acor</c> names exactly.</summary>
    public IReadOnlySet<string> Originators => originators;

    /// <summary>Adds the members of a group this rule's <c>acor</c> names.</summary>
    public void GrantGroupMembers(string groupId, IReadOnlyList<string> members)
    {
        if (originators.Contains(groupId))
        {
            originators.UnionWith(members);
        }
    }

    /// <summary><c>acod</c>: the rule applies only to a request one of these matches; null for any.</summary>
    public ObjectDetails[]? Details { get; init; }

    /// <summary><c>aca</c> (R4): the rule's operations apply only to these attributes; null for the whole resource.</summary>
    public string[]? Attributes { get; init; }

    /// <summary>Whether the rule applies to <paramref name="request"/> (originator, operation, context, object details).</summary>
    public bool Matches(in AccessRequest request)
    {
        if ((operations & request.Operation) != request.Operation || request.Operation == AccessOperation.None)
        {
            return false;
        }

        if (!everyone && !originators.Contains(request.Originator) && !MatchesPattern(request.Originator))
        {
            return false;
        }

        if (Details is not null && !AnyDetailMatches(request))
        {
            return false;
        }

        if (contexts is null)
        {
            return true;
        }

        foreach (var context in contexts)
        {
            if (context.Matches(request))
            {
                return true;
            }
        }

        return false;
    }

    private bool AnyDetailMatches(in AccessRequest request)
    {
        foreach (var detail in Details!)
        {
            if (detail.Matches(request))
            {
                return true;
            }
        }

        return false;
    }

    private bool MatchesPattern(string originator)
    {
        foreach (var pattern in patterns)
        {
            if (FilterEvaluator.Wildcard(originator, pattern))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// One <c>acco</c> entry: time windows (<c>actw</c>, any of them) and IP ranges (<c>acip</c>, any of them); every
/// condition present must hold. Location regions (<c>aclr</c>) are not evaluated (5001).
/// </summary>
internal sealed class AccessContext
{
    private readonly TimeWindow[]? _windows;
    private readonly IPNetwork[]? _networks;

    private AccessContext(TimeWindow[]? windows, IPNetwork[]? networks)
    {
        _windows = windows;
        _networks = networks;
    }

    public bool Matches(in AccessRequest request)
    {
        if (_windows is not null && !InAnyWindow(request.Now))
        {
            return false;
        }

        return _networks is null || (request.Address is { } address && InAnyNetwork(address));
    }

    private bool InAnyWindow(DateTime now)
    {
        foreach (var window in _windows!)
        {
            if (window.Contains(now))
            {
                return true;
            }
        }

        return false;
    }

    private bool InAnyNetwork(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in _networks!)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    public static AccessContext? Parse(object? value, string name, out OneM2MError? error)
    {
        error = null;
        if (value is not Dictionary<string, object?> context)
        {
            error = OneM2MError.BadRequest($"{name} must be an object");
            return null;
        }

        TimeWindow[]? windows = null;
        IPNetwork[]? networks = null;
        foreach (var (member, item) in context)
        {
            switch (member)
            {
                case "actw":
                    windows = TimeWindow.ParseList(item, $"{name}/actw", out var windowError);
                    if (windows is null)
                    {
                        error = OneM2MError.BadRequest(windowError);
                        return null;
                    }

                    break;
                case "acip":
                    if (ParseNetworks(item, name, out error) is not { } parsed)
                    {
                        return null;
                    }

                    networks = parsed;
                    break;
                case "aclr":
                    error = new OneM2MError(ResponseStatusCode.NotImplemented, $"{name}/aclr (location regions) is not supported");
                    return null;
                default:
                    error = OneM2MError.BadRequest($"{name}: '{member}' is not an access control context member");
                    return null;
            }
        }

        return new AccessContext(windows, networks);
    }

    private static IPNetwork[]? ParseNetworks(object? value, string name, out OneM2MError? error)
    {
        error = null;
        if (value is not Dictionary<string, object?> acip)
        {
            error = OneM2MError.BadRequest($"{name}/acip must be {{\"ipv4\":[…],\"ipv6\":[…]}}");
            return null;
        }

        var networks = new List<IPNetwork>();
        foreach (var (family, list) in acip)
        {
            if (family is not ("ipv4" or "ipv6") || list is not List<object?> items)
            {
                error = OneM2MError.BadRequest($"{name}/acip must have lists 'ipv4' and/or 'ipv6'");
                return null;
            }

            foreach (var item in items)
            {
                var expected = family == "ipv4" ? System.Net.Sockets.AddressFamily.InterNetwork : System.Net.Sockets.AddressFamily.InterNetworkV6;
                if (item is not string text || !TryParseNetwork(text, out var network) || network.BaseAddress.AddressFamily != expected)
                {
                    error = OneM2MError.BadRequest($"{name}/acip/{family}: '{item}' is not an {family} address or range (a.b.c.d/n)");
                    return null;
                }

                networks.Add(network);
            }
        }

        return [.. networks];
    }

    private static bool TryParseNetwork(string text, out IPNetwork network)
    {
        if (text.Contains('/', StringComparison.Ordinal))
        {
            return IPNetwork.TryParse(text, out network);
        }

        network = default;
        if (!IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }
}
