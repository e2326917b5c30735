using System.Text;
using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Tests.Bindings.SuiteContent;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// The <c>&lt;semanticDescriptor&gt;</c> (ty 24) over HTTP and MQTT: a descriptor checked in the syntax its
/// <c>dcrp</c> names on create and update (4000 naming what is wrong), what needs a SPARQL engine or an ontology
/// answered 5001, discovery, access control and deletion as for every resource.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class SemanticDescriptorSuiteTests(BindingsFixture fixture)
{
    private const string RdfXml = """
        <?xml version="1.0"?>
        <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:m4="http://www.onem2m.org/ontology/Base_Ontology/base_ontology#">
          <m4:Device rdf:about="http://example.com/lamp"><m4:hasName>lamp</m4:hasName></m4:Device>
        </rdf:RDF>
        """;

    public static TheoryData<string> Bindings() => ["http", "mqtt"];

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static Dictionary<string, object?> Descriptor(long format, string text, params (string Name, object? Value)[] more) =>
        Tree("m2m:smd", [("dcrp", format), ("dsp", Base64(text)), .. more]);

    private Task<(IBindingClient Client, string AeId)> RegisterAsync(string binding) =>
        SuiteContent.RegisterAsync(fixture, binding, ContentSerialization.Json, "smd");

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_descriptor_is_checked_kept_updated_and_discovered(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding);
        await using var _ = client;
        var ae = "cse-in/" + aeId;
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", "lamp"))))).Rsc);

        var created = await client.SendAsync(new TestPrimitive(1, ae + "/lamp", aeId, 24,
            Descriptor(4, RdfXml, ("rn", "sem"), ("or", "http://www.onem2m.org/ontology/Base_Ontology"), ("rels", List("cse-in/other")))));
        var jsonLd = await client.SendAsync(new TestPrimitive(1, ae, aeId, 24, Descriptor(7, """{"@id":"http://example.com/lamp"}""")));
        var byType = await client.SendAsync(new TestPrimitive(2, ae + "/lamp", aeId, Parameters: new Dictionary<string, string> { ["fu"] = "1", ["ty"] = "24" }));
        var updated = await client.SendAsync(new TestPrimitive(3, ae + "/lamp/sem", aeId,
            Content: Tree("m2m:smd", ("dsp", Base64(RdfXml.Replace("lamp</m4:hasName>", "bulb</m4:hasName>", StringComparison.Ordinal))))));
        var badUpdate = await client.SendAsync(new TestPrimitive(3, ae + "/lamp/sem", aeId, Content: Tree("m2m:smd", ("dcrp", 3L))));
        var (stranger, strangerId) = await RegisterAsync(binding);
        await using var __ = stranger;
        var outsider = await stranger.SendAsync(new TestPrimitive(2, ae + "/lamp/sem", strangerId));
        var semanticQuery = await client.SendAsync(new TestPrimitive(2, ae, aeId, Parameters: new Dictionary<string, string> { ["fu"] = "1", ["sqi"] = "true" }));
        var retrieved = await client.SendAsync(new TestPrimitive(2, ae + "/lamp/sem", aeId));
        var deleted = await client.SendAsync(new TestPrimitive(4, ae + "/lamp/sem", aeId));

        Assert.True(created.Rsc == 2001, created.ToString());
        var descriptor = created.Resource("m2m:smd");
        Assert.Equal(24L, descriptor["ty"]);
        Assert.StartsWith("smd", (string)descriptor["ri"]!, StringComparison.Ordinal);
        Assert.Equal(false, descriptor["svd"]);
        Assert.Equal(false, descriptor["vlde"]);
        Assert.True(jsonLd.Rsc == 2001, jsonLd.ToString());
        Assert.Equal(List(ae + "/lamp/sem"), byType.Content?["m2m:uril"]);
        Assert.True(updated.Rsc == 2004, updated.ToString());
        Assert.Contains("bulb", Encoding.UTF8.GetString(Convert.FromBase64String((string)retrieved.Resource("m2m:smd")["dsp"]!)), StringComparison.Ordinal);
        Assert.True(badUpdate.Rsc == 4000, badUpdate.ToString());
        Assert.Contains("owl:Ontology", badUpdate.Debug, StringComparison.Ordinal);
        Assert.True(outsider.Rsc == 4103, outsider.ToString());
        Assert.True(semanticQuery.Rsc == 5001, semanticQuery.ToString());
        Assert.Equal(2002, deleted.Rsc);
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task Bad_descriptors_are_refused_with_a_reason(string binding)
    {
        var (client, aeId) = await RegisterAsync(binding);
        await using var _ = client;
        var ae = "cse-in/" + aeId;
        Task<TestAnswer> Create(Dictionary<string, object?> content) => client.SendAsync(new TestPrimitive(1, ae, aeId, 24, content));

        var cases = new (string What, TestAnswer Answer, int Rsc, string Mentions)[]
        {
            ("no dcrp", await Create(Tree("m2m:smd", ("dsp", Base64(RdfXml)))), 4000, "dcrp"),
            ("no dsp", await Create(Tree("m2m:smd", ("dcrp", 4L))), 4000, "dsp"),
            ("dcrp 9", await Create(Descriptor(9, RdfXml)), 4000, "dcrp"),
            ("not base64", await Create(Tree("m2m:smd", ("dcrp", 4L), ("dsp", "not base64!"))), 4000, "base64"),
            ("not XML", await Create(Descriptor(4, "<rdf:RDF")), 4000, "dsp"),
            ("other root", await Create(Descriptor(4, "<root/>")), 4000, "rdf:RDF"),
            ("a DTD", await Create(Descriptor(4, "<!DOCTYPE x [<!ENTITY e 'x'>]><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/>")), 4000, "dsp"),
            ("bad JSON-LD", await Create(Descriptor(7, "[1,")), 4000, "dsp"),
            ("an IRI", await Create(Descriptor(1, "http://example.com/x")), 4000, "IRI"),
            ("Turtle", await Create(Descriptor(5, "<a> <b> <c> .")), 5001, "dcrp"),
            ("soe", await Create(Descriptor(4, RdfXml, ("soe", "INSERT DATA {}"))), 5001, "SPARQL"),
            ("vlde true", await Create(Descriptor(4, RdfXml, ("vlde", true))), 5001, "vlde"),
            ("svd given", await Create(Descriptor(4, RdfXml, ("svd", true))), 4000, "svd"),
        };

        foreach (var (what, answer, rsc, mentions) in cases)
        {
            Assert.True(answer.Rsc == rsc, $"{what}: expected {rsc}, got {answer}");
            Assert.Contains(mentions, answer.Debug ?? "", StringComparison.Ordinal);
        }
    }
}
