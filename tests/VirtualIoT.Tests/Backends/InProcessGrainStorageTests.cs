using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using VirtualIoT.Silo.Storage;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// The embedded default's memory storage (one silo): records kept serialized in the process, with the ETag checks of
/// a real store, so that a stale or duplicate write fails as it would on PostgreSQL.
/// </summary>
public sealed class InProcessGrainStorageTests : IDisposable
{
    private const string StateName = "resource";

    private readonly ServiceProvider _services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    private readonly InProcessGrainStorage _storage;

    public InProcessGrainStorageTests() =>
        _storage = new InProcessGrainStorage(new PooledStateSerializer(_services.GetRequiredService<Serializer>()));

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task A_written_state_reads_back_as_a_copy_with_its_etag()
    {
        var grain = Grain("a");
        var written = new GrainState<List<string>>(["one"]);
        await _storage.WriteStateAsync(StateName, grain, written);
        written.State!.Add("changed after the write");

        var read = new GrainState<List<string>>();
        await _storage.ReadStateAsync(StateName, grain, read);

        Assert.True(read.RecordExists);
        Assert.Equal(["one"], read.State);
        Assert.Equal(written.ETag, read.ETag);
        Assert.NotNull(read.ETag);
    }

    [Fact]
    public async Task A_missing_record_reads_as_a_new_state_without_etag()
    {
        var read = new GrainState<List<string>>(["left over"]) { ETag = "7", RecordExists = true };
        await _storage.ReadStateAsync(StateName, Grain("never"), read);

        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Empty(read.State!);
    }

    [Fact]
    public async Task A_write_with_a_stale_or_missing_etag_fails_and_changes_nothing()
    {
        var grain = Grain("contested");
        var first = new GrainState<List<string>>(["first"]);
        await _storage.WriteStateAsync(StateName, grain, first);
        var staleETag = first.ETag;
        await _storage.WriteStateAsync(StateName, grain, first);

        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            _storage.WriteStateAsync(StateName, grain, new GrainState<List<string>>(["stale"]) { ETag = staleETag }));
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            _storage.WriteStateAsync(StateName, grain, new GrainState<List<string>>(["as new"])));

        var read = new GrainState<List<string>>();
        await _storage.ReadStateAsync(StateName, grain, read);
        Assert.Equal(["first"], read.State);
        Assert.Equal(first.ETag, read.ETag);
    }

    [Fact]
    public async Task A_clear_removes_the_record_only_with_the_current_etag()
    {
        var grain = Grain("cleared");
        var state = new GrainState<List<string>>(["x"]);
        await _storage.WriteStateAsync(StateName, grain, state);

        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            _storage.ClearStateAsync(StateName, grain, new GrainState<List<string>>()));
        await _storage.ClearStateAsync(StateName, grain, state);

        Assert.False(state.RecordExists);
        var read = new GrainState<List<string>>();
        await _storage.ReadStateAsync(StateName, grain, read);
        Assert.False(read.RecordExists);
        await _storage.WriteStateAsync(StateName, grain, new GrainState<List<string>>(["again"]));
    }

    [Fact]
    public async Task Records_of_other_states_and_grains_are_apart()
    {
        var a = new GrainState<List<string>>(["a"]);
        var b = new GrainState<List<string>>(["b"]);
        await _storage.WriteStateAsync(StateName, Grain("same"), a);
        await _storage.WriteStateAsync("links", Grain("same"), b);

        var read = new GrainState<List<string>>();
        await _storage.ReadStateAsync(StateName, Grain("other"), read);
        Assert.False(read.RecordExists);
        await _storage.ReadStateAsync("links", Grain("same"), read);
        Assert.Equal(["b"], read.State);
    }

    [Fact]
    public async Task A_record_rewritten_smaller_and_larger_reads_back_as_last_written()
    {
        var grain = Grain("resized");
        var state = new GrainState<List<string>>();
        foreach (var count in new[] { 40, 3, 0, 25, 200, 1, 199 })
        {
            state.State = [.. Enumerable.Range(0, count).Select(i => $"item {i} of {count}")];
            await _storage.WriteStateAsync(StateName, grain, state);

            var read = new GrainState<List<string>>();
            await _storage.ReadStateAsync(StateName, grain, read);
            Assert.Equal(state.State, read.State);
            Assert.Equal(state.ETag, read.ETag);
        }
    }

    [Fact]
    public async Task A_rewrite_that_fits_reuses_the_stored_buffer()
    {
        // A container stores its whole record on every content instance create: a new array per write survived
        // until the next one and was promoted by the garbage collector.
        var grain = Grain("rewritten");
        // Shaped like a container's open segment: its instances' encoded bytes (serialising them allocates nothing).
        var state = new GrainState<List<byte[]>>([.. Enumerable.Range(0, 16).Select(i => new byte[250])]);
        for (var i = 0; i < 10; i++)
        {
            await _storage.WriteStateAsync(StateName, grain, state); // first write, scratch buffer, JIT
        }

        const int writes = 200;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < writes; i++)
        {
            await _storage.WriteStateAsync(StateName, grain, state);
        }

        var perWrite = (GC.GetAllocatedBytesForCurrentThread() - before) / writes;
        var recordBytes = new PooledStateSerializer(_services.GetRequiredService<Serializer>()).Serialize(state.State).ToArray().Length;
        Assert.True(recordBytes > 3000, $"the record is {recordBytes} bytes");
        Assert.True(perWrite < recordBytes / 4, $"{perWrite} bytes allocated per write of a {recordBytes}-byte record");
    }

    [Fact]
    public async Task Reads_during_rewrites_see_whole_records()
    {
        // Each record written is one number repeated, in a length that changes with it: a read of a buffer half
        // overwritten would mix two numbers or fail to deserialize.
        var grain = Grain("busy");
        var state = new GrainState<List<long>>([0]);
        await _storage.WriteStateAsync(StateName, grain, state);
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var read = new GrainState<List<long>>();
                await _storage.ReadStateAsync(StateName, grain, read);
                Assert.NotEmpty(read.State!);
                Assert.All(read.State!, value => Assert.Equal(read.State![0], value));
                Interlocked.Increment(ref reads);
            }
        })).ToArray();

        for (var i = 1; i <= 20_000; i++)
        {
            state.State = [.. Enumerable.Repeat((long)i, 1 + (i % 37))];
            await _storage.WriteStateAsync(StateName, grain, state);
        }

        while (Volatile.Read(ref reads) < 100 && !Array.Exists(readers, reader => reader.IsCompleted))
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);
    }

    private static GrainId Grain(string key) => GrainId.Create("test", key);
}
