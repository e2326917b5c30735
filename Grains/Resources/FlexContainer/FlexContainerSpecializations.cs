using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.FlexContainer;

/// <summary>
/// The flexContainer specializations this CSE knows: one JSON file per module class or device class, in the format
/// of ACME's flexContainer policy files (<c>type</c>, <c>lname</c>, <c>cnd</c>, <c>sdttype</c>, <c>attributes</c>
/// with <c>sname</c>, <c>lname</c>, <c>type</c>, <c>ltype</c>, <c>evalues</c>, <c>car</c>, <c>oc</c>, <c>ou</c>;
/// <c>children</c>), one object per file. They are read from <see cref="DirectoryName"/> next to the silo's
/// binaries when first needed (the silo reads them at start, <see cref="Validate"/>), and a file that does not fit
/// stops the start with a message naming the file. Adding a specialization is adding a file: docs/resource-types.md.
/// </summary>
internal static class FlexContainerSpecializations
{
    /// <summary>The directory, under the application's base directory, holding one file per specialization.</summary>
    public const string DirectoryName = "specializations";

    private static readonly JsonDocumentOptions s_json = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static readonly FrozenSet<string> s_specializationKeys =
        FrozenSet.ToFrozenSet(["type", "lname", "cnd", "sdttype", "attributes", "children"], StringComparer.Ordinal);

    // "annc" and "od" (announcement and discovery presence) are read by ACME for future use; accepted and ignored.
    private static readonly FrozenSet<string> s_attributeKeys =
        FrozenSet.ToFrozenSet(["sname", "lname", "type", "ltype", "evalues", "car", "oc", "ou", "od", "annc"], StringComparer.Ordinal);

    private static readonly Lazy<IReadOnlyList<FlexContainerSpecialization>> s_shipped =
        new(() => Load(Path.Combine(AppContext.BaseDirectory, DirectoryName)));

    /// <summary>The specializations of <see cref="DirectoryName"/> next to the binaries, read on first use.</summary>
    public static IReadOnlyList<FlexContainerSpecialization> All => s_shipped.Value;

    /// <summary>Reads them now, so that a bad file stops the silo's start rather than its first flexContainer request.</summary>
    public static int Validate() => All.Count;

