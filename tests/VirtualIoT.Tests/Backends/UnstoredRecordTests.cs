using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using VirtualIoT.Tests.CrashPoints;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// A new AE's or container's activation does not read the record it is about to create (<see cref="UnstoredRecord"/>,
/// on PostgreSQL storage): the mark reaches the storage read of the activation the create causes. An
/// AE-ID registered before, whose activation is gone, is found by the AE's first write: the registration is refused
/// (4117) or its repeat answered as before, and the name a refused registration claimed is given back.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class UnstoredRecordTests(PostgresServer server)
{
    [Fact]
    public async Task A_new_ae_and_container_are_activated_without_reading_their_records()
    {
        var reads = new ReadLog();
        await using var host = PlatformHost.Start(await Postgres(), services => ReadLog.Register(services, reads));
        var aeId = await host.Client.RegisterAe();
        var container = await host.Client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"box"}}""");
        Assert.Equal(2001, container.Rsc);
        var containerId = container.Resource("m2m:cnt")["ri"]!.GetValue<string>();

        Assert.Equal([true], reads.Of(aeId));
        Assert.Equal([true], reads.Of(containerId));

        // Read as usual once the activations are gone.
        await host.DiscardActivations(TimeSpan.FromSeconds(30));
        Assert.Equal(2000, (await host.Client.Retrieve("/cse-in/" + aeId + "/box", aeId)).Rsc);
        Assert.Equal([true, false], reads.Of(aeId));
        Assert.Equal([true, false], reads.Of(containerId));
    }

    [Fact]
    public async Task A_registered_ae_id_whose_activation_is_gone_is_refused_and_its_first_registration_still_answered()
    {
        await using var host = PlatformHost.Start(await Postgres());
        var client = host.Client;
        var aeId = "Cunstored" + Guid.NewGuid().ToString("N")[..10];
        var otherName = OneM2MClient.NewName("n");
        var first = await Register(client, aeId, aeId, "rq-first");
        Assert.Equal(2001, first.Rsc);
        var created = first.Resource("m2m:ae")["ct"]!.GetValue<string>();

        await host.DiscardActivations(TimeSpan.FromSeconds(30));
        var again = await Register(client, aeId, aeId, "rq-again");
        await host.DiscardActivations(TimeSpan.FromSeconds(30));
        var renamed = await Register(client, aeId, otherName, "rq-renamed");
        await host.DiscardActivations(TimeSpan.FromSeconds(30));
        var repeat = await Register(client, aeId, aeId, "rq-first");

        Assert.Equal(4117, again.Rsc);
        Assert.Equal(4117, renamed.Rsc);
        Assert.Equal(4004, (await client.Retrieve("/cse-in/" + otherName, aeId)).Rsc);
        Assert.Equal(2001, repeat.Rsc);
        Assert.Equal(created, repeat.Resource("m2m:ae")["ct"]!.GetValue<string>());
        var stored = await client.Retrieve("/cse-in/" + aeId, aeId);
        Assert.Equal(2000, stored.Rsc);
        Assert.Equal(created, stored.Resource("m2m:ae")["ct"]!.GetValue<string>());

        // The name a refused registration claimed for a moment is free for another AE.
        var otherAe = "Cother" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(2001, (await Register(client, otherAe, otherName, "rq-other")).Rsc);
    }

    private async Task<Dictionary<string, string>> Postgres() => new()
    {
        ["Storage:Provider"] = "postgres",
        ["Storage:ConnectionString"] = await server.CreateDatabase(),
    };

    private static Task<OneM2MResponse> Register(OneM2MClient client, string aeId, string name, string rqi)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/cse-in")
        {
            Content = new StringContent($$$"""{"m2m:ae":{"rn":"{{{name}}}","api":"Ntest","rr":true,"srv":["3"]}}"""),
        };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json;ty=2");
        request.Headers.TryAddWithoutValidation("X-M2M-Origin", aeId);
        request.Headers.TryAddWithoutValidation("X-M2M-RI", rqi);
        request.Headers.TryAddWithoutValidation("X-M2M-RVI", "3");
        return client.Send(request, rqi);
    }

    /// <summary>
    /// Test-only decorator of the platform's resource storage: records, per grain key, whether each read of a
    /// <c>resource</c> record came with the <see cref="UnstoredRecord"/> mark for that grain; every call goes on to
    /// the configured provider.
    /// </summary>
    private sealed class ReadLog
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<bool>> _reads = new(StringComparer.Ordinal);

        public static void Register(IServiceCollection services, ReadLog log) =>
            CrashingGrainStorage.Decorate(services, inner => new Storage(inner, log));

        public IReadOnlyList<bool> Of(string key) => _reads.TryGetValue(key, out var reads) ? [.. reads] : [];

        private sealed class Storage(IGrainStorage inner, ReadLog log) : IGrainStorage, IUnstoredRecordStorage
        {
            public bool SkipsUnstoredReads => inner is IUnstoredRecordStorage { SkipsUnstoredReads: true };

            public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
            {
                if (stateName == "resource")
                {
                    var marked = RequestContext.Get(UnstoredRecord.ContextKey) is GrainId id && id.Equals(grainId);
                    log._reads.GetOrAdd(grainId.Key.ToString()!, _ => new ConcurrentQueue<bool>()).Enqueue(marked);
                }

                return inner.ReadStateAsync(stateName, grainId, grainState);
            }

            public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
                inner.WriteStateAsync(stateName, grainId, grainState);

            public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
                inner.ClearStateAsync(stateName, grainId, grainState);
        }
    }
}
