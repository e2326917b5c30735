using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Ae;

/// <summary>Attribute rules of the AE (TS-0001 9.6.5, docs/protocol.md §2.3).</summary>
internal static class AePolicy
{
    public static readonly ResourcePolicy Rules = new(
        ResourceType.AE,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            ResourcePolicy.Location,
            new("api", "App-ID", ValueKind.String, Presence.Mandatory, Presence.NotPresent),
            new("aei", "AE-ID", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new("rr", "requestReachability", ValueKind.Boolean, Presence.Mandatory, Presence.Optional),
            new("srv", "supportedReleaseVersions", ValueKind.NonEmptyStringList, Presence.Mandatory, Presence.Optional),
            new("poa", "pointOfAccess", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new("apn", "appName", ValueKind.String, Presence.Optional, Presence.Optional),
            new("nl", "nodeLink", ValueKind.String, Presence.Optional, Presence.Optional),
            new("or", "ontologyRef", ValueKind.String, Presence.Optional, Presence.Optional),
            new("csz", "contentSerialization", ValueKind.StringList, Presence.Optional, Presence.Optional)),
        check: Check);

    /// <summary>
    /// The AE-ID for a registration from <paramref name="originator"/> (TS-0001 10.2.2.2, docs/protocol.md §7), or the
    /// error that refuses it. An anonymous originator (C, S, empty) is assigned one derived from <paramref name="seed"/>
    /// (the request), so that a repeat of the request is given the same one.
    /// </summary>
    public static OneM2MError? AeIdFor(string originator, ulong seed, CseOptions options, out string aeId, out bool assigned)
    {
        assigned = ResourceIds.IsAnonymousOriginator(originator);
        aeId = originator switch
        {
            "" or "C" => "C" + ResourceIds.SeededString(ResourceIds.RandomLength, seed),
            "S" => "S" + ResourceIds.SeededString(ResourceIds.RandomLength, seed),
            _ => originator,
        };
        if (assigned)
        {
            return null;
        }

        // A CSE-ID, SP-relative (/id-in) or written without its slash (id-in, as ACME and the old test suites send
        // it): a CSE registers as a remoteCSE, never as an AE (TS-0004 7.4.5.2.1: SECURITY_ASSOCIATION_REQUIRED).
        if (originator.StartsWith('/') || originator.AsSpan().SequenceEqual(options.CseId.AsSpan().TrimStart('/')))
        {
            return new OneM2MError(ResponseStatusCode.SecurityAssociationRequired, "a CSE-ID cannot register as an AE");
        }

        if (originator[0] is not ('C' or 'S') || !ResourceIds.IsValidName(originator))
        {
            return OneM2MError.BadRequest($"originator '{originator}' is not an AE-ID stem (C… or S…)");
        }

        return null;
    }

    private static readonly HashSet<string> s_serializations = new(StringComparer.Ordinal)
    {
        "json", "xml", "cbor", "application/json", "application/xml", "application/cbor",
        "application/vnd.onem2m-res+json", "application/vnd.onem2m-res+xml", "application/vnd.onem2m-res+cbor",
    };

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.TryGetValue("api", out var api) && api is string appId)
        {
            // App-IDs start with R (registered) or N (non-registered); lower-case r was allowed up to Release 3.
            var lowerAllowed = context.ReleaseVersion is null or "2a" or "3";
            if (appId.Length < 2 || !(appId[0] is 'R' or 'N' || (lowerAllowed && appId[0] == 'r')))
            {
                return OneM2MError.BadRequest("api must start with 'R' or 'N'");
            }
        }

        if (attributes.TryGetValue("csz", out var csz) && csz is List<object?> list)
        {
            foreach (var item in list)
            {
                if (item is not string s || !s_serializations.Contains(s))
                {
                    return OneM2MError.BadRequest($"csz value '{item}' is not a supported serialization");
                }
            }
        }

        return null;
    }
}
