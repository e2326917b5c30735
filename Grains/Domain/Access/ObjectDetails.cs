namespace VirtualIoT.Grains.Domain.Access;

/// <summary>
/// One <c>accessControlObjectDetails</c> entry of a rule's <c>acod</c> (TS-0001 9.6.2.x): the rule applies to a
/// resource of type <c>ty</c> (any type when absent), of specialization <c>spty</c> (a flexContainer's
/// <c>cnd</c> or a mgmtObj's <c>mgd</c>; any when absent), and, for a create, only to children of the types in
/// <c>chty</c> (any when absent).
/// </summary>
internal sealed class ObjectDetails
{
    private readonly ResourceType? _type;
    private readonly string? _specialization;
    private readonly HashSet<ResourceType>? _childTypes;

    private ObjectDetails(ResourceType? type, string? specialization, HashSet<ResourceType>? childTypes)
    {
        _type = type;
        _specialization = specialization;
        _childTypes = childTypes;
    }

    /// <summary>Whether the entry admits <paramref name="request"/>; a request that does not say a type it needs is not admitted.</summary>
    public bool Matches(in AccessRequest request)
    {
        if (_type is { } type && request.TargetType != type)
        {
            return false;
        }

        if (_specialization is not null && !string.Equals(_specialization, request.Specialization, StringComparison.Ordinal))
        {
            return false;
        }

        return request.Operation != AccessOperation.Create || _childTypes is null
            || (request.ChildType is { } child && _childTypes.Contains(child));
    }

    /// <summary>Parses <c>acod</c>: a non-empty list of objects with <c>ty</c>, <c>spty</c> and <c>chty</c>. False with 4000 when malformed.</summary>
    public static bool ParseList(object? value, string name, out ObjectDetails[]? details, out OneM2MError? error)
    {
        details = null;
        error = null;
        if (value is not List<object?> { Count: > 0 } list)
        {
            error = OneM2MError.BadRequest($"{name} must be a non-empty list of object details");
            return false;
        }

        details = new ObjectDetails[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            if (Parse(list[i], $"{name}[{i}]", out error) is not { } detail)
            {
                details = null;
                return false;
            }

            details[i] = detail;
        }

        return true;
    }

    private static ObjectDetails? Parse(object? value, string name, out OneM2MError? error)
    {
        error = null;
        if (value is not Dictionary<string, object?> { Count: > 0 } members)
        {
            error = OneM2MError.BadRequest($"{name} must be an object with ty, spty and/or chty");
            return null;
        }

        ResourceType? type = null;
        string? specialization = null;
        HashSet<ResourceType>? childTypes = null;
        foreach (var (member, item) in members)
        {
            switch (member)
            {
                case "ty" when item is long ty && IsResourceType(ty):
                    type = (ResourceType)(int)ty;
                    break;
                case "spty" when item is string { Length: > 0 } text:
                    specialization = text;
                    break;
                case "spty" when item is long number:
                    specialization = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "chty" when item is List<object?> { Count: > 0 } types && types.TrueForAll(t => t is long l && IsResourceType(l)):
                    childTypes = [.. types.Select(t => (ResourceType)(int)(long)t!)];
                    break;
                case "ty" or "spty" or "chty":
                    error = OneM2MError.BadRequest($"{name}/{member} is not valid: ty a resource type, spty a specialization, chty a non-empty list of resource types");
                    return null;
                default:
                    error = OneM2MError.BadRequest($"{name}: '{member}' is not an access control object details member");
                    return null;
            }
        }

        return new ObjectDetails(type, specialization, childTypes);
    }

    private static bool IsResourceType(long value) => value is > 0 and < int.MaxValue && Enum.IsDefined((ResourceType)(int)value);
}
