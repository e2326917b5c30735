using System.Net.Http.Headers;
using System.Text;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Malformed requests of the HTTP binding (docs/protocol.md §3.1, §6, §12; TS-0009): each gets its oneM2M status with
/// <c>X-M2M-RSC</c>, the echoed <c>X-M2M-RI</c> and an <c>m2m:dbg</c>, never a 500.
/// </summary>
[Collection(CseCollection.Name)]
public sealed class ProtocolErrorTests(CseFixture fixture)
{
    private OneM2MClient Client => fixture.Client;

    private const string ValidContainer = """{"m2m:cnt":{}}""";

    public static TheoryData<string, string, int> BadBodies => new()
    {
        // Content-Type, body, expected RSC; the comment names the case.
        { "application/json;ty=3", """{"m2m:cnt":{""", 4000 }, // malformed JSON
        { "application/json;ty=3", """{"m2m:cnt":{"rn":"x",}}""", 4000 }, // trailing comma
        { "application/json;ty=3", "", 4000 }, // empty body
        { "application/json;ty=3", "   ", 4000 }, // whitespace body
        { "application/json;ty=3", "null", 4000 }, // JSON null
        { "application/json;ty=3", "[]", 4000 }, // JSON array
        { "application/json;ty=3", """{"m2m:cnt":{}}{"m2m:cnt":{}}""", 4000 }, // two documents
        { "application/json;ty=3", """{"m2m:cnt":{},"m2m:cin":{}}""", 4000 }, // two root keys
        { "application/json;ty=3", """{"m2m:cnt":"x"}""", 4000 }, // root value not an object
        { "application/json;ty=29", """{"m2m:ts":{"pei":1000,"peid":600}}""", 4000 }, // timeSeries: peid above pei/2
        { "application/json;ty=3", """{"m2m:cin":{"con":"x"}}""", 4000 }, // root key not matching ty
        { "application/json;ty=3", """{"cnt":{}}""", 4000 }, // root key without m2m prefix
        { "application/json;ty=3", """{"m2m:cnt":{"lbl":["a"],"lbl":["b"]}}""", 4000 }, // duplicate attribute
        { "application/json;ty=999", ValidContainer, 4000 }, // unknown ty
        { "application/json;ty=abc", ValidContainer, 4000 }, // non-numeric ty
        { "application/json;ty=0", ValidContainer, 4000 }, // ty 0
        { "application/json;ty=1", """{"m2m:acp":{"pv":{"acr":[]},"pvs":{"acr":[]}}}""", 4000 }, // ACP whose pvs has no rule
        { "application/json;ty=48", """{"m2m:crs":{"twt":1,"tws":"PT5S","nu":["http://127.0.0.1:9/n"]}}""", 4000 }, // crossResourceSubscription without rrat or srat
        { "application/json;ty=28", """{"cod:tempe":{"cnd":"x","curT0":1.5}}""", 4000 }, // flexContainer: cnd not the specialization's
        { "application/json", ValidContainer, 4000 }, // POST without ty is a notify to a non-notifiable target
        { "text/plain;ty=3", ValidContainer, 4015 }, // unsupported media type
        { "application/yaml;ty=3", "m2m:cnt: {}", 4015 }, // a serialization the CSE does not read
        { "application/xml;ty=3", "<m2m:cnt/>", 4000 }, // malformed XML (undeclared prefix)
        { "application/cbor;ty=3", "x", 4000 }, // malformed CBOR (a text string cut short)
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Create_with_a_bad_body_or_content_type_answers_its_status(string contentType, string body, int rsc)
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Send(HttpMethod.Post, "/cse-in/" + aeId, aeId, body, contentType);

        Answered(response, rsc);
        Assert.Empty(UriList(await Client.Discover("/cse-in/" + aeId, aeId)));
    }

    [Theory]
    [InlineData("application/json;ty=3")]
    [InlineData("application/json; ty=3")]
    [InlineData("application/vnd.onem2m-res+json;ty=3")]
    [InlineData("APPLICATION/JSON;TY=3")]
    [InlineData("application/json;charset=utf-8;ty=3")]
    public async Task Create_accepts_every_JSON_content_type_form(string contentType)
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Send(HttpMethod.Post, "/cse-in/" + aeId, aeId, ValidContainer, contentType);

        Answered(response, 2001);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Ty_on_an_operation_other_than_create_answers_4000(string method)
    {
        var aeId = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        var body = method == "PUT" ? """{"m2m:cnt":{"lbl":["x"]}}""" : "";

        var response = await Client.Send(new HttpMethod(method), container, aeId, body, "application/json;ty=3");

        Answered(response, 4000);
        Answered(await Client.Retrieve(container, aeId), 2000);
    }

    [Fact]
    public async Task Update_with_an_empty_body_answers_4000()
    {
        var aeId = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);

        var response = await Client.Send(HttpMethod.Put, container, aeId, "", "application/json");

