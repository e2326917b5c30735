namespace VirtualIoT;

/// <summary>oneM2M operation (<c>op</c>).</summary>
[GenerateSerializer]
public enum Operation
{
    /// <summary>Create a child of the target.</summary>
    Create = 1,
    /// <summary>Retrieve the target (or discover below it, with <c>fu=1</c>).</summary>
    Retrieve = 2,
    /// <summary>Update the target.</summary>
    Update = 3,
    /// <summary>Delete the target and its subtree.</summary>
    Delete = 4,
    /// <summary>Notify the target.</summary>
    Notify = 5,
}

/// <summary>Result content (<c>rcn</c>, TS-0004 6.3.5.12).</summary>
[GenerateSerializer]
public enum ResultContent
{
    /// <summary>Nothing.</summary>
    Nothing = 0,
    /// <summary>Attributes of the resource.</summary>
    Attributes = 1,
    /// <summary>Hierarchical address of the created resource.</summary>
    HierarchicalAddress = 2,
    /// <summary>Hierarchical address and attributes.</summary>
    HierarchicalAddressAndAttributes = 3,
    /// <summary>Attributes and child resources.</summary>
    AttributesAndChildResources = 4,
    /// <summary>Attributes and references of child resources.</summary>
    AttributesAndChildResourceReferences = 5,
    /// <summary>References of child resources.</summary>
    ChildResourceReferences = 6,
    /// <summary>Original resource (announced resources only).</summary>
    OriginalResource = 7,
    /// <summary>Child resources.</summary>
    ChildResources = 8,
    /// <summary>Modified attributes only.</summary>
    ModifiedAttributes = 9,
    /// <summary>Semantic content.</summary>
    SemanticContent = 10,
    /// <summary>Discovery result references (R4).</summary>
    DiscoveryResultReferences = 11,
}

/// <summary>Desired identifier result type (<c>drt</c>).</summary>
[GenerateSerializer]
public enum IdentifierForm
{
    /// <summary>Structured, CSE-relative (<c>cse-in/app/temp</c>).</summary>
    Structured = 1,
    /// <summary>Unstructured, the bare resource ID.</summary>
    Unstructured = 2,
}

/// <summary>Filter usage (<c>fu</c>).</summary>
[GenerateSerializer]
public enum FilterUsage
{
    /// <summary>Discovery: list matching descendants.</summary>
    Discovery = 1,
    /// <summary>Conditional retrieval: answer only if the target matches.</summary>
    ConditionalRetrieval = 2,
    /// <summary>IPE on-demand discovery (not supported).</summary>
    IpeOnDemandDiscovery = 3,
}

/// <summary>
/// Filter criteria (<c>fc</c>, TS-0004 7.3.3.17). Timestamps are canonical oneM2M strings
/// (<see cref="OneM2MTime"/>) so that they compare ordinally.
/// </summary>
[GenerateSerializer, Immutable, Alias("VirtualIoT.FilterCriteria")]
public sealed record FilterCriteria
{
    /// <summary>Filter usage; discovery when 1.</summary>
    [Id(0)] public FilterUsage Usage { get; init; } = FilterUsage.ConditionalRetrieval;
    /// <summary><c>ty</c>: any of these types.</summary>
    [Id(1)] public IReadOnlyList<int>? ResourceTypes { get; init; }
    /// <summary><c>lbl</c>: any of these labels.</summary>
    [Id(2)] public IReadOnlyList<string>? Labels { get; init; }
    /// <summary><c>crb</c>: created before.</summary>
    [Id(3)] public string? CreatedBefore { get; init; }
    /// <summary><c>cra</c>: created after.</summary>
    [Id(4)] public string? CreatedAfter { get; init; }
    /// <summary><c>ms</c>: modified since.</summary>
    [Id(5)] public string? ModifiedSince { get; init; }
    /// <summary><c>us</c>: unmodified since.</summary>
    [Id(6)] public string? UnmodifiedSince { get; init; }
    /// <summary><c>sts</c>: state tag smaller.</summary>
    [Id(7)] public long? StateTagSmaller { get; init; }
    /// <summary><c>stb</c>: state tag bigger.</summary>
    [Id(8)] public long? StateTagBigger { get; init; }
    /// <summary><c>exb</c>: expire before.</summary>
    [Id(9)] public string? ExpireBefore { get; init; }
    /// <summary><c>exa</c>: expire after.</summary>
    [Id(10)] public string? ExpireAfter { get; init; }
    /// <summary><c>sza</c>: content size at least.</summary>
    [Id(11)] public long? SizeAbove { get; init; }
    /// <summary><c>szb</c>: content size below.</summary>
    [Id(12)] public long? SizeBelow { get; init; }
    /// <summary><c>cty</c>: any of these content types (CIN <c>cnf</c> media type).</summary>
    [Id(13)] public IReadOnlyList<string>? ContentTypes { get; init; }
    /// <summary><c>lim</c>: at most this many results.</summary>
    [Id(14)] public int? Limit { get; init; }
    /// <summary><c>ofst</c>: start at this 1-based result.</summary>
    [Id(15)] public int? Offset { get; init; }
    /// <summary><c>lvl</c>: search depth (1 = direct children).</summary>
    [Id(16)] public int? Level { get; init; }
    /// <summary><c>fo</c>: true for OR between different conditions, false (default) for AND.</summary>
    [Id(17)] public bool Or { get; init; }
    /// <summary>Attribute conditions (<c>atr</c>): short name and wanted value (<c>*</c> wildcards allowed).</summary>
    [Id(18)] public IReadOnlyList<KeyValuePair<string, string>>? Attributes { get; init; }
    /// <summary><c>gmty</c>: the geo-query's geometry type (with <see cref="Geometry"/> and <see cref="GeoSpatialFunction"/>).</summary>
    [Id(19)] public GeometryType? GeometryType { get; init; }
    /// <summary><c>geom</c>: the geo-query's coordinates, GeoJSON text as <see cref="GeoLocation"/> reads it.</summary>
    [Id(20)] public string? Geometry { get; init; }
    /// <summary><c>gsf</c>: how the geometry must relate to a resource's <c>loc</c>.</summary>
    [Id(21)] public GeoSpatialFunction? GeoSpatialFunction { get; init; }
}

