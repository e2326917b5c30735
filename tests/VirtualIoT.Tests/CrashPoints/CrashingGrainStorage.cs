using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using VirtualIoT.Grains;

namespace VirtualIoT.Tests.CrashPoints;

/// <summary>
/// The process "died" at a storage write: this write and every later storage call of the process fail. Thrown by
/// <see cref="CrashingGrainStorage"/> only.
/// </summary>
public sealed class SimulatedCrashException(string message) : Exception(message);

/// <summary>
/// Where the next simulated crash happens and what the storage saw: counts the writes (writes and clears) of one
/// platform's grain storage, lets the <c>k</c>-th fail and, from then on, every storage call, until
/// <see cref="Revive"/> (the process was restarted on the same store).
/// </summary>
public sealed class CrashSwitch
{
    private readonly object _gate = new();
    private readonly List<string> _writes = [];
    private int _crashAt;
    private bool _dead;

    /// <summary>True from the crash to <see cref="Revive"/>.</summary>
    public bool IsDead
    {
        get
        {
            lock (_gate)
            {
                return _dead;
            }
        }
    }

    /// <summary>The writes counted since <see cref="Arm"/>, as <c>write|clear state-name grain-id</c>, the failed one last.</summary>
    public IReadOnlyList<string> Writes
    {
        get
        {
            lock (_gate)
            {
                return [.. _writes];
            }
        }
    }

    /// <summary>Starts counting writes; the <paramref name="crashAt"/>-th (from 1) fails and kills the store, 0 never.</summary>
    public void Arm(int crashAt)
    {
        lock (_gate)
        {
            _writes.Clear();
            _crashAt = crashAt;
            _dead = false;
        }
    }

    /// <summary>The store works again and counts nothing (the process was restarted).</summary>
    public void Revive() => Arm(0);

    /// <summary>Kills the store now (a crash after the last write of an operation: its answer is lost).</summary>
    public void Kill()
    {
        lock (_gate)
        {
            _dead = true;
        }
    }

    internal void BeforeRead(string stateName, GrainId grainId)
    {
        lock (_gate)
        {
            if (_dead)
            {
                throw new SimulatedCrashException($"process died before reading {stateName} {grainId}");
            }
        }
    }

    internal void BeforeWrite(string kind, string stateName, GrainId grainId)
    {
        lock (_gate)
        {
            if (_dead)
            {
                throw new SimulatedCrashException($"process died before {kind} {stateName} {grainId}");
            }

            _writes.Add(string.Concat(kind, " ", stateName, " ", grainId.ToString()));
            if (_crashAt > 0 && _writes.Count >= _crashAt)
            {
                _dead = true;
                throw new SimulatedCrashException($"process died at write {_writes.Count}: {kind} {stateName} {grainId}");
            }
        }
    }
}

/// <summary>
/// Test-only decorator of the platform's resource storage (<see cref="GrainStorageNames.Resources"/>): every call
/// goes to the configured provider unless <see cref="CrashSwitch"/> says the process is dead. Registered only by
/// <see cref="Register"/> from test configuration; the platform itself never references it.
/// </summary>
public sealed class CrashingGrainStorage(IGrainStorage inner, CrashSwitch crash) : IGrainStorage, IUnstoredRecordStorage, ILifecycleParticipant<ISiloLifecycle>
{
    public bool SkipsUnstoredReads => inner is IUnstoredRecordStorage { SkipsUnstoredReads: true };

    /// <summary>Wraps the resource storage registered in <paramref name="services"/> with the switch <paramref name="crash"/>.</summary>
    public static void Register(IServiceCollection services, CrashSwitch crash) =>
        Decorate(services, inner => new CrashingGrainStorage(inner, crash));

    /// <summary>Replaces the resource storage registered in <paramref name="services"/> with <paramref name="wrap"/> of it (a test-only decorator).</summary>
    public static void Decorate(IServiceCollection services, Func<IGrainStorage, IGrainStorage> wrap)
    {
        var original = services.Single(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, GrainStorageNames.Resources));
        var factory = original.KeyedImplementationFactory
            ?? throw new InvalidOperationException("the resource storage is not registered by a factory");
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(GrainStorageNames.Resources, (provider, key) => wrap((IGrainStorage)factory(provider, key)));
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        crash.BeforeRead(stateName, grainId);
        await inner.ReadStateAsync(stateName, grainId, grainState);
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        crash.BeforeWrite("write", stateName, grainId);
        await inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        crash.BeforeWrite("clear", stateName, grainId);
        await inner.ClearStateAsync(stateName, grainId, grainState);
    }

    public void Participate(ISiloLifecycle observer)
    {
        if (inner is ILifecycleParticipant<ISiloLifecycle> participant)
        {
            participant.Participate(observer);
        }
    }
}