        Answered(response, 4000);
    }

    [Fact]
    public async Task Update_with_malformed_JSON_answers_4000()
    {
        var aeId = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);

        var response = await Client.Update(container, aeId, """{"m2m:cnt":{"lbl":[}}""");

        Answered(response, 4000);
    }

    [Fact]
    public async Task Request_without_a_request_identifier_answers_4000()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/cse-in");
        request.Headers.TryAddWithoutValidation("X-M2M-Origin", OneM2MClient.Admin);
        request.Headers.TryAddWithoutValidation("X-M2M-RVI", "3");

        var response = await Client.Send(request, null);

        Answered(response, 4000);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("5")]
    [InlineData("x")]
    public async Task Unsupported_release_version_answers_4001(string rvi)
    {
        var response = await Client.Send(HttpMethod.Get, "/cse-in", OneM2MClient.Admin, rvi: rvi);

        Answered(response, 4001);
    }

    [Theory]
    [InlineData("2a")]
    [InlineData("3")]
    [InlineData("4")]
    public async Task Supported_release_version_is_accepted_and_echoed(string rvi)
    {
        var response = await Client.Send(HttpMethod.Get, "/cse-in", OneM2MClient.Admin, rvi: rvi);

        Answered(response, 2000);
        Assert.Equal(rvi, response.Headers["X-M2M-RVI"]);
    }

    [Fact]
    public async Task Absent_release_version_is_accepted()
    {
        var response = await Client.Send(HttpMethod.Get, "/cse-in", OneM2MClient.Admin, rvi: null);

        Answered(response, 2000);
    }

    [Fact]
    public async Task AE_registration_without_a_release_version_is_accepted()
    {
        var aeId = OneM2MClient.NewName("C");

        var response = await Client.Send(HttpMethod.Post, "/cse-in", aeId,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nlegacy","rr":false,"srv":["3"]}}""", "application/json;ty=2", rvi: null);

        Answered(response, 2001);
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("application/yaml")]
    [InlineData("text/*")]
    public async Task Accept_without_a_supported_type_answers_5207(string accept)
    {
        var response = await Client.Send(HttpMethod.Get, "/cse-in", OneM2MClient.Admin,
            headers: new Dictionary<string, string> { ["Accept"] = accept });

        Assert.Equal(5207, response.Rsc);
        Assert.Equal(System.Net.HttpStatusCode.NotAcceptable, response.Status);
        Assert.Equal(response.SentRequestId, response.EchoedRequestId);
    }

    [Theory]
    [InlineData("*/*")]
    [InlineData("application/*")]
    [InlineData("application/vnd.onem2m-res+json")]
    [InlineData("text/html, application/json;q=0.5")]
    public async Task Accept_admitting_JSON_is_answered_in_JSON(string accept)
    {
        var response = await Client.Send(HttpMethod.Get, "/cse-in", OneM2MClient.Admin,
            headers: new Dictionary<string, string> { ["Accept"] = accept });

        Answered(response, 2000);
        Assert.NotNull(response.Json?["m2m:cb"]);
    }

    [Fact]
    public async Task Oversized_body_answers_4000()
    {
        var aeId = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        var huge = new string('x', 2 * 1024 * 1024);

        var response = await Client.Create(container, aeId, 4, $$$"""{"m2m:cin":{"con":"{{{huge}}}"}}""");

        Answered(response, 4000);
        Answered(await Client.Retrieve(container + "/la", aeId), 4004);
    }

    [Fact]
    public async Task Oversized_chunked_body_answers_4000()
    {
        var aeId = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        using var request = new HttpRequestMessage(HttpMethod.Post, container);
        request.Headers.TryAddWithoutValidation("X-M2M-Origin", aeId);
        request.Headers.TryAddWithoutValidation("X-M2M-RI", "chunked1");
        request.Headers.TryAddWithoutValidation("X-M2M-RVI", "3");
        var huge = Encoding.UTF8.GetBytes($$$"""{"m2m:cin":{"con":"{{{new string('x', 2 * 1024 * 1024)}}}"}}""");
        request.Content = new StreamContent(new MemoryStream(huge));
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json;ty=4");
        request.Headers.TransferEncodingChunked = true;

        var response = await Client.Send(request, "chunked1");

        Answered(response, 4000);
    }

    [Fact]
    public async Task Instance_just_under_the_body_limit_is_accepted()
    {
        var aeId = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);
        var large = new string('x', 900 * 1024);

        var response = await Client.Create(container, aeId, 4, $$$"""{"m2m:cin":{"con":"{{{large}}}"}}""", "?rcn=0");

        Answered(response, 2001);
    }

    [Theory]
    [InlineData("PATCH")]
    [InlineData("OPTIONS")]
    [InlineData("TRACE")]
    public async Task Method_outside_the_binding_answers_4005(string method)
    {
        var response = await Client.Send(new HttpMethod(method), "/cse-in", OneM2MClient.Admin);

        Answered(response, 4005);
    }

    [Fact]
    public async Task Head_is_answered_with_an_RSC_and_no_500()
    {
        var response = await Client.Send(HttpMethod.Head, "/cse-in", OneM2MClient.Admin);

        Assert.NotEqual(0, response.Rsc);
        Assert.NotEqual(5000, response.Rsc);
        Assert.True((int)response.Status < 500 || response.Rsc == 5001, $"HEAD answered {(int)response.Status}/{response.Rsc}");
    }

    [Fact]
    public async Task Retrieve_without_an_originator_answers_with_an_error_status()
    {
        var response = await Client.Send(HttpMethod.Get, "/cse-in", null);

        AnsweredOneOf(response, 4000, 4103);
    }

    [Fact]
    public async Task Container_create_without_an_originator_answers_with_an_error_status()
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Send(HttpMethod.Post, "/cse-in/" + aeId, null, ValidContainer, "application/json;ty=3");

        AnsweredOneOf(response, 4000, 4103);
    }

    [Theory]
    [InlineData("rt=0", 4000)]
    [InlineData("rt=9", 4000)]
    [InlineData("drt=9", 4000)]
    [InlineData("fu=3", 5001)]
    [InlineData("rcn=abc", 4000)]
    [InlineData("rcn=1&rcn=1", 4000)]
    [InlineData("lbq=a", 5001)]
    [InlineData("c.lbl=a", 5001)]
    [InlineData("da=true", 5001)]
    [InlineData("da=maybe", 4000)]
    public async Task Unsupported_or_invalid_query_parameter_answers_its_status(string query, int rsc)
    {
        var response = await Client.Retrieve("/cse-in?" + query, OneM2MClient.Admin);

        Answered(response, rsc);
    }

    [Theory]
    [InlineData("ty=3&fu=1")]
    [InlineData("lbl=a")]
    public async Task Filter_criteria_on_a_create_answer_4000(string query)
    {
        var aeId = await Client.RegisterAe();

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, ValidContainer, "?" + query);

        Answered(response, 4000);
    }

    [Fact]
    public async Task Unknown_request_headers_are_ignored()
    {
        var response = await Client.Send(HttpMethod.Get, "/cse-in", OneM2MClient.Admin,
            headers: new Dictionary<string, string> { ["X-M2M-Unknown"] = "1", ["X-Whatever"] = "y" });

        Answered(response, 2000);
    }

    [Fact]
    public async Task Header_names_are_case_insensitive()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/cse-in");
        request.Headers.TryAddWithoutValidation("x-m2m-origin", OneM2MClient.Admin);
        request.Headers.TryAddWithoutValidation("x-m2m-ri", "lower1");
        request.Headers.TryAddWithoutValidation("x-m2m-rvi", "3");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var response = await Client.Send(request, "lower1");

        Answered(response, 2000);
    }

    [Fact]
    public async Task Request_identifier_is_echoed_exactly()
    {
        const string rqi = "Weird-ID_123.abc~";
        var response = await Client.Send(HttpMethod.Get, "/cse-in/nothere-at-all", OneM2MClient.Admin,
            headers: new Dictionary<string, string> { ["X-M2M-RI"] = rqi });

        Assert.Equal(4004, response.Rsc);
        Assert.Equal(rqi, response.EchoedRequestId);
    }

    [Theory]
    [InlineData("/cse-in//x")]
    [InlineData("/~/")]
    [InlineData("/_/")]
    [InlineData("/cse-in/%2F%2F")]
    [InlineData("/cse-in/a%20b")]
    public async Task Odd_paths_answer_4004_or_4000_never_500(string path)
    {
        var response = await Client.Retrieve(path, OneM2MClient.Admin);

        AnsweredOneOf(response, 4000, 4004);
    }

    [Fact]
    public async Task Deeply_nested_JSON_answers_4000()
    {
        var aeId = await Client.RegisterAe();
        var deep = new string('[', 200) + new string(']', 200);

        var response = await Client.Create("/cse-in/" + aeId, aeId, 3, $$$"""{"m2m:cnt":{"lbl":{{{deep}}}}}""");

        Answered(response, 4000);
    }

    [Fact]
    public async Task Invalid_UTF8_body_answers_4000()
    {
        var aeId = await Client.RegisterAe();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/cse-in/" + aeId);
        request.Headers.TryAddWithoutValidation("X-M2M-Origin", aeId);
        request.Headers.TryAddWithoutValidation("X-M2M-RI", "utf1");
        request.Headers.TryAddWithoutValidation("X-M2M-RVI", "3");
        var bytes = Encoding.UTF8.GetBytes("""{"m2m:cnt":{"rn":"XX"}}""");
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xC3;
        bytes[Array.LastIndexOf(bytes, (byte)'X')] = 0x28;
        request.Content = new ByteArrayContent(bytes);
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json;ty=3");

        var response = await Client.Send(request, "utf1");

        Answered(response, 4000);
    }
}
