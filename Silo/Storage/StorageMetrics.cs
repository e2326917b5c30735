using System.Diagnostics.Metrics;

namespace VirtualIoT.Silo.Storage;

/// <summary>Grain storage instruments on the <c>VirtualIoT</c> meter.</summary>
public sealed class StorageMetrics
{
    /// <summary>Name of the meter shared by every VirtualIoT instrument.</summary>
    public const string MeterName = "VirtualIoT";

    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitDuration;
    private readonly Counter<long> _conflicts;

    /// <summary>Creates the instruments.</summary>
    public StorageMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _batchSize = meter.CreateHistogram<int>("virtualiot.storage.batch.size", "{write}",
            "Grain state writes and deletes committed together in one PostgreSQL transaction.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
        _commitDuration = meter.CreateHistogram<double>("virtualiot.storage.commit.duration", "s",
            "Time from sending a batch of grain state writes to PostgreSQL until its commit is acknowledged.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1] });
        _conflicts = meter.CreateCounter<long>("virtualiot.storage.conflicts", "{write}",
            "Grain state writes refused because the stored version differed from the writer's ETag.");
    }

    /// <summary>Records one committed (or failed) batch.</summary>
    public void Batch(int size, TimeSpan duration)
    {
        _batchSize.Record(size);
        _commitDuration.Record(duration.TotalSeconds);
    }

    /// <summary>Counts a write refused for its ETag.</summary>
    public void Conflict() => _conflicts.Add(1);
}
