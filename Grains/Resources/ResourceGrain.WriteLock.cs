namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The write lock of a resource grain: one write of its records at a time (a reentrant type's writes of one record
/// must not overlap), the others queued in order. A grain runs one turn at a time, so the lock needs no atomic
/// operation, and it allocates nothing unless a write waits: every active resource grain holds one (BENCHMARKS.md,
/// "Memory per grain").
/// </summary>
internal abstract partial class ResourceGrain
{
    private bool _writing;
    private Queue<TaskCompletionSource>? _writeWaiters;

    /// <summary>Takes the write lock: at once when no write holds it, else after the writes queued before.</summary>
    private Task EnterWriteAsync()
    {
        if (!_writing)
        {
            _writing = true;
            return Task.CompletedTask;
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (_writeWaiters ??= new()).Enqueue(waiter);
        return waiter.Task;
    }

    /// <summary>Hands the write lock to the next queued write, or frees it.</summary>
    private void ExitWrite()
    {
        if (_writeWaiters is { Count: > 0 } waiters)
        {
            waiters.Dequeue().SetResult();
        }
        else
        {
            _writing = false;
            _writeWaiters = null;
        }
    }
}
