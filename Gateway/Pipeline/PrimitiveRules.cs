using VirtualIoT.Gateway.Addressing;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// Checks of request primitive parameters that do not depend on how a binding carries them: the HTTP binding
/// (headers, query, path) and the MQTT binding (JSON primitive fields) apply the same rules, so a request is
/// accepted or refused alike over both. The wire-level reading of each parameter stays in its binding.
/// </summary>
public static class PrimitiveRules
{
    /// <summary>
    /// From (<c>fr</c>, <c>X-M2M-Origin</c>), normalised: this CSE's SP-relative or absolute prefix is removed from an
    /// AE-ID (<c>/id-in/Cmyapp</c> and <c>//sp/id-in/Cmyapp</c> become <c>Cmyapp</c>); empty when absent.
    /// </summary>
    public static string NormalizeOriginator(string? value, CseIdentity cse)
    {
        ArgumentNullException.ThrowIfNull(cse);
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] != '/')
        {
            return value;
        }

        var prefix = value.StartsWith(cse.AbsolutePrefix, StringComparison.Ordinal) ? cse.AbsolutePrefix.Length
            : value.StartsWith(cse.SpRelativePrefix, StringComparison.Ordinal) ? cse.SpRelativePrefix.Length
            : 0;

        // Only a bare ID below our CSE-ID is an AE-ID; anything with more path stays as sent, for the grains to judge.
        if (prefix > 0 && prefix < value.Length && value.IndexOf('/', prefix) < 0)
        {
            return value.Substring(prefix);
        }

        return value;
    }

    /// <summary>
    /// Release version indicator (<c>rvi</c>): absent or empty is accepted (answered as release 3, see docs/protocol.md
    /// §0); <c>2a</c>, <c>3</c>, <c>4</c> are supported; anything else is 4001.
    /// </summary>
    public static ParseResult<string?> ParseReleaseVersion(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return ParseResult<string?>.Ok(null);
        }

        return value is "3" or "4" or "2a"
            ? ParseResult<string?>.Ok(value)
            : ParseResult<string?>.Fail(new OneM2MError(ResponseStatusCode.ReleaseVersionNotSupported,
                $"release version '{value}' is not supported (supported: 2a, 3, 4)"));
    }

    /// <summary>The content's root key must be the one of the resource type created (<c>ty=3</c> takes <c>m2m:cnt</c>); else 4000.</summary>
    public static OneM2MError? CheckContentRoot(ResourceType? resourceType, string contentRoot)
    {
        if (resourceType is { } type && ResourceTypeRegistry.RootKey(type) is { } expectedRoot && contentRoot != expectedRoot)
        {
            return OneM2MError.BadRequest($"content root \"{contentRoot}\" does not match ty={(int)type} (expected \"{expectedRoot}\")");
        }

        return null;
    }

    /// <summary>
    /// From is mandatory except when an AE registers (TS-0004 7.4.5.2.1: the CSE then assigns the AE-ID, for an
    /// empty From, <c>C</c> or <c>S</c>).
    /// </summary>
    public static bool OriginatorMayBeEmpty(Operation operation, ResourceType? resourceType) =>
        operation == Operation.Create && resourceType == ResourceType.AE;

    /// <summary>True when a From asks the CSE to assign the AE-ID (TS-0001 10.2.2.2): empty, <c>C</c> or <c>S</c>.</summary>
    public static bool AsksForAssignedAeId(string originator) => originator is "" or "C" or "S";

    /// <summary>
    /// A partial retrieve (<c>atrl</c>) is valid only on a retrieve that returns attributes (no
    /// <c>rcn</c>, or <c>rcn=1</c>), as ACME checks; elsewhere it is 4000, never ignored: a delete that ignored it
    /// would remove the whole resource when the client meant one attribute.
    /// </summary>
    public static OneM2MError? CheckAttributeList(Operation operation, ResultContent? resultContent, FilterCriteria? filter,
        IReadOnlyList<string>? attributeList)
    {
        if (attributeList is null)
        {
            return null;
        }

        if (operation != Operation.Retrieve || filter?.Usage == FilterUsage.Discovery)
        {
            return OneM2MError.BadRequest("a partial retrieve (atrl) is only valid on a retrieve (not on a create, update, delete, notify or discovery)");
        }

        return resultContent is null or ResultContent.Attributes
            ? null
            : OneM2MError.BadRequest($"a partial retrieve (atrl) is only valid with rcn=1 (was rcn={(int)resultContent})");
    }

    /// <summary>
    /// Whether <paramref name="originator"/> (normalised) is an entity of another CSE, or another CSE: it stays
    /// SP-relative or absolute, so another CSE relays its request (Mcc). This CSE's own ID does not count, so that no
    /// client claims the CSE's own rights this way.
    /// </summary>
    public static bool IsRelayed(string originator, CseIdentity cse)
    {
        ArgumentNullException.ThrowIfNull(originator);
        ArgumentNullException.ThrowIfNull(cse);
        return originator.Length > 1 && originator[0] == '/' && !string.Equals(originator, cse.CseId, StringComparison.Ordinal)
            && !(originator.Length == cse.AbsolutePrefix.Length - 1 && cse.AbsolutePrefix.StartsWith(originator, StringComparison.Ordinal));
    }
}
