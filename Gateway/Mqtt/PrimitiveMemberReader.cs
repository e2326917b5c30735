using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// Reads the members of a request primitive whose shape is more than a scalar: the filter criteria <c>fc</c>
/// (flattened to the query fields of the same names), <c>rt</c>, and list-valued parameters; and scalars as text.
/// Errors are collected into the first one found, so that parsing goes on to find <c>rqi</c>. Written once over
/// <see cref="IPrimitiveReader{TSelf}"/>, for every serialization.
/// </summary>
internal static class PrimitiveMemberReader
{
    // Filter criteria as an object: each member is the query field of the same name (docs/protocol.md §3.3); list
    // members are arrays; atr is a list of {"nm","val"} (TS-0004 7.3.3.17) or an object of name: value.
    internal static void ReadFilterCriteria<TReader>(ref TReader reader, ref List<KeyValuePair<string, StringValues>>? parameters, ref OneM2MError? error)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
    {
        if (reader.Peek() != PrimitiveValueKind.Object)
        {
            error ??= OneM2MError.BadRequest("fc (filter criteria) must be an object");
            reader.Skip();
            return;
        }

        reader.EnterObject();
        while (reader.NextMember(out var name))
        {
            if (name == "atr")
            {
                ReadAttributeConditions(ref reader, ref parameters, ref error);
            }
            else
            {
                AddParameter(ref reader, name, ref parameters, ref error);
            }
        }
    }

