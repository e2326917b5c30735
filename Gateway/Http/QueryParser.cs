using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Gateway.Http;

/// <summary>
/// The HTTP binding's part of reading request parameters (TS-0009 6.5): a query string's list values are split on
/// <c>+</c> (which ASP.NET Core has already decoded as a space) and space; what they mean is read by the binding-neutral
/// <see cref="RequestParameterParser"/>.
/// </summary>
public static class QueryParser
{
    /// <summary>
    /// Parses decoded query fields (as ASP.NET Core gives them: repeated names merged, <c>+</c> decoded as space).
    /// Lists (<c>ty</c>, <c>lbl</c>, <c>cty</c>, <c>atrl</c>) are split on <c>+</c> and space.
    /// </summary>
    public static ParseResult<RequestParameters> Parse(IEnumerable<KeyValuePair<string, StringValues>> query, Operation operation)
    {
        ArgumentNullException.ThrowIfNull(query);
        return RequestParameterParser.Parse(SplitLists(query), operation);
    }

    private static IEnumerable<KeyValuePair<string, StringValues>> SplitLists(IEnumerable<KeyValuePair<string, StringValues>> query)
    {
        foreach (var field in query)
        {
            yield return RequestParameterParser.IsList(field.Key) ? new(field.Key, Split(field.Value)) : field;
        }
    }

    // Tokens are separated by '+' or ' '; empty tokens are skipped.
    private static StringValues Split(StringValues values)
    {
        var count = 0;
        string? single = null;
        List<string>? items = null;
        foreach (var value in values)
        {
            var rest = (value ?? "").AsSpan();
            while (!rest.IsEmpty)
            {
                var end = rest.IndexOfAny('+', ' ');
                var token = end < 0 ? rest : rest[..end];
                rest = end < 0 ? [] : rest[(end + 1)..];
                if (token.IsEmpty)
                {
                    continue;
                }

                // One token that is the whole value (the usual case) is passed on without copying it.
                var text = token.Length == value!.Length ? value : token.ToString();
                if (++count == 1)
                {
                    single = text;
                }
                else
                {
                    (items ??= [single!]).Add(text);
                }
            }
        }

        return items is not null ? new StringValues(items.ToArray()) : single is not null ? new StringValues(single) : StringValues.Empty;
    }
}
