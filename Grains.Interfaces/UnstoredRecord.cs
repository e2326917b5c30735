using Microsoft.Extensions.DependencyInjection;

namespace VirtualIoT;

/// <summary>
/// Tells grain storage, through Orleans' <see cref="RequestContext"/>, that a call goes to a grain whose record is
/// about to be created: should the call activate the grain, storage skips the read of its record and hands it an
/// empty state. A parent marks the <c>Initialize</c> call of a child it creates (a freshly generated ID, or an AE-ID
/// a registration names) when the storage is an <see cref="IUnstoredRecordStorage"/> that skips such reads: on
/// PostgreSQL the read was a round trip of its own per create; in the embedded default's memory it is a dictionary
/// look-up, cheaper than carrying the mark (BENCHMARKS.md).
/// </summary>
/// <remarks>
/// A mark is a hint, not a promise: a record may exist after all (an AE-ID registered before, a create carried out
/// again after a crash). The grain then writes its first record without an ETag, which every grain storage refuses
/// when a record is stored (<c>InconsistentStateException</c>); the grain reads the record and goes on from what it
/// finds. The mark names one grain, so calls the marked call makes in turn activate other grains as usual.
/// </remarks>
public static class UnstoredRecord
{
    /// <summary>The <see cref="RequestContext"/> key of the mark.</summary>
    public const string ContextKey = "vi-unstored";

    /// <summary>The name of the grain storage that holds resource records (the silo registers a provider under it).</summary>
    public const string ResourceStorageName = "resources";

    /// <summary>
    /// Whether a caller in a process with <paramref name="services"/> should mark the creates it sends: when the
    /// resource storage there skips marked reads, or when there is none (a standalone gateway: its silos may).
    /// </summary>
    public static bool MarksFor(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetKeyedService<Orleans.Storage.IGrainStorage>(ResourceStorageName) is not { } storage
            || storage is IUnstoredRecordStorage { SkipsUnstoredReads: true };
    }

    /// <summary>Marks the calls that follow on this asynchronous flow as going to <paramref name="grain"/>, whose record is new.</summary>
    public static void Mark(GrainId grain) => RequestContext.Set(ContextKey, grain);

    /// <summary>Removes the mark from this asynchronous flow (after the marked call is sent, or when it is received).</summary>
    public static void Unmark() => RequestContext.Remove(ContextKey);

    /// <summary>
    /// When the current call is marked for <paramref name="grain"/>: sets <paramref name="grainState"/> to an empty,
    /// unstored state (as a read that found no record) and returns true; otherwise false, and the caller reads.
    /// </summary>
    public static bool TryAssumeAbsent<T>(GrainId grain, IGrainState<T> grainState)
    {
        if (RequestContext.Get(ContextKey) is not GrainId marked || !marked.Equals(grain))
        {
            return false;
        }

        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
        return true;
    }
}

/// <summary>A grain storage that honours <see cref="UnstoredRecord"/> marks, so that parents mark their creates' calls.</summary>
public interface IUnstoredRecordStorage
{
    /// <summary>True when a marked activation's read is skipped (<see cref="UnstoredRecord.TryAssumeAbsent"/>).</summary>
    bool SkipsUnstoredReads { get; }
}

/// <summary>
/// A grain storage whose writes are stored by the time <c>WriteStateAsync</c> returns its (completed) task, and fail
/// only as a persistent state's write through it would fail (<c>InconsistentStateException</c> for a stale ETag):
/// resource grains then write their existing records through it on their own turn, without the persistent state's
/// extra work item per write.
/// </summary>
public interface IImmediateWriteStorage
{
}