    private static void ReadAttributeConditions<TReader>(ref TReader reader, ref List<KeyValuePair<string, StringValues>>? parameters, ref OneM2MError? error)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
    {
        var kind = reader.Peek();
        if (kind == PrimitiveValueKind.Object)
        {
            reader.EnterObject();
            while (reader.NextMember(out var name))
            {
                AddAttributeCondition(name, Scalar(ref reader, "atr", ref error), ref parameters, ref error);
            }

            return;
        }

        if (kind != PrimitiveValueKind.Array)
        {
            error ??= OneM2MError.BadRequest("fc.atr must be a list of {\"nm\",\"val\"} or an object");
            reader.Skip();
            return;
        }

        reader.EnterArray();
        while (reader.NextItem())
        {
            if (reader.Peek() != PrimitiveValueKind.Object)
            {
                error ??= OneM2MError.BadRequest("an fc.atr entry must be an object {\"nm\",\"val\"}");
                reader.Skip();
                continue;
            }

            string? attributeName = null, value = null;
            reader.EnterObject();
            while (reader.NextMember(out var member))
            {
                switch (member)
                {
                    case "nm":
                        attributeName = Text(ref reader, "fc.atr.nm", ref error);
                        break;
                    case "val":
                        value = Scalar(ref reader, "fc.atr.val", ref error);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (attributeName is null)
            {
                error ??= OneM2MError.BadRequest("an fc.atr entry has no nm");
                continue;
            }

            AddAttributeCondition(attributeName, value, ref parameters, ref error);
        }
    }

    private static void AddAttributeCondition(string name, string? value, ref List<KeyValuePair<string, StringValues>>? parameters, ref OneM2MError? error)
    {
        if (RequestParameterParser.IsParameterName(name))
        {
            error ??= OneM2MError.BadRequest($"'{name}' cannot be an attribute filter");
            return;
        }

        (parameters ??= []).Add(new(name, value ?? ""));
    }

    // rt is {"rtv":n,"nu":[…]} (TS-0004 6.3.5.16); a bare number is tolerated. The value is read with the other
    // timing parameters (Pipeline/RequestTiming.cs), as over HTTP.
    internal static string? ReadResponseType<TReader>(ref TReader reader, ref OneM2MError? error, ref List<string>? targets)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
    {
        if (reader.Peek() != PrimitiveValueKind.Object)
        {
            return Scalar(ref reader, "rt", ref error);
        }

        string? value = null;
        reader.EnterObject();
        while (reader.NextMember(out var member))
        {
            if (member == "rtv")
            {
                value = Scalar(ref reader, "rt.rtv", ref error);
            }
            else if (member == "nu")
            {
                targets = ReadResponseTargets(ref reader, ref error);
            }
            else
            {
                reader.Skip();
            }
        }

        return value;
    }

    // rt.nu (responseTypeNUs): a list of notification URIs; empty entries are dropped (as ACME does).
    private static List<string>? ReadResponseTargets<TReader>(ref TReader reader, ref OneM2MError? error)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
    {
        if (reader.Peek() != PrimitiveValueKind.Array)
        {
            reader.Skip();
            error ??= OneM2MError.BadRequest("rt.nu must be a list of notification URIs");
            return null;
        }

        var targets = new List<string>();
        reader.EnterArray();
        while (reader.NextItem())
        {
            if (reader.Peek() != PrimitiveValueKind.String)
            {
                reader.Skip();
                error ??= OneM2MError.BadRequest("rt.nu must be a list of notification URIs (strings)");
                continue;
            }

            if (reader.ReadScalar() is { Length: > 0 } target)
            {
                targets.Add(target);
            }
        }

        return targets;
    }

    internal static void AddParameter<TReader>(ref TReader reader, string name, ref List<KeyValuePair<string, StringValues>>? parameters, ref OneM2MError? error)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
    {
        StringValues values;
        if (reader.Peek() == PrimitiveValueKind.Array)
        {
            var list = new List<string>();
            reader.EnterArray();
            while (reader.NextItem())
            {
                if (Scalar(ref reader, name, ref error) is { } item)
                {
                    list.Add(item);
                }
            }

            values = new StringValues(list.ToArray());
        }
        else
        {
            values = Scalar(ref reader, name, ref error);
        }

        (parameters ??= []).Add(new(name, values));
    }

    // A string, number or boolean as text (numbers as sent); null for null. An object or array is a type error.
    internal static string? Scalar<TReader>(ref TReader reader, string name, ref OneM2MError? error)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
    {
        if (reader.Peek() is PrimitiveValueKind.Object or PrimitiveValueKind.Array or PrimitiveValueKind.Other)
        {
            error ??= OneM2MError.BadRequest($"{name} must be a string or a number");
            reader.Skip();
            return null;
        }

        return reader.ReadScalar();
    }

    internal static string? Text<TReader>(ref TReader reader, string name, ref OneM2MError? error)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
    {
        var kind = reader.Peek();
        if (kind is PrimitiveValueKind.String or PrimitiveValueKind.Null)
        {
            return reader.ReadScalar();
        }

        error ??= OneM2MError.BadRequest($"{name} must be a string");
        reader.Skip();
        return null;
    }

    // The content of a retrieve (or, wrongly, a delete) may be {"m2m:atrl":["ri","lbl"]}: a partial retrieve
    // (TS-0004 8.1.2). Other members carry nothing for these operations and are skipped.
    internal static OneM2MError? ReadAttributeList<TReader>(ref TReader reader, out List<string>? attributeList)
        where TReader : IPrimitiveReader<TReader>, allows ref struct
    {
        attributeList = null;
        try
        {
            if (reader.Peek() != PrimitiveValueKind.Object)
            {
                return OneM2MError.BadRequest("pc must be an object");
            }

            reader.EnterObject();
            while (reader.NextMember(out var member))
            {
                if (member != "m2m:atrl")
                {
                    reader.Skip();
                    continue;
                }

                if (reader.Peek() != PrimitiveValueKind.Array)
                {
                    return OneM2MError.BadRequest("m2m:atrl must be a list of attribute names");
                }

                attributeList ??= [];
                reader.EnterArray();
                while (reader.NextItem())
                {
                    if (reader.Peek() != PrimitiveValueKind.String || reader.ReadScalar() is not { Length: > 0 } name)
                    {
                        return OneM2MError.BadRequest("m2m:atrl must be a list of attribute names");
                    }

                    attributeList.Add(name);
                }
            }

            return null;
        }
        catch (Exception exception) when (TReader.IsMalformed(exception, out var message))
        {
            return OneM2MError.BadRequest(message);
        }
    }
}
