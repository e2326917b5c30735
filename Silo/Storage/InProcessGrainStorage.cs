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
/// and per active grain"). A record written again is serialised into a scratch buffer and copied over its stored
/// bytes when they fit: a container stores its whole record on every content instance create, and a new array per
/// write lived until the next one (a few kilobytes per create promoted by the garbage collector, whose pauses made
/// the tail at half rate). Readers and writers of one record take its buffer's lock, so a reader never sees a
/// buffer half overwritten. Its writes complete before they return (<see cref="IImmediateWriteStorage"/>), so resource
/// grains write their records through it on their own turn.
/// </remarks>
internal sealed class InProcessGrainStorage(PooledStateSerializer serializer) : IGrainStorage, IImmediateWriteStorage
{
    // A rewritten record's buffer is replaced only when the new bytes do not fit, or fill less than a quarter of it
    // (past ShrinkAboveBytes): a container's record grows with its open segment and shrinks when the segment seals,
    // every 16 creates, and a buffer sized for the largest keeps being overwritten.
    private const int ShrinkAboveBytes = 4096;

    private readonly ConcurrentDictionary<(string State, GrainId Grain), Record> _records = new();
    private long _version;

    /// <inheritdoc/>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = (stateName, grainId);
        while (_records.TryGetValue(key, out var record))
        {
            lock (record.Buffer)
            {
                if (!_records.TryGetValue(key, out var current) || current != record)
                {
                    continue; // rewritten or removed meanwhile: read what is stored now
                }

                grainState.State = serializer.Deserialize<T>(record.Buffer.AsMemory(0, record.Length));
            }

            grainState.ETag = ETagOf(record.Version);
            grainState.RecordExists = true;
            return Task.CompletedTask;
        }

        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // Serialised here, in the caller's turn, so the stored bytes are the state as it was written.
        var version = Interlocked.Increment(ref _version);
        Store(stateName, grainId, grainState.ETag, serializer.SerializeToScratch(grainState.State), version);
        grainState.ETag = ETagOf(version);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = (stateName, grainId);
        while (true)
        {
            var stored = Check(stateName, grainId, grainState.ETag, out var current);
            if (!stored || _records.TryRemove(new KeyValuePair<(string, GrainId), Record>(key, current)))
            {
                break;
            }
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stores <paramref name="bytes"/> as version <paramref name="version"/> if the stored record's ETag is
    /// <paramref name="expected"/> (null: no record is stored); otherwise throws <see cref="InconsistentStateException"/>.
    /// </summary>
    private void Store(string stateName, GrainId grainId, string? expected, ReadOnlySpan<byte> bytes, long version)
    {
        var key = (stateName, grainId);
        while (true)
        {
            var stored = Check(stateName, grainId, expected, out var current);
            if (stored && Fits(current.Buffer, bytes.Length))
            {
                lock (current.Buffer)
                {
                    // Under the lock no reader and no other overwrite is inside the buffer. A write that stored a new
                    // array after this check leaves the buffer to nobody, and the update below then fails.
                    if (!_records.TryGetValue(key, out var now) || now != current)
                    {
                        continue; // written meanwhile: the next pass reports the conflict
                    }

                    bytes.CopyTo(current.Buffer);
                    if (_records.TryUpdate(key, new Record(current.Buffer, bytes.Length, version), current))
                    {
                        return;
                    }
                }

                continue;
            }

            // A first write is kept at its exact size (most records are written once or rarely: idle devices); a
            // record that outgrew its buffer gets a quarter more room, as it is likely to grow again.
            var buffer = new byte[stored ? bytes.Length + (bytes.Length / 4) : bytes.Length];
            bytes.CopyTo(buffer);
            var next = new Record(buffer, bytes.Length, version);
            if (stored ? _records.TryUpdate(key, next, current) : _records.TryAdd(key, next))
            {
                return;
            }
        }
    }

    /// <summary>Whether a record is stored (as <paramref name="current"/>) whose ETag is <paramref name="expected"/>; throws <see cref="InconsistentStateException"/> when not as expected.</summary>
    private bool Check(string stateName, GrainId grainId, string? expected, out Record current)
    {
        var stored = _records.TryGetValue((stateName, grainId), out current);
        if (stored ? !IsETagOf(expected, current.Version) : expected is not null)
        {
            throw new InconsistentStateException(
                $"ETag conflict writing state '{stateName}' of {grainId}: the stored ETag is not '{expected}'.",
                stored ? ETagOf(current.Version) : "none", expected ?? "none");
        }

        return stored;
    }

    private static bool Fits(byte[] buffer, int length) =>
        length <= buffer.Length && (buffer.Length <= ShrinkAboveBytes || length >= buffer.Length / 4);

    private static string ETagOf(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static bool IsETagOf(string? etag, long version) =>
        long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed == version;

    /// <summary>A stored record: Orleans' serialized state (the first <see cref="Length"/> bytes of <see cref="Buffer"/>) and the version its ETag names.</summary>
    private readonly record struct Record(byte[] Buffer, int Length, long Version);
}
