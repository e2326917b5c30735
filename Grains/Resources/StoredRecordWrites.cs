using Orleans.Storage;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Reads and writes of the records a grain keeps apart from its own state (<see cref="StoredRecord{T}"/>). Such a
/// record is written before its owner's state says it exists (a new page, a sealed segment), so a silo that dies in
/// between leaves a stored record its owner does not know of. A first write with no version would then collide with
/// it on every attempt: the first write of a handle the owner never read therefore reads the record first and
/// overwrites whatever version it finds (a record its owner never recorded holds no acknowledged data).
/// </summary>
internal static class StoredRecordWrites
{
    /// <summary>Reads <paramref name="record"/>; afterwards its version is known.</summary>
    public static async Task ReadRecordAsync<T>(this IGrainStorage storage, string stateName, GrainId grainId, StoredRecord<T> record)
        where T : class, new()
    {
        await storage.ReadStateAsync(stateName, grainId, record);
        record.Known = true;
    }

    /// <summary>Stores <paramref name="record"/>, first reading the stored version if this handle never saw it.</summary>
    public static async Task WriteRecordAsync<T>(this IGrainStorage storage, string stateName, GrainId grainId, StoredRecord<T> record)
        where T : class, new()
    {
        if (!record.Known)
        {
            var stored = new StoredRecord<T>();
            await storage.ReadStateAsync(stateName, grainId, stored);
            record.ETag = stored.ETag;
            record.RecordExists = stored.RecordExists;
            record.Known = true;
        }

        await storage.WriteStateAsync(stateName, grainId, record);
    }
}
