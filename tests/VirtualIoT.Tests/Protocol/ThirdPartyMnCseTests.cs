using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Evidence that an MN-CSE following the standard, not VirtualIoT, can register to VirtualIoT as its IN-CSE and work
/// with it: the MN is played by raw HTTP primitives written from TS-0001 10.1.1.2 / TS-0004 7.4.4 / TS-0009 (plain
/// <see cref="HttpClient"/> requests with the headers and bodies a standard MN sends, in the order ACME's registration
/// sends them) and by <see cref="ThirdPartyMn"/>, a small HTTP endpoint at its point of access answering as an MN
/// would. The platform under test is the shared one (an IN-CSE, <c>/id-in</c>).
/// </summary>
[Collection(CseCollection.Name)]
public class ThirdPartyMnCseTests(CseFixture fixture) : IAsyncLifetime
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.BaseAddress };
    private readonly ThirdPartyMn _mn = new("/" + OneM2MClient.NewName("id-tp"));
    private int _requests;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _mn.DisposeAsync();
        _http.Dispose();
    }

    /// <summary>A request exactly as an MN-CSE sends it over TS-0009: X-M2M-Origin, X-M2M-RI, X-M2M-RVI, and for a create <c>ty</c> in Content-Type.</summary>
    private async Task<(int Rsc, HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> Send(HttpMethod method, string path, string originator,
        string? body = null, int? ty = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("X-M2M-Origin", originator);
        request.Headers.TryAddWithoutValidation("X-M2M-RI", "tp-" + Interlocked.Increment(ref _requests).ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("X-M2M-RVI", "3");
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.Remove("Content-Type");
            request.Content.Headers.TryAddWithoutValidation("Content-Type", ty is { } type ? $"application/json;ty={type}" : "application/json");
        }

        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var rsc = int.Parse(response.Headers.GetValues("X-M2M-RSC").Single(), CultureInfo.InvariantCulture);
        Assert.Equal(request.Headers.GetValues("X-M2M-RI").Single(), response.Headers.GetValues("X-M2M-RI").Single());
        return (rsc, response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null, response);
    }

    /// <summary>TS-0001 10.1.1.2.1 as ACME does it: CREATE its <c>&lt;remoteCSE&gt;</c> at the IN, read it back, read the IN's CSEBase.</summary>
    private async Task<JsonNode> Register()
    {
        var csi = _mn.CseId;
        var created = await Send(HttpMethod.Post, "/cse-in", csi,
            $$$"""{"m2m:csr":{"rn":"{{{csi[1..]}}}","csi":"{{{csi}}}","cb":"{{{csi}}}/cse-mn","cst":2,"rr":true,"poa":["{{{_mn.Url}}}"],"srv":["3","4"],"csz":["application/json"],"dcse":[]}}""", 16);
        Assert.Equal(2001, created.Rsc);
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var ownCsr = await Send(HttpMethod.Get, $"/cse-in/{csi[1..]}", csi);
        Assert.Equal(2000, ownCsr.Rsc);
        var registrar = await Send(HttpMethod.Get, "/cse-in", csi);
        Assert.Equal(2000, registrar.Rsc);
        return registrar.Body!["m2m:cb"]!;
    }

    [Fact]
    public async Task A_standard_MN_registers_reads_its_registration_and_the_IN_CSEBase()
    {
        var registrar = await Register();

        var csr = (await Send(HttpMethod.Get, $"/cse-in/{_mn.CseId[1..]}", _mn.CseId)).Body!["m2m:csr"]!;
        Assert.Equal(_mn.CseId, csr["csi"]!.GetValue<string>());
        Assert.Equal(_mn.CseId + "/cse-mn", csr["cb"]!.GetValue<string>());
        Assert.Equal(2, csr["cst"]!.GetValue<int>());
        Assert.Equal(_mn.Url, csr["poa"]![0]!.GetValue<string>());
        Assert.Equal("/id-in", registrar["csi"]!.GetValue<string>());
        Assert.Equal(1, registrar["cst"]!.GetValue<int>());
        Assert.Contains("3", registrar["srv"]!.AsArray().Select(v => v!.GetValue<string>()));
        // The registrar sends nothing to the MN to register it (the MN makes the registrar's <remoteCSE> itself).
        Assert.Empty(_mn.Received);
    }

    [Fact]
    public async Task A_request_at_the_IN_for_the_MN_reaches_its_point_of_access_as_TS_0009_says_and_its_answer_comes_back()
    {
        await Register();
        var ae = await fixture.Client.RegisterAe();
        _mn.Resources["meter"] = """{"m2m:cnt":{"ty":3,"ri":"cnt1","rn":"meter","pi":"cb1","cni":0}}""";

        var read = await fixture.Client.Retrieve($"/~{_mn.CseId}/cse-mn/meter", ae);
        var created = await fixture.Client.Create($"/~{_mn.CseId}/cse-mn/meter", ae, 4, """{"m2m:cin":{"con":"42"}}""");
        var missing = await fixture.Client.Retrieve($"/~{_mn.CseId}/cse-mn/nothing", ae);

        Assert.Equal(2000, read.Rsc);
        Assert.Equal("meter", read.Resource("m2m:cnt")["rn"]!.GetValue<string>());
        Assert.Equal(2001, created.Rsc);
        Assert.Equal("42", created.Resource("m2m:cin")["con"]!.GetValue<string>());
        Assert.Equal(4004, missing.Rsc);
        var (get, post) = (_mn.Received.First(r => r.Method == "GET"), _mn.Received.Single(r => r.Method == "POST"));
        Assert.Equal($"/~{_mn.CseId}/cse-mn/meter", get.PathAndQuery);
        Assert.Equal("/id-in/" + ae, get.Headers["X-M2M-Origin"]);
        Assert.Equal(read.SentRequestId, get.Headers["X-M2M-RI"]);
        Assert.Equal("3", get.Headers["X-M2M-RVI"]);
        Assert.Equal("application/json;ty=4", post.Headers["Content-Type"].Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal("42", JsonNode.Parse(post.Body)!["m2m:cin"]!["con"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_MN_relays_its_AEs_requests_and_announces_them_at_the_IN()
    {
        await Register();
        var owner = await fixture.Client.RegisterAe();
        var mnAe = _mn.CseId + "/Cmeter";
        var acp = await fixture.Client.Create($"/cse-in/{owner}", owner, 1,
            $$$$"""{"m2m:acp":{"pv":{"acr":[{"acor":["{{{{mnAe}}}}"],"acop":3},{"acor":["{{{{owner}}}}"],"acop":63}]},"pvs":{"acr":[{"acor":["{{{{owner}}}}"],"acop":63}]}}}""");
        var acpId = acp.Resource("m2m:acp")["ri"]!.GetValue<string>();
        var container = await fixture.Client.CreateContainer($"/cse-in/{owner}", owner, extra: $$$""","acpi":["{{{acpId}}}"]""");

        var written = await Send(HttpMethod.Post, "/~/id-in" + container, mnAe, """{"m2m:cin":{"con":"from the field"}}""", 4);
        var read = await Send(HttpMethod.Get, "/~/id-in" + container + "/la", mnAe);
        var otherAe = await Send(HttpMethod.Get, "/~/id-in" + container, _mn.CseId + "/Cother");
        var announced = await Send(HttpMethod.Post, $"/cse-in/{_mn.CseId[1..]}", _mn.CseId,
            $$$"""{"m2m:aeA":{"lnk":"{{{mnAe}}}","api":"Nmeter","apn":"meter","lbl":["site:3"]}}""", 10002);

        Assert.Equal(2001, written.Rsc);
        Assert.Equal(2000, read.Rsc);
        Assert.Equal("from the field", read.Body!["m2m:cin"]!["con"]!.GetValue<string>());
        Assert.Equal(4103, otherAe.Rsc);
        Assert.Equal(2001, announced.Rsc);
        Assert.Equal(mnAe, announced.Body!["m2m:aeA"]!["lnk"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_MN_updates_its_registration_and_deregisters()
    {
        await Register();
        var ae = await fixture.Client.RegisterAe();
        var newPoa = _mn.Url + "/";

        // An update as ACME sends it: the CSE's attributes without those fixed at creation.
        var updated = await Send(HttpMethod.Put, $"/cse-in/{_mn.CseId[1..]}", _mn.CseId,
            $$$"""{"m2m:csr":{"poa":["{{{newPoa}}}"],"rr":true,"srv":["3","4"],"csz":["application/json"],"dcse":[]}}""");
        var deleted = await Send(HttpMethod.Delete, $"/cse-in/{_mn.CseId[1..]}", _mn.CseId);
        var afterwards = await fixture.Client.Retrieve($"/~{_mn.CseId}/cse-mn", ae);

        Assert.Equal(2004, updated.Rsc);
        Assert.Equal(newPoa, updated.Body!["m2m:csr"]!["poa"]![0]!.GetValue<string>());
        Assert.Equal(2002, deleted.Rsc);
        Assert.Equal(4004, afterwards.Rsc);
    }
}

/// <summary>
/// The HTTP side of a standard MN-CSE (TS-0009): on a free loopback port, it records every request and answers a
/// RETRIEVE of a resource it holds (<see cref="Resources"/>, by structured path below its CSEBase) with 2000 and the
/// representation, a CREATE with 2001 echoing the content, a NOTIFY with 2000, and anything else with 4004.
/// </summary>
public sealed class ThirdPartyMn : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();
    private readonly int _port = FreePort.Next();
    private readonly Task _loop;

    public ThirdPartyMn(string cseId)
    {
        CseId = cseId;
        _listener.Prefixes.Add($"http://127.0.0.1:{_port}/");
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    /// <summary>Its CSE-ID (<c>/id-tp…</c>); its CSEBase is <c>cse-mn</c>.</summary>
    public string CseId { get; }

    /// <summary>Its point of access.</summary>
    public string Url => $"http://127.0.0.1:{_port}";

    /// <summary>Its resources by name below its CSEBase, as JSON representations.</summary>
    public ConcurrentDictionary<string, string> Resources { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<ReceivedRequest> Received => [.. _received];

    private async Task Serve()
    {
        while (await NotificationReceiver.NextRequest(_listener) is { } context)
        {

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null)
                .ToDictionary(k => k!, k => context.Request.Headers[k] ?? "", StringComparer.OrdinalIgnoreCase);
            var path = context.Request.Url?.AbsolutePath ?? "";
            _received.Enqueue(new ReceivedRequest(context.Request.HttpMethod, context.Request.Url?.PathAndQuery ?? "", headers, body));
            var prefix = $"/~{CseId}/cse-mn/";
            var name = path.StartsWith(prefix, StringComparison.Ordinal) ? path[prefix.Length..] : null;
            var (rsc, status, answer) = context.Request.HttpMethod switch
            {
                "GET" when name is not null && Resources.TryGetValue(name, out var resource) => (2000, 200, resource),
                "POST" when headers.GetValueOrDefault("Content-Type")?.Contains("ty=", StringComparison.Ordinal) == true && name is not null
                    && Resources.ContainsKey(name) => (2001, 201, body),
                "POST" => (2000, 200, null),
                _ => (4004, 404, """{"m2m:dbg":"resource does not exist"}"""),
            };
            if (!await NotificationReceiver.Answer(context, rsc, status, headers.GetValueOrDefault("X-M2M-RI"),
                answer is null ? null : Encoding.UTF8.GetBytes(answer), "application/json"))
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Close(); // alone: Stop before it makes Close bind the port again to release it (NotificationReceiver.Stop)
        await _loop;
    }
}

/// <summary>One request a <see cref="ThirdPartyMn"/> got.</summary>
public sealed record ReceivedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body);
