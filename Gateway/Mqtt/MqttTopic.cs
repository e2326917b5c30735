namespace VirtualIoT.Gateway.Mqtt;

/// <summary>What a topic is to the oneM2M MQTT binding.</summary>
public enum MqttTopicKind
{
    /// <summary>Not under <c>/oneM2M/</c>: the broker treats it as any broker would.</summary>
    Plain,
    /// <summary>Under <c>/oneM2M/</c> but not one of the binding's topic shapes.</summary>
    Malformed,
    /// <summary><c>/oneM2M/req/&lt;originator&gt;/&lt;this CSE&gt;/&lt;suffix&gt;</c>: a request to this CSE.</summary>
    Request,
    /// <summary><c>/oneM2M/reg_req/&lt;credential&gt;/&lt;this CSE&gt;/&lt;suffix&gt;</c>: an AE registration to this CSE.</summary>
    Registration,
    /// <summary>
    /// A topic only this CSE publishes on: its responses (<c>resp</c>, <c>reg_resp</c> to
    /// <c>&lt;x&gt;/&lt;this CSE&gt;</c>) and its own requests (<c>req/&lt;this CSE&gt;/&lt;x&gt;</c>, notifications).
    /// </summary>
    CseOnly,
    /// <summary><c>/oneM2M/resp/&lt;this CSE&gt;/&lt;originator&gt;/…</c>: an AE's response to a request of this CSE.</summary>
    ResponseToCse,
    /// <summary>A well-formed oneM2M topic between other parties (another receiver CSE): passed on as a plain broker.</summary>
    Foreign,
}

/// <summary>
/// A topic of the oneM2M MQTT binding (TS-0010 6.3): <c>/oneM2M/&lt;kind&gt;/&lt;originator&gt;/&lt;receiver&gt;/&lt;suffix&gt;</c>,
/// IDs written without their leading slash and with other slashes as colons (<see cref="ToTopicId"/>).
/// </summary>
/// <param name="Kind">What the topic is.</param>
/// <param name="Originator">The originator (or credential) segment; empty for plain and malformed topics.</param>
/// <param name="Suffix">The serialization suffix (<c>json</c>, <c>xml</c>, <c>cbor</c> or anything else sent).</param>
public readonly record struct MqttTopic(MqttTopicKind Kind, string Originator, string Suffix)
{
    private const string Prefix = "/oneM2M/";

    /// <summary>The suffix of JSON serialization, the only one this CSE reads.</summary>
    public const string Json = "json";

    /// <summary>Classifies <paramref name="topic"/> as seen by the CSE whose topic ID is <paramref name="cseTopicId"/> (<c>id-in</c>).</summary>
    public static MqttTopic Parse(string topic, string cseTopicId)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(cseTopicId);
        if (!topic.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return new MqttTopic(MqttTopicKind.Plain, "", "");
        }

        var rest = topic.AsSpan(Prefix.Length);
        Span<Range> ranges = stackalloc Range[5];
        var count = rest.Split(ranges, '/');
        if (count != 4)
        {
            return new MqttTopic(MqttTopicKind.Malformed, "", "");
        }

        var kind = rest[ranges[0]];
        var first = rest[ranges[1]];
        var second = rest[ranges[2]];
        var suffix = rest[ranges[3]];
        if (first.IsEmpty || second.IsEmpty || suffix.IsEmpty)
        {
            return new MqttTopic(MqttTopicKind.Malformed, "", "");
        }

        var toCse = second.SequenceEqual(cseTopicId);
        var fromCse = first.SequenceEqual(cseTopicId);
        var result = kind switch
        {
            "req" when toCse => MqttTopicKind.Request,
            "req" when fromCse => MqttTopicKind.CseOnly,
            "reg_req" when toCse => MqttTopicKind.Registration,
            "resp" or "reg_resp" when toCse => MqttTopicKind.CseOnly,
            "resp" when fromCse => MqttTopicKind.ResponseToCse,
            "req" or "resp" or "reg_req" or "reg_resp" => MqttTopicKind.Foreign,
            _ => MqttTopicKind.Malformed,
        };

        if (result == MqttTopicKind.Malformed)
        {
            return new MqttTopic(MqttTopicKind.Malformed, "", "");
        }

        var originator = result == MqttTopicKind.ResponseToCse ? second.ToString() : first.ToString();
        return new MqttTopic(result, originator, suffix.ToString());
    }

    /// <summary>
    /// An ID in topic form (TS-0010 6.3): the leading slash dropped, other slashes replaced by colons
    /// (<c>/id-in</c> is <c>id-in</c>, <c>//sp/id-in</c> is <c>:sp:id-in</c>, <c>Cmyapp</c> stays).
    /// </summary>
    public static string ToTopicId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var trimmed = id.StartsWith('/') ? id[1..] : id;
        return trimmed.Contains('/', StringComparison.Ordinal) ? trimmed.Replace('/', ':') : trimmed;
    }

    /// <summary>The response topic for a request on this topic (<c>resp</c> or <c>reg_resp</c>, same originator and suffix).</summary>
    public string ResponseTopic(string cseTopicId) =>
        string.Concat(Kind == MqttTopicKind.Registration ? "/oneM2M/reg_resp/" : "/oneM2M/resp/", Originator, "/", cseTopicId, "/", Suffix);
}
