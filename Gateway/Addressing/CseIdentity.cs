namespace VirtualIoT.Gateway.Addressing;

/// <summary>
/// This CSE's identifiers in the forms the parsers compare against, computed once from <see cref="CseOptions"/>
/// so that no request concatenates them.
/// </summary>
public sealed class CseIdentity
{
    /// <summary>Builds the identity from the CSE options.</summary>
    public CseIdentity(CseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        CseId = options.CseId;
        CseBaseId = options.CseBaseId;
        CseBaseName = options.CseBaseName;
        SpHost = options.SpId.TrimStart('/');
        SpRelativePrefix = CseId + "/";
        AbsolutePrefix = options.SpId + CseId + "/";
    }

    /// <summary>SP-relative CSE-ID (<c>/id-in</c>).</summary>
    public string CseId { get; }

    /// <summary>Resource ID of the CSEBase (<c>id-in</c>).</summary>
    public string CseBaseId { get; }

    /// <summary>Resource name of the CSEBase (<c>cse-in</c>).</summary>
    public string CseBaseName { get; }

    /// <summary>SP-ID without its leading slashes (<c>virtualiot.example.com</c>), as in <c>/_/{host}/…</c> paths.</summary>
    public string SpHost { get; }

    /// <summary><c>/id-in/</c>: prefix of SP-relative IDs of this CSE's resources.</summary>
    public string SpRelativePrefix { get; }

    /// <summary><c>//virtualiot.example.com/id-in/</c>: prefix of absolute IDs of this CSE's resources.</summary>
    public string AbsolutePrefix { get; }
}
