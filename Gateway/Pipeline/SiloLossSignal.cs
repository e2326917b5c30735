using Microsoft.Extensions.Logging;
using Orleans.Core;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// Tells a standalone gateway's <see cref="RequestDispatcher"/> that a silo has gone: Orleans reports to the client
/// that a connection to a silo's gateway closed (<see cref="IClusterConnectionStatusObserver"/>), which a killed silo's
/// does at once. A grain call the client had in flight through another silo to the lost one gets no answer and no
/// error (the client is not told of silo deaths as silos are): it would wait out <c>Clustering:ClientResponseTimeout</c>.
/// Every call made with <see cref="Token"/> is cancelled instead (Orleans' grain call cancellation: the caller
/// stops waiting at once), and the dispatcher repeats those that are safe to repeat under its retry budget, so they
/// reach the grain again as soon as membership has moved it. Calls to healthy silos are repeated too; only
/// safe-to-repeat requests are made with the token.
/// </summary>
public sealed partial class SiloLossSignal(ILogger<SiloLossSignal> logger) : IClusterConnectionStatusObserver
{
    private CancellationTokenSource _current = new();

    /// <summary>Cancelled when a silo connection is lost; a fresh token is handed out from then on.</summary>
    public CancellationToken Token => Volatile.Read(ref _current).Token;

    /// <inheritdoc />
    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways)
        {
            Trip(currentNumberOfGateways);
        }
    }

    /// <inheritdoc />
    public void NotifyClusterConnectionLost() => Trip(0);

    private void Trip(int remaining)
    {
        var lost = Interlocked.Exchange(ref _current, new CancellationTokenSource());
        Log.SiloConnectionLost(logger, remaining);

        // Not on Orleans' networking thread: the cancelled calls' continuations (the dispatcher's retries) run elsewhere.
        _ = lost.CancelAsync();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3016, Level = LogLevel.Information,
            Message = "A connection to a silo closed ({Remaining} left): grain calls in flight are cancelled and those safe to repeat are retried")]
        public static partial void SiloConnectionLost(ILogger logger, int remaining);
    }
}
