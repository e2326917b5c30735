namespace VirtualIoT.Gateway.Hosting;

/// <summary>
/// A hosted binding's stop carried out once, however often and in whatever order it is stopped and disposed. The host
/// of a minimal-hosting app can run its stop twice at the same time (its own <c>Run</c> stops it when another caller's
/// stop raises <c>ApplicationStopping</c>, as ASP.NET Core's test host does), and the first of the two to end disposes
/// the services while the other is still stopping them.
/// </summary>
internal sealed class StopOnce
{
    private readonly Lock _lock = new();
    private Task? _stopping;
    private bool _disposed;

    /// <summary>
    /// The binding's stop: <paramref name="stop"/> started by the first caller; later callers wait for the same task; once
    /// the binding is disposed, a completed task (there is nothing left to stop).
    /// </summary>
    public Task StopAsync(Func<Task> stop)
    {
        ArgumentNullException.ThrowIfNull(stop);
        lock (_lock)
        {
            return _stopping ??= stop();
        }
    }

    /// <summary>
    /// Runs <paramref name="dispose"/> once: at once when no stop is running, else when the running stop ends (what the
    /// stop uses must outlive it). A stop asked for afterwards does nothing.
    /// </summary>
    public void Dispose(Action dispose)
    {
        ArgumentNullException.ThrowIfNull(dispose);
        Task? running;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            running = _stopping is { IsCompleted: false } stopping ? stopping : null;
            _stopping ??= Task.CompletedTask;
        }

        if (running is null)
        {
            dispose();
            return;
        }

        _ = running.ContinueWith(_ => dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
