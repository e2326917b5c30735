using System.Collections.Frozen;

namespace VirtualIoT.Grains.Domain;

/// <summary>
/// The policies of a type whose specializations each have their own root key and attributes (a mgmtObj's firmware,
/// battery …; see <see cref="ResourceTypeDescriptor.SpecializedRoot"/>): a create picks one by the root key it is
/// sent under, a stored resource by its attributes (a mgmtObj's <c>mgd</c>).
/// </summary>
internal sealed class SpecializedPolicies
{
    private readonly FrozenDictionary<string, ResourcePolicy> _byRootKey;
    private readonly Func<Dictionary<string, object?>, ResourcePolicy?> _select;

    /// <param name="type">The specialized type.</param>
    /// <param name="policies">One policy per specialization, each under its own root key.</param>
    /// <param name="select">The specialization of a stored resource, from its attributes; null when none fits.</param>
    public SpecializedPolicies(ResourceType type, IEnumerable<ResourcePolicy> policies, Func<Dictionary<string, object?>, ResourcePolicy?> select)
    {
        Type = type;
        _byRootKey = policies.ToFrozenDictionary(p => p.RootKey, StringComparer.Ordinal);
        _select = select;
        RootKeys = "one of " + string.Join(", ", _byRootKey.Keys.Order(StringComparer.Ordinal));
        if (_byRootKey.Values.Any(p => p.Type != type))
        {
            throw new InvalidOperationException($"a specialization of {type} has a policy of another type");
        }
    }

    public ResourceType Type { get; }

    /// <summary>The accepted root keys, for error messages (<c>one of m2m:bat, m2m:fwr, …</c>).</summary>
    public string RootKeys { get; }

    /// <summary>Every specialization's policy.</summary>
    public IEnumerable<ResourcePolicy> All => _byRootKey.Values;

    /// <summary>The specialization sent under <paramref name="rootKey"/>, or null.</summary>
    public ResourcePolicy? ForRootKey(string? rootKey) => rootKey is not null && _byRootKey.TryGetValue(rootKey, out var policy) ? policy : null;

    /// <summary>The specialization of a stored resource, or null.</summary>
    public ResourcePolicy? Of(Dictionary<string, object?> attributes) => _select(attributes);
}