/// <summary>
/// A oneM2M request primitive after the binding has parsed it: the same record serves HTTP and MQTT.
/// <see cref="Content"/> is the inner object of the representation (the value under <see cref="ContentRoot"/>)
/// as a neutral value tree: null, bool, long, double, string, <c>List&lt;object?&gt;</c>, <c>Dictionary&lt;string, object?&gt;</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("VirtualIoT.ResourceRequest")]
public sealed record ResourceRequest
{
    /// <summary><c>op</c>.</summary>
    [Id(0)] public required Operation Operation { get; init; }
    /// <summary><c>fr</c>, normalised to an AE-ID stem or a CSE-ID; empty when absent.</summary>
    [Id(1)] public required string Originator { get; init; }
    /// <summary><c>rqi</c>.</summary>
    [Id(2)] public required string RequestIdentifier { get; init; }
    /// <summary><c>rvi</c>, or null when absent.</summary>
    [Id(3)] public string? ReleaseVersion { get; init; }
    /// <summary><c>ty</c> of the resource to create.</summary>
    [Id(4)] public ResourceType? ResourceType { get; init; }
    /// <summary>Root key of the content (<c>m2m:cnt</c>).</summary>
    [Id(5)] public string? ContentRoot { get; init; }
    /// <summary>The resource attributes sent, by short name.</summary>
    [Id(6)] public Dictionary<string, object?>? Content { get; init; }
    /// <summary><c>rcn</c>, null for the operation's default.</summary>
    [Id(7)] public ResultContent? ResultContent { get; init; }
    /// <summary><c>drt</c>.</summary>
    [Id(8)] public IdentifierForm IdentifierForm { get; init; } = IdentifierForm.Structured;
    /// <summary><c>fc</c>.</summary>
    [Id(9)] public FilterCriteria? Filter { get; init; }
    /// <summary>
    /// What the request addresses inside the grain it was sent to: null for the grain's resource itself,
    /// <c>la</c> / <c>ol</c> for a container's virtual resources, or a content instance's ID or name.
    /// </summary>
    [Id(10)] public string? SubTarget { get; init; }
    /// <summary>Partial retrieve (<c>atrl</c>): only these attributes.</summary>
    [Id(11)] public IReadOnlyList<string>? AttributeList { get; init; }

    /// <summary>
    /// For a structured address, the resource name the binding resolved the target grain by. A grain whose
    /// resource has another name answers "target missing", so a binding's cached address never reaches a resource
    /// re-created under a different name with the same ID (an AE-ID registered again).
    /// </summary>
    [Id(12)] public string? ExpectedName { get; init; }

    /// <summary>
    /// The IP address the request came from, as the binding saw it (HTTP: the connection's remote address), for
    /// access control rules with <c>acip</c>; null when unknown.
    /// </summary>
    [Id(13)] public string? OriginatorAddress { get; init; }

    /// <summary>
    /// Cluster-internal, never read from the wire: for an update of a resource with a blocking update subscription
    /// (<c>net</c> 7), the <see cref="BlockingUpdateApproval.Token"/> whose notification the subscriber answered 2000.
    /// The resource commits the update only when the token still describes its state and subscription.
    /// </summary>
    [Id(14)] public string? BlockingApproval { get; init; }

    /// <summary>
    /// <c>rqet</c> (<c>X-M2M-RET</c>) as the binding read it, or null: how long a retrieve of a polling channel's
    /// <c>pcu</c> may wait for something to be queued.
    /// </summary>
    [Id(15)] public DateTimeOffset? RequestExpiration { get; init; }

