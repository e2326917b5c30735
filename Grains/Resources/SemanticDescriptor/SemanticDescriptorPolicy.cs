using System.Text;
using System.Text.Json;
using System.Xml;
using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.SemanticDescriptor;

/// <summary>
/// Attribute rules of the <c>&lt;semanticDescriptor&gt;</c> (ty 24, TS-0001 9.6.30; presence and checks as ACME's):
/// <c>dcrp</c> (descriptorRepresentation, <c>m2m:semanticFormat</c> 1–7) and <c>dsp</c> (descriptor, base64)
/// mandatory; <c>or</c>, <c>rels</c>, <c>vlde</c>; <c>svd</c> set by the CSE. The descriptor is decoded and checked in
/// the syntax <c>dcrp</c> names, with the platform's XML and JSON readers: RDF/XML (4) must be well-formed XML whose
/// root is <c>rdf:RDF</c>, OWL/XML (3) well-formed XML whose root is <c>owl:Ontology</c>, JSON-LD (7) a JSON object or
/// array. No RDF library is available to this project, so the triples themselves are not parsed: functional-style (2),
/// Turtle (5) and Manchester (6) are answered 5001, as are <c>soe</c> (a SPARQL update needs a SPARQL engine) and
/// <c>vlde</c> true (semantic validation against the ontology); an IRI (1) is refused as ACME refuses it (4000).
/// </summary>
internal static class SemanticDescriptorPolicy
{
    /// <summary><c>dcrp</c>.</summary>
    public const string Representation = "dcrp";

    /// <summary><c>dsp</c>.</summary>
    public const string Descriptor = "dsp";

    /// <summary><c>soe</c>.</summary>
    public const string OperationExecution = "soe";

    /// <summary><c>vlde</c>.</summary>
    public const string ValidationEnable = "vlde";

    /// <summary><c>svd</c>.</summary>
    public const string Validated = "svd";

    private const string RdfNamespace = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    private const string OwlNamespace = "http://www.w3.org/2002/07/owl#";

    public static readonly ResourcePolicy Rules = new(
        ResourceType.SemanticDescriptor,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new("cr", "creator", ValueKind.NullOnly, Presence.Optional, Presence.NotPresent),
            new(Representation, "descriptorRepresentation", ValueKind.NonNegativeInteger, Presence.Mandatory, Presence.Optional,
                Values: new HashSet<long> { 1, 2, 3, 4, 5, 6, 7 }),
            new(Descriptor, "descriptor", ValueKind.String, Presence.Mandatory, Presence.Optional),
            new(OperationExecution, "semanticOpExec", ValueKind.String, Presence.Optional, Presence.Optional),
            new("or", "ontologyRef", ValueKind.String, Presence.Optional, Presence.Optional),
            new("rels", "relatedSemantics", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new(ValidationEnable, "validationEnable", ValueKind.Boolean, Presence.Optional, Presence.Optional),
            new(Validated, "semanticValidated", ValueKind.Boolean, Presence.NotPresent, Presence.NotPresent)),
        check: Check,
        defaults: static (attributes, _) =>
        {
            attributes.TryAdd(ValidationEnable, false);
            attributes[Validated] = false;
        });

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.ContainsKey(OperationExecution) && attributes[OperationExecution] is not null)
        {
            return new OneM2MError(ResponseStatusCode.NotImplemented, "soe (semanticOpExec) is not supported: this CSE has no SPARQL engine");
        }

        if (attributes.GetValueOrDefault(ValidationEnable) is true)
        {
            return new OneM2MError(ResponseStatusCode.NotImplemented,
                "vlde (validationEnable) true is not supported: this CSE does not validate descriptors against their ontology");
        }

        if (context.Operation == Operation.Update && attributes.ContainsKey(OperationExecution) && attributes.ContainsKey(Descriptor))
        {
            return OneM2MError.BadRequest("soe and dsp may not be updated together");
        }

        return context.Operation == Operation.Create || context.Merged ? CheckDescriptor(attributes) : null;
    }

    /// <summary>Whether <c>dsp</c> is base64 of a description in the syntax <c>dcrp</c> names; null when it is.</summary>
    public static OneM2MError? CheckDescriptor(Dictionary<string, object?> attributes)
    {
        if (attributes.GetValueOrDefault(Representation) is not long format || attributes.GetValueOrDefault(Descriptor) is not string encoded)
        {
            return null;
        }

        if (format == 1)
        {
            return OneM2MError.BadRequest("dcrp (descriptorRepresentation) 1, an IRI, is not supported as a descriptor (RDF/XML, OWL/XML, JSON-LD are)");
        }

        if (format is 2 or 5 or 6)
        {
            return new OneM2MError(ResponseStatusCode.NotImplemented,
                $"dcrp (descriptorRepresentation) {format} is not supported: only RDF/XML (4), OWL/XML (3) and JSON-LD (7) descriptors are checked");
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(encoded));
        }
        catch (Exception exception) when (exception is FormatException or DecoderFallbackException)
        {
            return OneM2MError.BadRequest($"dsp (descriptor) is not base64-encoded UTF-8 text: {exception.Message}");
        }

        var problem = format switch
        {
            4 => XmlRoot(text, "RDF", RdfNamespace, "rdf:RDF"),
            3 => XmlRoot(text, "Ontology", OwlNamespace, "owl:Ontology"),
            _ => JsonDocumentProblem(text),
        };
        return problem is null ? null : OneM2MError.BadRequest($"dsp (descriptor) is not valid for dcrp {format}: {problem}");
    }

    /// <summary>Null when <paramref name="text"/> is well-formed XML (no DTD) whose root is the named element.</summary>
    private static string? XmlRoot(string text, string name, string ns, string display)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        try
        {
            using var reader = XmlReader.Create(new StringReader(text), settings);
            reader.MoveToContent();
            if (reader.LocalName != name || reader.NamespaceURI != ns)
            {
                return $"its root element is {{{reader.NamespaceURI}}}{reader.LocalName}, not {display}";
            }

            while (reader.Read())
            {
            }

            return null;
        }
        catch (XmlException exception)
        {
            return exception.Message;
        }
    }

    private static string? JsonDocumentProblem(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? null : "JSON-LD is a JSON object or array";
        }
        catch (JsonException exception)
        {
            return exception.Message;
        }
    }
}
