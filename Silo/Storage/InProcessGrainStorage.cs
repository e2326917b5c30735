using System.Collections.Concurrent;
using System.Globalization;
using Orleans.Storage;

namespace VirtualIoT.Silo.Storage;

/// <summary>
/// Memory storage of a silo that is its cluster's only one (the embedded default): each record is kept serialized, as
/// Orleans' binary serializer writes it, in this process's memory, with an ETag checked on every write and clear as
/// Orleans' memory storage and PostgreSQL storage check theirs. Orleans' memory storage keeps the same bytes in storage
/// grains, which costs a grain call and a copy of the bytes per read and write: a tenth of the CPU of a content
/// instance create in profiles (BENCHMARKS.md). A write is stored when its task completes, so before the response
/// that depends on it leaves. Not for a cluster of several silos, whose records must be where every silo finds them.
/// </summary>
internal sealed class InProcessGrainStorage(IGrainStorageSerializer serializer) : IGrainStorage
{
    private readonly ConcurrentDictionary<(string State, GrainId Grain), Record> _records = new();
    private long _version;

    /// <inheritdoc/>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_records.TryGetValue((stateName, grainId), out var record))
        {
            grainState.State = serializer.Deserialize<T>(record.Payload);
            grainState.ETag = record.ETag;
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // Serialised here, in the caller's turn, so the stored bytes are the state as it was written.
        var record = new Record(serializer.Serialize(grainState.State),
            Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture));
        Replace(stateName, grainId, grainState.ETag, record);
        grainState.ETag = record.ETag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Replace(stateName, grainId, grainState.ETag, null);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stores <paramref name="next"/> (null: removes the record) if the stored record's ETag is
    /// <paramref name="expected"/> (null: no record is stored); otherwise throws <see cref="InconsistentStateException"/>.
    /// </summary>
    private void Replace(string stateName, GrainId grainId, string? expected, Record? next)
    {
        var key = (stateName, grainId);
        while (true)
        {
            _records.TryGetValue(key, out var current);
            if (current?.ETag != expected)
            {
                throw new InconsistentStateException(
                    $"ETag conflict writing state '{stateName}' of {grainId}: the stored ETag is not '{expected}'.",
                    current?.ETag ?? "none", expected ?? "none");
            }

            var done = (current, next) switch
            {
                (null, null) => true,
                (null, _) => _records.TryAdd(key, next),
                (_, null) => _records.TryRemove(new KeyValuePair<(string, GrainId), Record>(key, current)),
                _ => _records.TryUpdate(key, next, current),
            };
            if (done)
            {
                return;
            }
        }
    }

    private sealed record Record(BinaryData Payload, string ETag);
}