    /// <summary>
    /// <c>rset</c> (<c>X-M2M-RST</c>) as the binding read it, or null: a fan-out through a group's <c>fopt</c>
    /// aggregates only the members that answered by then.
    /// </summary>
    [Id(16)] public DateTimeOffset? ResultExpiration { get; init; }

    /// <summary><c>rt</c>: what the originator asked for; a fan-out past its <c>rset</c> answers blocking requests 4008.</summary>
    [Id(17)] public ResponseType ResponseType { get; init; } = ResponseType.Blocking;

    /// <summary>
    /// <c>gid</c> (<c>X-M2M-GID</c>, Group Request Identifier, TS-0001 8.1.2), or null: a target that already received a
    /// request with this identifier answers 4104.
    /// </summary>
    [Id(18)] public string? GroupRequestIdentifier { get; init; }

    /// <summary>
    /// The binding that received the request (<c>http</c>, <c>mqtt</c>, <c>ws</c>) when it left Orleans' request
    /// context without a <see cref="RequestOrigin"/> (a binding inside a one-silo cluster, where every request is
    /// served on the silo it arrived at): the resource grain counts it as served locally. Null otherwise.
    /// </summary>
    [Id(19)] public string? Binding { get; init; }

    /// <summary>
    /// Cluster-internal, set by the request pipeline only: the dynamic authorization consultations (resource IDs) the
    /// target inherits from its nearest ancestor with a <c>daci</c>, used when the target has none of its own. Null
    /// otherwise; never taken from a client.
    /// </summary>
    [Id(20)] public IReadOnlyList<string>? InheritedConsultations { get; init; }
}

/// <summary>
/// What a resource with a blocking update subscription (<c>net</c> 7, TS-0001 10.2.11.x) answers an update that
/// needs the subscriber's approval: nothing is changed yet; the dispatcher sends the notification (outside the
/// resource's turn), and on the subscriber's 2000 repeats the update with <see cref="Token"/> as
/// <see cref="ResourceRequest.BlockingApproval"/>.
/// </summary>
/// <param name="SubscriptionId">The blocking update subscription.</param>
/// <param name="Token">Names the subscription and the resource's state the approval is for; a changed state asks again.</param>
/// <param name="Representation">The attributes the update sets (<c>nct</c> 2), under the resource's root key, for <c>nev/rep</c>.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.BlockingUpdateApproval")]
public sealed record BlockingUpdateApproval(
    [property: Id(0)] string SubscriptionId,
    [property: Id(1)] string Token,
    [property: Id(2)] Dictionary<string, object?> Representation);

/// <summary>A response primitive before binding: status, content tree and what the binding needs for headers.</summary>
/// <param name="StatusCode"><c>rsc</c>.</param>
/// <param name="Content"><c>pc</c> as a neutral value tree with its root key (<c>{"m2m:cnt":{…}}</c>), or null.</param>
/// <param name="Message">Reason for an error, sent as <c>m2m:dbg</c>.</param>
/// <param name="Location">Address of a created resource (HTTP <c>Content-Location</c>).</param>
/// <param name="TargetMissing">True when the addressed grain holds no resource (lets a gateway drop a stale address cache entry).</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.ResourceResponse")]
public sealed record ResourceResponse(
    [property: Id(0)] ResponseStatusCode StatusCode,
    [property: Id(1)] object? Content = null,
    [property: Id(2)] string? Message = null,
    [property: Id(3)] string? Location = null,
    [property: Id(4)] bool TargetMissing = false)
{
    /// <summary>
    /// For a failure the client should repeat later (the cluster could not reach the target just now): the seconds to
    /// wait, sent as HTTP <c>Retry-After</c>; null otherwise.
    /// </summary>
    [Id(5)] public int? RetryAfterSeconds { get; init; }

    /// <summary>
    /// Cluster-internal: set (with status 1000, nothing changed) when an update waits for the approval of a blocking
    /// update subscription; the dispatcher obtains it and repeats the update. Never sent to a client.
    /// </summary>
    [Id(6)] public BlockingUpdateApproval? AwaitsApproval { get; init; }

    /// <summary>
    /// Cluster-internal: set on a 4103 when the target names dynamic authorization consultations (<c>daci</c>); the
    /// dispatcher consults them and repeats the request. Never sent to a client.
    /// </summary>
    [Id(7)] public DynamicAuthorizationQuery? ConsultFirst { get; init; }

    /// <summary>An error response.</summary>
    public static ResourceResponse Error(OneM2MError error) => new(error.Code, Message: error.Message);

    /// <summary>An error response.</summary>
    public static ResourceResponse Error(ResponseStatusCode code, string message) => new(code, Message: message);

    /// <summary>4004 for an addressed resource that does not exist.</summary>
    public static ResourceResponse Missing(string message = "resource does not exist") =>
        new(ResponseStatusCode.NotFound, Message: message, TargetMissing: true);
}
