using System.Diagnostics;
using Orleans.Core;
using Orleans.Storage;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The state record written by the grain's storage provider itself, on the grain's turn. Orleans' persistent state
/// (<c>StateStorageBridge</c>) yields the turn before every write (a forced yield, then the write as a new work item
/// of the activation) and completes every awaiting method of the turn through the activation's scheduler afterwards:
/// for a content instance create, whose one storage write completes at once on memory storage, that hop, its task
/// continuations and their state machines were 3.0 of its 8.8 KB allocated and 6-20 % of its CPU (BENCHMARKS.md,
/// session 19).
/// The write is the provider's own <c>IGrainStorage.WriteStateAsync</c> with the persistent state's ETag, so
/// what it stores and checks is what the persistent state would have stored and checked, and it completes (and the
/// request is answered) only once the record is stored. Ours, not the persistent state's, is what orders a grain's
/// writes (<see cref="EnterWriteAsync"/>).
/// </summary>
/// <remarks>
/// Only with a storage whose writes complete at once (<see cref="IImmediateWriteStorage"/>: memory storage of a lone
/// silo; a database's writes are awaited anyway, and its failures reach the caller as the persistent state reports
/// them), only for a record that exists (a first write goes through the persistent state, which then knows the record
/// exists), and not while the turn is traced: Orleans' storage spans (<c>Microsoft.Orleans.Storage</c>) are recorded
/// by the persistent state, so a traced request's writes keep going through it.
/// </remarks>
internal abstract partial class ResourceGrain : IGrainState<ResourceState>
{
    /// <summary>The state name of every resource grain's record (its <c>[PersistentState]</c>).</summary>
    private const string RecordStateName = "resource";

    /// <summary>
    /// Stores the state record with <paramref name="storage"/> (the provider of the grain's persistent state) directly,
    /// or through the persistent state otherwise (see the remarks above). Runs under the write lock.
    /// </summary>
    protected Task WriteRecordAsync(IGrainStorage storage) =>
        storage is IImmediateWriteStorage && _store is StateStorageBridge<ResourceState> && _store.RecordExists && Activity.Current is null
            ? storage.WriteStateAsync(RecordStateName, this.GetGrainId(), this)
            : _store.WriteStateAsync();

    [System.Diagnostics.CodeAnalysis.AllowNull]
    ResourceState IGrainState<ResourceState>.State
    {
        get => _store.State;
        set => _store.State = value ?? new ResourceState();
    }

    string? IGrainState<ResourceState>.ETag
    {
        get => _store.Etag;
        set => ((StateStorageBridge<ResourceState>)_store).Etag = value;
    }

    bool IGrainState<ResourceState>.RecordExists
    {
        get => _store.RecordExists;

        // A write leaves the record existing, as it found it (WriteRecordAsync writes existing records only).
        set
        {
            if (!value)
            {
                throw new InvalidOperationException("a resource record written directly cannot be marked missing");
            }
        }
    }
}
