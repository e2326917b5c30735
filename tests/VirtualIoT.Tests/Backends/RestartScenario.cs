using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// Write through one platform, stop it, start a new one on the same storage and read everything back over HTTP.
/// The container gets more instances than fit one stored segment (64), so sealed segments, the open segment in
/// the container's own state, a rewritten segment (a deleted instance) and the CSEBase index are all read back.
/// </summary>
internal static class RestartScenario
{
    private const int Instances = 150;
    private const int DeletedIndex = 10;

    public static async Task Run(IReadOnlyDictionary<string, string> settings)
    {
        var aeId = "Crestart" + Guid.NewGuid().ToString("N")[..10];
        var aePath = "/cse-in/" + aeId;
        var cntPath = aePath + "/cnt";
        var created = new List<JsonObject>();

        await using (var first = PlatformHost.Start(settings))
        {
            var client = first.Client;
            await client.RegisterAe(aeId);
            Answered(await client.Create(aePath, aeId, 3, """{"m2m:cnt":{"rn":"cnt","mni":1000,"lbl":["kitchen"]}}"""), 2001);
            for (var i = 0; i < Instances; i++)
            {
                var response = await client.Create(cntPath, aeId, 4, $$$"""{"m2m:cin":{"con":"v{{{i}}}","lbl":["n:{{{i}}}"]}}""");
                Answered(response, 2001);
                created.Add(response.Resource("m2m:cin"));
            }

            Answered(await client.Delete("/" + Ri(created[DeletedIndex]), aeId), 2002);
        }

        await using var second = PlatformHost.Start(settings);
        var reader = second.Client;

        Answered(await reader.Retrieve(aePath, aeId), 2000);
        var container = Answered(await reader.Retrieve(cntPath, aeId), 2000).Resource("m2m:cnt");
        Assert.Equal(Instances - 1, container["cni"]!.GetValue<long>());
        Assert.Equal(1000, container["mni"]!.GetValue<long>());
        Assert.Equal("kitchen", container["lbl"]![0]!.GetValue<string>());

        Assert.Equal("v" + (Instances - 1), Con(Answered(await reader.Retrieve(cntPath + "/la", aeId), 2000)));
        Assert.Equal("v0", Con(Answered(await reader.Retrieve(cntPath + "/ol", aeId), 2000)));

        var byId = Answered(await reader.Retrieve("/" + Ri(created[5]), aeId), 2000).Resource("m2m:cin");
        Assert.Equal("v5", byId["con"]!.GetValue<string>());
        Assert.Equal(created[5].ToJsonString(), byId.ToJsonString());
        Answered(await reader.Retrieve("/" + Ri(created[DeletedIndex]), aeId), 4004);
        var open = Answered(await reader.Retrieve("/" + Ri(created[Instances - 3]), aeId), 2000).Resource("m2m:cin");
        Assert.Equal(created[Instances - 3].ToJsonString(), open.ToJsonString());

        var discovered = Answered(await reader.Retrieve(cntPath + "?fu=1&ty=4", aeId), 2000).Json?["m2m:uril"]?.AsArray();
        Assert.NotNull(discovered);
        Assert.Equal(Instances - 1, discovered.Count);

        // Writing after the restart proves the stored versions (ETags) were picked up, not only the data.
        var after = await reader.Create(cntPath, aeId, 4, """{"m2m:cin":{"con":"after"}}""");
        Answered(after, 2001);
        Assert.Equal("after", Con(Answered(await reader.Retrieve(cntPath + "/la", aeId), 2000)));
    }

    private static string Ri(JsonObject resource) => resource["ri"]!.GetValue<string>();

    private static string Con(OneM2MResponse response) => response.Resource("m2m:cin")["con"]!.GetValue<string>();

    private static OneM2MResponse Answered(OneM2MResponse response, int rsc)
    {
        Assert.True(response.Rsc == rsc, $"expected {rsc}, got {(int)response.Status}/{response.Rsc}: {response.Body}");
        return response;
    }
}
