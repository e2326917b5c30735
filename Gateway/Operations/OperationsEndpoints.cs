using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Operations;

/// <summary>
/// The paths of this process's operations endpoints (metrics, health, browser, dashboard). They share the oneM2M
/// binding's URL space, so each is checked not to shadow an address, and requests to them are left out of traces.
/// </summary>
public sealed class OperationsEndpoints
{
    private readonly Dictionary<string, string> _keysByPath = new(StringComparer.OrdinalIgnoreCase);
    private volatile PathString[] _paths = [];

    /// <summary>
    /// Records <paramref name="path"/>, configured under <paramref name="key"/>. A path whose first segment is the
    /// CSEBase name, <c>~</c> or <c>_</c> would hide resources, and two endpoints cannot share one path: either
    /// stops the start, naming the key.
    /// </summary>
    public void Register(string key, string path, string cseBaseName)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var firstSegment = path.Split('/', StringSplitOptions.RemoveEmptyEntries) is [var first, ..] ? first : "";
        if (string.Equals(firstSegment, cseBaseName, StringComparison.Ordinal) || firstSegment is "~" or "_" or "")
        {
            throw new OptionsValidationException(key, typeof(string),
                [$"{key} '{path}' starts like a oneM2M address (CSEBase '{cseBaseName}', '~' or '_'); choose another path."]);
        }

        lock (_keysByPath)
        {
            if (!_keysByPath.TryAdd(path, key))
            {
                throw new OptionsValidationException(key, typeof(string), [$"{key} '{path}' is also {_keysByPath[path]}."]);
            }

            _paths = [.. _paths, new PathString(path)];
        }
    }

    /// <summary>True when <paramref name="path"/> is at or below a registered endpoint.</summary>
    public bool Contains(PathString path)
    {
        foreach (var prefix in _paths)
        {
            if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
