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
/// <remarks>
/// A record is kept as its bytes and a version number (its ETag is the number's decimal text), inside the
/// dictionary's own entry: an idle device keeps three or four records here, and each record's holder objects (a
/// payload wrapper, an ETag string, a record object) cost about 100 bytes (BENCHMARKS.md, "Memory per idle device
/// and per active grain").
/// </remarks>
internal sealed class InProcessGrainStorage(IGrainStorageSerializer serializer) : IGrainStorage
{
    private readonly ConcurrentDictionary<(string State, GrainId Grain), Record> _records = new();
    private long _version;

    /// <inheritdoc/>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_records.TryGetValue((stateName, grainId), out var record))
        {
            grainState.State = serializer.Deserialize<T>(new BinaryData(record.Payload));
            grainState.ETag = ETagOf(record.Version);
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
        var record = new Record(serializer.Serialize(grainState.State).ToMemory(), Interlocked.Increment(ref _version));
        Replace(stateName, grainId, grainState.ETag, record);
        grainState.ETag = ETagOf(record.Version);
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
            var stored = _records.TryGetValue(key, out var current);
            if (stored ? !IsETagOf(expected, current.Version) : expected is not null)
            {
                throw new InconsistentStateException(
                    $"ETag conflict writing state '{stateName}' of {grainId}: the stored ETag is not '{expected}'.",
                    stored ? ETagOf(current.Version) : "none", expected ?? "none");
            }

            var done = (stored, next) switch
            {
                (false, null) => true,
                (false, { } added) => _records.TryAdd(key, added),
                (true, null) => _records.TryRemove(new KeyValuePair<(string, GrainId), Record>(key, current)),
                (true, { } replacement) => _records.TryUpdate(key, replacement, current),
            };
            if (done)
            {
                return;
            }
        }
    }

    private static string ETagOf(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static bool IsETagOf(string? etag, long version) =>
        long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed == version;

    /// <summary>A stored record: Orleans' serialized state and the version its ETag names.</summary>
    private readonly record struct Record(ReadOnlyMemory<byte> Payload, long Version);
}