    /// <summary>Every <c>*.json</c> file under <paramref name="directory"/>, checked one by one and against each other.</summary>
    /// <exception cref="InvalidDataException">A file, or the set of them, does not fit; the message names the file.</exception>
    public static IReadOnlyList<FlexContainerSpecialization> Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new InvalidDataException($"flexContainer specializations: directory '{directory}' does not exist");
        }

        var files = Directory.GetFiles(directory, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new InvalidDataException($"flexContainer specializations: no *.json file in '{directory}'");
        }

        return CheckTogether([.. files.Select(file => Parse(File.ReadAllText(file), Path.GetRelativePath(directory, file)))]);
    }

    /// <summary>Unique root keys and definitions, and children that name known specializations.</summary>
    internal static IReadOnlyList<FlexContainerSpecialization> CheckTogether(IReadOnlyList<FlexContainerSpecialization> specializations)
    {
        var byRootKey = new Dictionary<string, FlexContainerSpecialization>(StringComparer.Ordinal);
        var byDefinition = new Dictionary<string, FlexContainerSpecialization>(StringComparer.Ordinal);
        foreach (var specialization in specializations)
        {
            if (!byRootKey.TryAdd(specialization.RootKey, specialization))
            {
                throw Bad(specialization.Source, $"type '{specialization.RootKey}' is also defined by '{byRootKey[specialization.RootKey].Source}'");
            }

            if (!byDefinition.TryAdd(specialization.ContainerDefinition, specialization))
            {
                throw Bad(specialization.Source,
                    $"cnd '{specialization.ContainerDefinition}' is also the cnd of '{byDefinition[specialization.ContainerDefinition].Source}'");
            }
        }

        foreach (var specialization in specializations)
        {
            if (specialization.Children.FirstOrDefault(child => !byRootKey.ContainsKey(child)) is { } unknown)
            {
                throw Bad(specialization.Source, $"child '{unknown}' is not a specialization of any file");
            }
        }

        return specializations;
    }

    /// <summary>One specialization from the text of its file.</summary>
    /// <exception cref="InvalidDataException">The text does not fit; the message names <paramref name="source"/>.</exception>
    internal static FlexContainerSpecialization Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, s_json);
        }
        catch (JsonException exception)
        {
            throw Bad(source, $"not valid JSON ({exception.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(source, "must hold one object (one specialization per file)");
            }

            CheckKeys(root, s_specializationKeys, source, "the specialization");
            var rootKey = RequiredString(root, "type", source, "the specialization");
            var colon = rootKey.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == rootKey.Length - 1 || rootKey.IndexOf(':', colon + 1) >= 0 || rootKey.StartsWith("m2m:", StringComparison.Ordinal)
                || !rootKey.All(c => char.IsAsciiLetterOrDigit(c) || c == ':'))
            {
                throw Bad(source, $"type '{rootKey}' must be '<namespace>:<short name>' of letters and digits, not in the m2m namespace");
            }

            var definition = RequiredString(root, "cnd", source, "the specialization");
            var longName = OptionalString(root, "lname", source, "the specialization") ?? rootKey[(colon + 1)..];
            var sdtType = OptionalString(root, "sdttype", source, "the specialization");
            if (sdtType is not (null or "device" or "subdevice" or "moduleclass" or "action"))
            {
                throw Bad(source, $"sdttype '{sdtType}' must be device, subdevice, moduleclass or action");
            }

            var attributes = new List<AttributeRule>();
            if (root.TryGetProperty("attributes", out var list))
            {
                if (list.ValueKind != JsonValueKind.Array)
                {
                    throw Bad(source, "attributes must be a list");
                }

                foreach (var item in list.EnumerateArray())
                {
                    var rule = ParseAttribute(item, source);
                    if (FlexContainerAttributes.IsCommon(rule.ShortName))
                    {
                        throw Bad(source, $"attribute '{rule.ShortName}' is an attribute every flexContainer has; a custom attribute needs another name");
                    }

                    if (attributes.Any(a => a.ShortName == rule.ShortName))
                    {
                        throw Bad(source, $"attribute '{rule.ShortName}' is defined twice");
                    }

                    attributes.Add(rule);
                }
            }

            var children = new List<string>();
            if (root.TryGetProperty("children", out var childList))
            {
                if (childList.ValueKind != JsonValueKind.Array || childList.EnumerateArray().Any(c => c.ValueKind != JsonValueKind.String))
                {
                    throw Bad(source, "children must be a list of specialization types ('cod:binSh')");
                }

                children.AddRange(childList.EnumerateArray().Select(c => c.GetString()!));
            }

            return new FlexContainerSpecialization(rootKey, longName, definition, sdtType, attributes, children, source);
        }
    }

    private static AttributeRule ParseAttribute(JsonElement item, string source)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw Bad(source, "each attribute must be an object");
        }

        var name = RequiredString(item, "sname", source, "an attribute");
        var where = $"attribute '{name}'";
        CheckKeys(item, s_attributeKeys, source, where);
        if (name.Length == 0 || !name.All(char.IsAsciiLetterOrDigit))
        {
            throw Bad(source, $"{where}: sname must be letters and digits");
        }

        var longName = OptionalString(item, "lname", source, where) ?? name;
        var type = RequiredString(item, "type", source, where);
        var itemType = OptionalString(item, "ltype", source, where);
        var kind = KindOf(type, source, where);
        ValueKind? itemKind = null;
        if (itemType is not null)
        {
            if (kind != ValueKind.List)
            {
                throw Bad(source, $"{where}: ltype is only for type 'list'");
            }

            itemKind = KindOf(itemType, source, where);
            if (itemKind == ValueKind.List)
            {
                throw Bad(source, $"{where}: lists of lists are not supported");
            }
        }

        IReadOnlySet<long>? values = null;
        var enumerated = IsEnum(type) || (itemType is not null && IsEnum(itemType));
        if (item.TryGetProperty("evalues", out var evalues))
        {
            values = EnumValues(evalues, source, where);
        }
        else if (enumerated)
        {
            throw Bad(source, $"{where}: an enum needs evalues");
        }

        if (values is not null && !enumerated)
        {
            throw Bad(source, $"{where}: evalues are only for type 'enum' (or ltype 'enum')");
        }

        var car = OptionalString(item, "car", source, where) ?? "01";
        if (car is not ("01" or "01L" or "1" or "1L"))
        {
            throw Bad(source, $"{where}: car '{car}' must be 01, 01L, 1 or 1L");
        }

        // As ACME: car 1 makes the attribute mandatory on create unless oc says otherwise; an update may leave it out.
        var onCreate = PresenceOf(OptionalString(item, "oc", source, where), car.StartsWith('1') ? Presence.Mandatory : Presence.Optional, source, where);
        var onUpdate = PresenceOf(OptionalString(item, "ou", source, where), Presence.Optional, source, where);
        return new AttributeRule(name, longName, kind, onCreate, onUpdate, itemKind, values);
    }

    private static bool IsEnum(string type) => string.Equals(type, "enum", StringComparison.OrdinalIgnoreCase);

    // The data types of ACME's attribute policies (and the SDT types they stand for).
    private static ValueKind KindOf(string type, string source, string where) => type.ToLowerInvariant() switch
    {
        "boolean" => ValueKind.Boolean,
        "integer" or "enum" => ValueKind.Integer,
        "nonneginteger" or "unsignedint" or "unsignedlong" => ValueKind.NonNegativeInteger,
        "positiveinteger" => ValueKind.PositiveInteger,
        "float" or "double" => ValueKind.Number,
        "string" or "anyuri" or "duration" or "time" or "date" => ValueKind.String,
        "timestamp" or "absreltimestamp" => ValueKind.Timestamp,
        "list" => ValueKind.List,
        "dict" or "adict" or "geocoordinates" => ValueKind.Map,
        _ => throw Bad(source, $"{where}: type '{type}' is not one of boolean, integer, nonNegInteger, unsignedInt, unsignedLong, "
            + "positiveInteger, float, double, string, anyURI, duration, time, date, timestamp, enum, list, dict, adict, geoCoordinates"),
    };

    private static Presence PresenceOf(string? text, Presence fallback, string source, string where) => text switch
    {
        null => fallback,
        "O" => Presence.Optional,
        "M" => Presence.Mandatory,
        "NP" => Presence.NotPresent,
        _ => throw Bad(source, $"{where}: presence '{text}' must be O, M or NP"),
    };

    // evalues: integers, or "start..end" ranges of integers.
    private static FrozenSet<long> EnumValues(JsonElement evalues, string source, string where)
    {
        if (evalues.ValueKind != JsonValueKind.Array || evalues.GetArrayLength() == 0)
        {
            throw Bad(source, $"{where}: evalues must be a non-empty list of integers and 'start..end' ranges");
        }

        var values = new HashSet<long>();
        foreach (var value in evalues.EnumerateArray())
        {
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var single))
            {
                values.Add(single);
                continue;
            }

            var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
            var dots = text.IndexOf("..", StringComparison.Ordinal);
            if (dots > 0
                && long.TryParse(text.AsSpan(0, dots), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var start)
                && long.TryParse(text.AsSpan(dots + 2), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var end)
                && start <= end && end - start < 10_000)
            {
                for (var v = start; v <= end; v++)
                {
                    values.Add(v);
                }

                continue;
            }

            throw Bad(source, $"{where}: evalue {value.GetRawText()} is neither an integer nor a 'start..end' range");
        }

        return values.ToFrozenSet();
    }

    private static void CheckKeys(JsonElement element, FrozenSet<string> known, string source, string where)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                throw Bad(source, $"{where}: unknown field '{property.Name}' (known: {string.Join(", ", known.Order(StringComparer.Ordinal))})");
            }
        }
    }

    private static string RequiredString(JsonElement element, string name, string source, string where) =>
        OptionalString(element, name, source, where) is { Length: > 0 } text ? text : throw Bad(source, $"{where}: '{name}' is missing or empty");

    private static string? OptionalString(JsonElement element, string name, string source, string where)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Bad(source, $"{where}: '{name}' must be a string");
    }

    private static InvalidDataException Bad(string source, string problem) =>
        new($"flexContainer specialization file '{source}': {problem}");
}
