using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Orleans.Dashboard.Metrics;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Silo.Hosting;

/// <summary>
/// The row under which the Orleans Dashboard shows request locality: its "methods" are a binding and a locality
/// (<c>http local</c>, <c>http remote</c>, <c>mqtt local</c>, ...), their calls the requests served so.
/// </summary>
internal sealed class Locality
{
    private Locality()
    {
    }
}

/// <summary>
/// Puts the locality counter (<see cref="LocalityMetrics"/>, <c>virtualiot.requests.served</c>) on the Orleans
/// Dashboard through its extension point for custom entries (<see cref="IGrainProfiler"/>): each request served is
/// tracked as one call of <c>{binding} {locality}</c> on the <see cref="Locality"/> row, so the dashboard's method
/// rates show how many requests per second each silo serves locally and remotely, next to the grains' calls. Runs
/// only with the dashboard on; listens to this host's own instruments only (tests run several hosts in a process).
/// </summary>
internal sealed class LocalityDashboard(IGrainProfiler profiler, IMeterFactory meters) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<(string Binding, string Locality), string> _methods = new();
    private MeterListener? _listener;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == LocalityMetrics.ServedInstrument && ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>(OnServed);
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _listener?.Dispose();

    private void OnServed(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? binding = null, locality = null;
        foreach (var tag in tags)
        {
            binding = tag.Key == LocalityMetrics.BindingTag ? tag.Value as string : binding;
            locality = tag.Key == LocalityMetrics.LocalityTag ? tag.Value as string : locality;
        }

        if (binding is null || locality is null)
        {
            return;
        }

        var method = _methods.GetOrAdd((binding, locality), static key => key.Binding + " " + key.Locality);
        for (var i = 0; i < value; i++)
        {
            profiler.Track(0, typeof(Locality), method);
        }
    }
}
