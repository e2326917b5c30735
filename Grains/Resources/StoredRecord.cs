namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Storage handle of a record a grain writes through <see cref="Orleans.Storage.IGrainStorage"/> apart from its own
/// state (a page of links or names, a segment of instances); keeps the ETag between writes. The content is held only
/// while it is read or written (<see cref="ReleaseState"/>): the owner keeps its own copy in memory, and a handle kept
/// for its ETag should not hold a second one.
/// </summary>
/// <typeparam name="T">The record's content.</typeparam>
internal sealed class StoredRecord<T> : IGrainState<T>
    where T : class, new()
{
    private T? _state;

    /// <inheritdoc/>
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public T State
    {
        get => _state ??= new T();
        set => _state = value;
    }

    /// <inheritdoc/>
    public string? ETag { get; set; }

    /// <inheritdoc/>
    public bool RecordExists { get; set; }

    /// <summary>True once this handle was read or written: its <see cref="ETag"/> is the stored version's.</summary>
    public bool Known { get; set; }

    /// <summary>
    /// Lets go of <paramref name="content"/> (read or written), keeping the version: the handle then costs no more than
    /// its ETag. Content set since (a later write) is kept.
    /// </summary>
    public void ReleaseState(T content)
    {
        if (ReferenceEquals(_state, content))
        {
            _state = null;
        }
    }
}
