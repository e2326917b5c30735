namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Storage handle of a record a grain writes through <see cref="Orleans.Storage.IGrainStorage"/> apart from its own
/// state (a page of links or names, a segment of instances); keeps the ETag between writes.
/// </summary>
/// <typeparam name="T">The record's content.</typeparam>
internal sealed class StoredRecord<T> : IGrainState<T>
    where T : class, new()
{
    private T _state = new();

    /// <inheritdoc/>
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public T State
    {
        get => _state;
        set => _state = value ?? new T();
    }

    /// <inheritdoc/>
    public string? ETag { get; set; }

    /// <inheritdoc/>
    public bool RecordExists { get; set; }

    /// <summary>True once this handle was read or written: its <see cref="ETag"/> is the stored version's.</summary>
    public bool Known { get; set; }
}
