namespace VirtualIoT.Gateway.Addressing;

/// <summary>
/// Parses the HTTP request path into a <see cref="ParsedAddress"/> (docs/protocol.md §5, TS-0009 6.2.2):
/// CSE-relative (<c>/cse-in/app</c>, <c>/-/app</c>, <c>/Cmyapp</c>, hybrid <c>/cnt7Fk2/la</c>),
/// SP-relative (<c>/~/id-in/…</c>) and absolute (<c>/_/virtualiot.example.com/id-in/…</c>).
/// An address of another CSE of this service provider is a <see cref="ParsedAddress.Remote"/> one, forwarded to that
/// CSE; an address of another service provider is 4004. A malformed
/// address (a trailing or doubled <c>/</c>, a bare SP-relative <c>/id-in</c> or absolute <c>//sp/id-in</c> without a
/// resource part) is 4000, as in ACME's grammar.
/// </summary>
public static class AddressParser
{
    /// <summary>
    /// Parses the <c>to</c> parameter of a request primitive (MQTT and other bindings that carry it as is):
    /// CSE-relative (<c>cse-in/app</c>, <c>Cmyapp</c>), SP-relative (<c>/id-in/cse-in/app</c>) or absolute
    /// (<c>//virtualiot.example.com/id-in/cse-in/app</c>), mapped onto the HTTP path forms of TS-0009 6.2.2 so that
    /// both bindings address alike.
    /// </summary>
    public static ParseResult<ParsedAddress> ParseTo(string to, CseIdentity cse)
    {
        ArgumentNullException.ThrowIfNull(to);
        if (to.Length == 0)
        {
            return OneM2MError.BadRequest("to is empty");
        }

        var path = to.StartsWith("//", StringComparison.Ordinal) ? string.Concat("/_/", to.AsSpan(2))
            : to[0] == '/' ? string.Concat("/~", to)
            : string.Concat("/", to);
        return Parse(path, cse);
    }

    /// <summary>Parses a decoded request path (starting with <c>/</c>).</summary>
    public static ParseResult<ParsedAddress> Parse(string path, CseIdentity cse)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(cse);

        var address = path.AsMemory();
        if (address.Span.StartsWith('/'))
        {
            address = address[1..];
        }

        // ACME's grammar (TS-0001 7.2): no form of address ends with '/', and none has an empty segment.
        if (address.Span.EndsWith('/') || ContainsEmptySegment(address.Span))
        {
            return OneM2MError.BadRequest($"'{path}' is not a valid address: it has an empty segment or a trailing '/'");
        }

        var span = address.Span;
        if (span.StartsWith("~/"))
        {
            address = address[2..];
            var spRelative = address;
            if (!TrySkipCseId(ref address, cse))
            {
                return AnotherCse(path, spRelative);
            }

            if (address.IsEmpty)
            {
                return OneM2MError.BadRequest($"'{path}' is a CSE-ID without a resource part; address the CSEBase as {cse.CseId}/{cse.CseBaseName}");
            }
        }
        else if (span.StartsWith("_/"))
        {
            address = address[2..];
            var host = NextSegment(ref address);
            if (address.IsEmpty)
            {
                return OneM2MError.BadRequest($"'{path}' is an SP-ID without a CSE-ID and a resource part");
            }

            if (!host.Span.Equals(cse.SpHost, StringComparison.OrdinalIgnoreCase))
            {
                return OneM2MError.NotFound($"'{path}' addresses another service provider; this is //{cse.SpHost}");
            }

            var sameSp = address;
            if (!TrySkipCseId(ref address, cse))
            {
                return AnotherCse(path, sameSp);
            }

            if (address.IsEmpty)
            {
                return OneM2MError.BadRequest($"'{path}' is a CSE-ID without a resource part; address the CSEBase as //{cse.SpHost}{cse.CseId}/{cse.CseBaseName}");
            }
        }

        if (address.IsEmpty)
        {
            // "/": the CSEBase.
            return new ParsedAddress(cse.CseBaseId, ReadOnlyMemory<char>.Empty, address);
        }

        var cseRelative = address;
        var first = NextSegment(ref address);

        var firstSpan = first.Span;
        if (firstSpan.SequenceEqual(cse.CseBaseName) || firstSpan is "-")
        {
            return new ParsedAddress(cse.CseBaseId, address, cseRelative);
        }

        var baseId = firstSpan.SequenceEqual(cse.CseBaseId) ? cse.CseBaseId : first.ToString();
        return new ParsedAddress(baseId, address, cseRelative);
    }

    // An SP-relative address of another CSE of this service provider (CSE-ID and resource part, as TS-0001 7.2 has
    // them): forwarded to that CSE, whose own parser judges the resource part.
    private static ParseResult<ParsedAddress> AnotherCse(string path, ReadOnlyMemory<char> spRelative)
    {
        var slash = spRelative.Span.IndexOf('/');
        if (slash <= 0)
        {
            return OneM2MError.BadRequest($"'{path}' is a CSE-ID without a resource part");
        }

        return ParsedAddress.Remote(string.Concat("/", spRelative.Span[..slash]), string.Concat("/", spRelative.Span));
    }

    // Consumes the CSE-ID segment of an SP-relative or absolute address; false when it is not ours.
    private static bool TrySkipCseId(ref ReadOnlyMemory<char> address, CseIdentity cse) =>
        NextSegment(ref address).Span.SequenceEqual(cse.CseBaseId);

    private static ReadOnlyMemory<char> NextSegment(ref ReadOnlyMemory<char> address)
    {
        var slash = address.Span.IndexOf('/');
        ReadOnlyMemory<char> segment;
        if (slash < 0)
        {
            segment = address;
            address = ReadOnlyMemory<char>.Empty;
        }
        else
        {
            segment = address[..slash];
            address = address[(slash + 1)..];
        }

        return segment;
    }

    private static bool ContainsEmptySegment(ReadOnlySpan<char> relative) =>
        relative.StartsWith('/') || relative.Contains("//", StringComparison.Ordinal);
}
