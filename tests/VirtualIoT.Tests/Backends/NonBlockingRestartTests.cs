using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// The <c>&lt;request&gt;</c> of a non-blocking request is stored before 1001 is answered: a platform stopped while
/// the operation waits (for its <c>oet</c>) leaves the record, pending, for the originator to find after a restart
/// on the same PostgreSQL storage; the operation is not carried out twice (here: not at all).
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class NonBlockingRestartTests(PostgresServer server)
{
    [Fact]
    public async Task A_request_accepted_before_a_restart_is_found_pending_after_it()
    {
        var settings = new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = await server.CreateDatabase(),
        };
        var aeId = "Cnbrestart" + Guid.NewGuid().ToString("N")[..10];
        OneM2MResponse accepted;
        await using (var first = PlatformHost.Start(settings))
        {
            await first.Client.RegisterAe(aeId);
            accepted = await first.Client.Send(HttpMethod.Post, $"/cse-in/{aeId}?rt=1", aeId, """{"m2m:cnt":{"rn":"later"}}""",
                "application/json;ty=3", new Dictionary<string, string> { ["X-M2M-OET"] = "PT5M", ["X-M2M-RST"] = "PT9M" });
        }

        await using var second = PlatformHost.Start(settings);
        var request = await second.Client.Retrieve("/" + accepted.Json!["m2m:uri"]!.GetValue<string>(), aeId);
        var container = await second.Client.Retrieve($"/cse-in/{aeId}/later", aeId);

        Assert.Equal(1001, accepted.Rsc);
        Assert.True(request.Rsc == 2000, request.Body);
        var stored = request.Resource("m2m:req");
        Assert.Equal(3, stored["rs"]!.GetValue<int>());
        Assert.Equal(accepted.SentRequestId, stored["rid"]!.GetValue<string>());
        Assert.Equal("cse-in/" + aeId, stored["tg"]!.GetValue<string>());
        Assert.Equal(4004, container.Rsc);
    }
}
