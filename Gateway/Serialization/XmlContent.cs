using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Xml;

namespace VirtualIoT.Gateway.Serialization;

/// <summary>
/// The XML serialization (TS-0004 8.5): a representation is an element in the oneM2M namespace named by its short
/// root key (<c>&lt;m2m:cnt xmlns:m2m="http://www.onem2m.org/xml/protocols" rn="temp"&gt;</c>), its attributes are
/// unqualified child elements named by their short names, <c>rn</c> is an XML attribute, lists of simple values are
/// one element holding the items separated by spaces (xs:list), lists of structures repeat the element, and
/// <c>xsi:nil="true"</c> is null. Element types come from <see cref="XmlValueKinds"/>. DTDs and external entities are
/// refused; malformed input is 4000.
/// </summary>
public static class XmlContent
{
    /// <summary>The oneM2M XML namespace, bound to the prefix <c>m2m</c>.</summary>
    public const string Namespace = "http://www.onem2m.org/xml/protocols";

    private const string InstanceNamespace = "http://www.w3.org/2001/XMLSchema-instance";

    private static readonly XmlReaderSettings s_readerSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = false,
        CloseInput = true,
    };

    private static readonly XmlWriterSettings s_writerSettings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        Indent = false,
        CloseOutput = false,
    };

    /// <summary>
    /// Reads an XML document into a tree of one key, the root element's name (<c>m2m:cnt</c>, <c>m2m:rqp</c>), whose
    /// value is the element's content.
    /// </summary>
    public static ParseResult<Dictionary<string, object?>> ParseDocument(in ReadOnlySequence<byte> xml)
    {
        if (xml.IsEmpty)
        {
            return ParseResult<Dictionary<string, object?>>.BadRequest("the request body is empty");
        }

        var memory = xml.IsSingleSegment ? xml.First : xml.ToArray();
        var stream = MemoryMarshal.TryGetArray(memory, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(memory.ToArray(), writable: false);
        try
        {
            using var reader = XmlReader.Create(stream, s_readerSettings);
            if (reader.MoveToContent() != XmlNodeType.Element)
            {
                return ParseResult<Dictionary<string, object?>>.BadRequest("the XML body has no root element");
            }

            var rootName = ElementName(reader, root: true);
            var error = ReadElement(reader, null, rootName, 1, out var value);
            if (error is not null)
            {
                return ParseResult<Dictionary<string, object?>>.BadRequest(error);
            }

            // Past the root: only whitespace, comments and processing instructions may follow (the reader throws otherwise).
            while (reader.Read())
            {
            }

            return new Dictionary<string, object?> { [rootName] = value };
        }
        catch (XmlException exception)
        {
            return ParseResult<Dictionary<string, object?>>.BadRequest("malformed XML: " + exception.Message);
        }
    }

    /// <summary>Writes a tree of one key (the root element's name) as an XML document.</summary>
    public static void Write(IBufferWriter<byte> output, Dictionary<string, object?> document)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(document);
        if (document.Count != 1)
        {
            throw new InvalidOperationException($"An XML document has one root element; the content has {document.Count} keys.");
        }

        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, s_writerSettings))
        {
            writer.WriteStartDocument();
            foreach (var (name, value) in document)
            {
                WriteMember(writer, null, name, value);
            }

            writer.WriteEndDocument();
        }

        output.Write(stream.GetBuffer().AsSpan(0, (int)stream.Length));
    }

    private static string ElementName(XmlReader reader, bool root) =>
        reader.NamespaceURI == Namespace && (root || reader.Prefix.Length > 0)
            ? "m2m:" + XmlConvert.DecodeName(reader.LocalName)
            : XmlConvert.DecodeName(reader.LocalName);

    // Called on the element's start; leaves the reader on its end (or on the empty element).
    private static string? ReadElement(XmlReader reader, string? parent, string name, int depth, out object? value)
    {
        value = null;
        if (depth > Representation.MaxDepth)
        {
            return $"XML nesting deeper than {Representation.MaxDepth} levels";
        }

        Dictionary<string, object?>? members = null;
        var nil = false;
        if (reader.MoveToFirstAttribute())
        {
            do
            {
                if (reader.NamespaceURI == InstanceNamespace)
                {
                    nil |= reader.LocalName == "nil" && reader.Value is "true" or "1";
                }
                else if (reader.Prefix != "xmlns" && reader.Name != "xmlns")
                {
                    members ??= [];
                    members[reader.LocalName] = Convert(name, reader.LocalName, reader.Value);
                }
            }
            while (reader.MoveToNextAttribute());

            reader.MoveToElement();
        }

        if (reader.IsEmptyElement)
        {
            value = nil || (members is null && name == "cr") ? null : members ?? Convert(parent, name, "");
            return null;
        }

        StringBuilder? text = null;
        while (reader.Read())
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    var childName = ElementName(reader, root: false);
                    var error = ReadElement(reader, name, childName, depth + 1, out var child);
                    if (error is not null)
                    {
                        return error;
                    }

                    members ??= [];
                    Add(members, name, childName, child);
                    break;
                case XmlNodeType.Text:
                case XmlNodeType.CDATA:
                case XmlNodeType.Whitespace:
                case XmlNodeType.SignificantWhitespace:
                    (text ??= new StringBuilder()).Append(reader.Value);
                    break;
                case XmlNodeType.EndElement:
                    if (members is not null)
                    {
                        if (text is not null && !string.IsNullOrWhiteSpace(text.ToString()))
                        {
                            return $"element <{name}> mixes text and elements";
                        }

                        value = members;
                    }
                    else
                    {
                        value = nil ? null : Convert(parent, name, text?.ToString() ?? "");
                    }

                    return null;
            }
        }

        return $"element <{name}> is not closed";
    }

    private static void Add(Dictionary<string, object?> members, string parent, string name, object? value)
    {
        if (XmlValueKinds.IsRepeated(parent, name))
        {
            if (members.TryGetValue(name, out var present) && present is List<object?> items)
            {
                items.Add(value);
            }
            else
            {
                members[name] = new List<object?> { value };
            }

            return;
        }

        if (!members.TryGetValue(name, out var existing))
        {
            members[name] = value;
        }
        else if (XmlValueKinds.Of(parent, name) is XmlValueKind.TextList or XmlValueKind.IntegerList)
        {
            // An xs:list written as repeated elements: one list of all their items.
            ((List<object?>)existing!).AddRange((List<object?>)value!);
        }
        else if (existing is List<object?> repeated && repeated.Count > 1)
        {
            repeated.Add(value);
        }
        else
        {
            // An element repeated that the table does not know as a list: read as a list all the same.
            members[name] = new List<object?> { existing, value };
        }
    }

    private static object? Convert(string? parent, string name, string text)
    {
        switch (XmlValueKinds.Of(parent, name))
        {
            case XmlValueKind.Integer:
                return long.TryParse(text.AsSpan().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : text;
            case XmlValueKind.Boolean:
                return text.Trim() switch
                {
                    "true" or "1" => true,
                    "false" or "0" => false,
                    _ => text,
                };
            case XmlValueKind.TextList:
                return Items(text, integers: false);
            case XmlValueKind.IntegerList:
                return Items(text, integers: true);
            default:
                return text;
        }
    }

    private static List<object?> Items(string text, bool integers)
    {
        var items = new List<object?>();
        foreach (var item in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            items.Add(integers && long.TryParse(item, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : item);
        }

        return items;
    }

    private static void WriteMember(XmlWriter writer, string? parent, string name, object? value)
    {
        // A shared part is written as its tree: its elements depend on where it stands.
        if (value is SharedContent shared)
        {
            value = shared.Value;
        }

        if (value is string or bool or null || value is not IEnumerable || value is IDictionary or IEnumerable<KeyValuePair<string, object?>>)
        {
            WriteElement(writer, name, value);
            return;
        }

        var items = (IEnumerable)value;
        if (XmlValueKinds.IsRepeated(parent, name) || !AllSimple(items))
        {
            foreach (var item in items)
            {
                WriteElement(writer, name, item);
            }

            return;
        }

        StartElement(writer, name);
        var first = true;
        foreach (var item in items)
        {
            if (!first)
            {
                writer.WriteString(" ");
            }

            writer.WriteString(Text(Scalar(item)));
            first = false;
        }

        writer.WriteEndElement();
    }

    // Items an xs:list can carry: scalars whose text has no space.
    private static bool AllSimple(IEnumerable items)
    {
        foreach (var item in items)
        {
            if (item is null || item is IEnumerable and not string || (item is string text && (text.Length == 0 || text.Any(char.IsWhiteSpace))))
            {
                return false;
            }
        }

        return true;
    }

    private static void WriteElement(XmlWriter writer, string name, object? value)
    {
        if (value is SharedContent shared)
        {
            value = shared.Value;
        }

        StartElement(writer, name);
        switch (value)
        {
            case null:
                writer.WriteAttributeString("xsi", "nil", InstanceNamespace, "true");
                break;
            case Dictionary<string, object?> dictionary:
                // resourceName is an XML attribute of a resource (TS-0004 XSDs).
                var resource = name.StartsWith("m2m:", StringComparison.Ordinal) && dictionary.TryGetValue("rn", out var rn) && rn is string;
                if (resource)
                {
                    writer.WriteAttributeString("rn", Text((string)dictionary["rn"]!));
                }

                foreach (var (key, item) in dictionary)
                {
                    if (!(resource && key == "rn"))
                    {
                        WriteMember(writer, name, key, item);
                    }
                }

                break;
            case IDictionary map:
                foreach (DictionaryEntry entry in map)
                {
                    WriteMember(writer, name, (string)entry.Key, entry.Value);
                }

                break;
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                foreach (var (key, item) in pairs)
                {
                    WriteMember(writer, name, key, item);
                }

                break;
            default:
                writer.WriteString(Text(Scalar(value)));
                break;
        }

        writer.WriteEndElement();
    }

    // Names that are no XML names (a key of a JSON-created con, a flexContainer's "cod:tempe") are escaped as
    // XmlConvert does (_x0020_), and read back unescaped.
    private static void StartElement(XmlWriter writer, string name)
    {
        if (name.StartsWith("m2m:", StringComparison.Ordinal))
        {
            writer.WriteStartElement("m2m", XmlConvert.EncodeLocalName(name[4..]), Namespace);
        }
        else
        {
            writer.WriteStartElement(XmlConvert.EncodeLocalName(name));
        }
    }

    // Text XML cannot carry (control characters from a malformed request echoed in m2m:dbg, say) becomes U+FFFD
    // rather than failing the response.
    private static string Text(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!XmlConvert.IsXmlChar(text[i]) && !(i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i])))
            {
                return Sanitized(text);
            }

            if (char.IsHighSurrogate(text[i]))
            {
                i++;
            }
        }

        return text;
    }

    private static string Sanitized(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i]))
            {
                builder.Append(text[i]).Append(text[i + 1]);
                i++;
            }
            else
            {
                builder.Append(XmlConvert.IsXmlChar(text[i]) ? text[i] : '\uFFFD');
            }
        }

        return builder.ToString();
    }

    private static string Scalar(object? value) => value switch
    {
        null => "",
        string text => text,
        bool flag => flag ? "true" : "false",
        double real => real.ToString("R", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
