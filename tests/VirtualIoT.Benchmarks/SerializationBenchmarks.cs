using System.Buffers;
using System.Formats.Cbor;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Xml;
using BenchmarkDotNet.Attributes;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Benchmarks;

/// <summary>
/// The representation layer per serialization: reading a request body (a contentInstance, an AE registration),
/// writing a response's content (a contentInstance as the platform returns it), and reading an MQTT or WebSocket
/// request primitive (through the one primitive reader, as the bindings do). The inputs of CBOR and XML are the JSON ones written by the platform's own writers, so every
/// serialization reads and writes the same tree.
/// </summary>
[MemoryDiagnoser]
public class SerializationBenchmarks
{
    private const string InstanceBody = """{"m2m:cin":{"con":"21.5","cnf":"text/plain:0","lbl":["room:kitchen","floor:1"],"rn":"reading-0001"}}""";

    private const string AeBody = """{"m2m:ae":{"rn":"thermometer-0001","api":"Nthermometer","rr":true,"srv":["3"],"poa":["http://127.0.0.1:9000/notify"],"lbl":["vendor:acme","model:t1"]}}""";

    private const string RequestPrimitive = """{"op":1,"to":"cse-in/thermometer-0001/temp","fr":"Cthermometer-0001","rqi":"r-000001","rvi":"3","ty":4,"pc":{"m2m:cin":{"con":"21.5","cnf":"text/plain:0"}}}""";

    private ReadOnlySequence<byte> _instance;
    private ReadOnlySequence<byte> _ae;
    private ReadOnlySequence<byte> _primitive;
    private Dictionary<string, object?> _response = null!;
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly CseIdentity _cse = new(new CseOptions());

    /// <summary>The serialization measured.</summary>
    [Params(ContentSerialization.Json, ContentSerialization.Cbor, ContentSerialization.Xml)]
    public ContentSerialization Serialization { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _instance = Encode(InstanceBody, request: null);
        _ae = Encode(AeBody, request: null);
        _primitive = Encode(RequestPrimitive, request: true);
        _response = Tree("""
            {"m2m:cin":{"ty":4,"ri":"cinI2zzypefF3Bx0","rn":"reading-0001","pi":"cntI2zzypefF3Bx","ct":"20261125T192802,371049",
            "lt":"20261125T192802,371049","lbl":["room:kitchen","floor:1"],"et":"20311124T192802,054922","st":1,"cs":4,
            "cnf":"text/plain:0","con":"21.5"}}
            """);
    }

    [Benchmark(Description = "read contentInstance body")]
    public bool ReadInstance() => Representation.ParseContent(Serialization, _instance).IsSuccess;

    /// <summary>
    /// The parser alone over the contentInstance body, no tree: every token of <see cref="Utf8JsonReader"/>, one
    /// <see cref="CborReader.SkipValue"/> (which reads every item), every node of an <see cref="XmlReader"/>. The floor
    /// each serialization's reader sets under "read contentInstance body".
    /// </summary>
    [Benchmark(Description = "read contentInstance body: parser alone")]
    public long ReadInstanceParserOnly()
    {
        switch (Serialization)
        {
            case ContentSerialization.Json:
                var json = new Utf8JsonReader(_instance);
                var tokens = 0L;
                while (json.Read())
                {
                    tokens++;
                }

                return tokens;
            case ContentSerialization.Cbor:
                var cbor = new CborReader(_instance.First, CborConformanceMode.Lax);
                cbor.SkipValue();
                return cbor.BytesRemaining;
            default:
                _ = MemoryMarshal.TryGetArray(_instance.First, out var segment);
                using (var stream = new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false))
                using (var xml = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit }))
                {
                    var nodes = 0L;
                    while (xml.Read())
                    {
                        nodes++;
                    }

                    return nodes;
                }
        }
    }

    [Benchmark(Description = "read AE body")]
    public bool ReadAe() => Representation.ParseContent(Serialization, _ae).IsSuccess;

    [Benchmark(Description = "write contentInstance")]
    public int WriteInstance()
    {
        _output.ResetWrittenCount();
        Representation.Write(Serialization, _output, _response);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "read request primitive")]
    public MqttRequest ReadPrimitive() => MqttRequestParser.Parse(_primitive, topic: null, _cse, Serialization);

    private ReadOnlySequence<byte> Encode(string json, bool? request)
    {
        var tree = Tree(json);
        var bytes = request is { } isRequest
            ? Representation.PrimitiveToArray(Serialization, tree, isRequest)
            : Representation.ToArray(Serialization, tree);
        return new ReadOnlySequence<byte>(bytes);
    }

    private static Dictionary<string, object?> Tree(string json) =>
        Representation.ParseAnyDocument(ContentSerialization.Json, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json))).Value!;
}
