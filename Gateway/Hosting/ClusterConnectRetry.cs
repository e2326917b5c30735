using Microsoft.Extensions.Logging;
using Npgsql;
using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Gateway.Hosting;

/// <summary>
/// Whether a standalone gateway's first connection to its cluster is tried again: the membership database may answer
/// slowly or not yet (a connection timeout on a loaded machine), and no silo may be up yet (a gateway started before
/// its silos, or with them). Such failures are retried every <see cref="Pause"/> for up to
/// <see cref="ClusteringOptions.ConnectRetryFor"/>, so the gateway's start waits for the cluster instead of ending the
/// process; a failure that says the configuration is wrong (a refused password, an unknown database) ends the start
/// at once, as before.
/// </summary>
internal sealed partial class ClusterConnectRetry(ClusteringOptions options, TimeProvider time, ILogger<ClusterConnectRetry> logger) : IClientConnectionRetryFilter
{
    /// <summary>The pause before the next attempt.</summary>
    internal static readonly TimeSpan Pause = TimeSpan.FromSeconds(1);

    private long _firstFailure;
    private int _attempts;

    /// <inheritdoc />
    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (_attempts++ == 0)
        {
            _firstFailure = time.GetTimestamp();
        }

        if (!IsTransient(exception) || time.GetElapsedTime(_firstFailure) + Pause > options.ConnectRetryFor || cancellationToken.IsCancellationRequested)
        {
            Log.GivingUp(logger, exception, _attempts);
            return false;
        }

        Log.Retrying(logger, _attempts, exception.GetType().Name, exception.Message);
        await Task.Delay(Pause, time, cancellationToken);
        return true;
    }

    /// <summary>
    /// True for a failure that may pass by itself: what the gateway also retries for a request
    /// (<see cref="ClusterFailurePolicy.IsUnavailable"/>: no silo reachable, a timeout, the database unreachable),
    /// except a database error Npgsql does not call transient (a wrong password, an unknown database).
    /// </summary>
    internal static bool IsTransient(Exception exception)
    {
        if (!ClusterFailurePolicy.IsUnavailable(exception))
        {
            return false;
        }

        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is NpgsqlException npgsql)
            {
                return npgsql.IsTransient;
            }
        }

        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3030, Level = LogLevel.Warning,
            Message = "Connecting to the cluster failed (attempt {Attempt}: {Exception}: {Reason}); trying again")]
        public static partial void Retrying(ILogger logger, int attempt, string exception, string reason);

        [LoggerMessage(EventId = 3031, Level = LogLevel.Error, Message = "Connecting to the cluster failed after {Attempts} attempts; the gateway does not start")]
        public static partial void GivingUp(ILogger logger, Exception exception, int attempts);
    }
}
