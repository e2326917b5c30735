using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// How an instance holder keeps and stores its own attributes. A holder with typed counters (a container) keeps
/// <c>st</c> in a field and <c>cni</c>, <c>cbs</c> in its <see cref="InstanceIndex"/>, outside its attribute
/// dictionary, so that a new instance changes no dictionary: the dictionary holds the other attributes and changes
/// only when they do, and it is stored as an <see cref="AttributeImage"/> (its bytes made once per change, the
/// counters beside them as numbers). Readers get the attributes with the counters from <see cref="CurrentAttributes"/>.
/// </summary>
internal abstract partial class InstanceHolderGrain
{
    // The attributes whose bytes _image holds, by reference: attributes are replaced, never changed in place.
    private Dictionary<string, object?>? _imageOf;
    private AttributeImage? _image;

    // Typed counters: the state tag, and the attribute dictionary (without counters) it goes with, by reference. A
    // dictionary the base grain puts in place (an update, a link, an announcement) is built from CurrentAttributes()
    // and so carries the counters: TakeOverCounters takes st from it and strips the three.
    private long _stateTag;
    private Dictionary<string, object?>? _countedOf;

    // The attributes with the counters, as last handed to a reader: kept until the attributes or a counter change.
    private Dictionary<string, object?>? _view;

    /// <summary>
    /// Whether the holder keeps its counters typed and stores its attributes as an <see cref="AttributeImage"/>: for a
    /// holder whose attributes rarely change but for its counters (a container: every content instance create), not
    /// for one whose every new instance is an update of its attributes too (a flexContainer).
    /// </summary>
    protected virtual bool StoresAttributeImage => false;

    /// <summary>The state tag (<c>st</c>) now.</summary>
    protected long StateTag
    {
        get
        {
            if (!StoresAttributeImage)
            {
                return State.Attributes.StateTag();
            }

            TakeOverCounters();
            return _stateTag;
        }
    }

    /// <summary>Sets the state tag and the instance counters (<c>cni</c>, <c>cbs</c>) from the instances in memory.</summary>
    protected void SetCounters(long stateTag)
    {
        if (StoresAttributeImage)
        {
            // Typed: nothing is copied; the view a reader may still hold stays as it was.
            TakeOverCounters();
            _stateTag = stateTag;
            _view = null;
            return;
        }

        State.Attributes = new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal)
        {
            [AttributeNames.StateTag] = stateTag,
            [AttributeNames.CurrentNrOfInstances] = Instances.Count,
            [AttributeNames.CurrentByteSize] = Instances.Bytes,
        };
    }

    /// <summary>
    /// The attributes with the counters a reader sees: while expired instances wait for the purge timer, they are
    /// already left out. Built once per change of the attributes or the counters (a holder with typed counters).
    /// </summary>
    protected override Dictionary<string, object?> CurrentAttributes()
    {
        var now = Now();
        var expiredWaiting = Instances.TryPeekEarliestExpiry(out var earliest) && string.CompareOrdinal(earliest, now) <= 0;
        var (count, bytes) = expiredWaiting ? Instances.Live(now) : (Instances.Count, Instances.Bytes);
        if (!StoresAttributeImage)
        {
            return expiredWaiting
                ? new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal) { [AttributeNames.CurrentNrOfInstances] = count, [AttributeNames.CurrentByteSize] = bytes }
                : State.Attributes;
        }

        TakeOverCounters();
        var attributes = State.Attributes;
        if (_view is { } view
            && view.Long(AttributeNames.StateTag) == _stateTag
            && view.Long(AttributeNames.CurrentNrOfInstances) == count
            && view.Long(AttributeNames.CurrentByteSize) == bytes)
        {
            return view;
        }

        _view = new Dictionary<string, object?>(attributes.Count + 3, StringComparer.Ordinal);
        foreach (var (name, value) in attributes)
        {
            _view.Add(name, value);
        }

        _view[AttributeNames.StateTag] = CompactAttributes.Shared(_stateTag);
        _view[AttributeNames.CurrentNrOfInstances] = CompactAttributes.Shared(count);
        _view[AttributeNames.CurrentByteSize] = CompactAttributes.Shared(bytes);
        return _view;
    }

    /// <summary>
    /// Makes the attribute dictionary in place one without counters, taking <c>st</c> from it when it has one (a
    /// dictionary put in place since the last call: read from an older record, or built from
    /// <see cref="CurrentAttributes"/> by an update). Copies only when the dictionary changed.
    /// </summary>
    private void TakeOverCounters()
    {
        var attributes = State.Attributes;
        if (ReferenceEquals(attributes, _countedOf))
        {
            return;
        }

        _view = null;
        if (attributes.Long(AttributeNames.StateTag) is { } stateTag)
        {
            _stateTag = stateTag;
        }

        if (attributes.ContainsKey(AttributeNames.StateTag) || attributes.ContainsKey(AttributeNames.CurrentNrOfInstances)
            || attributes.ContainsKey(AttributeNames.CurrentByteSize))
        {
            // Replaced, not changed in place: a response may still hold this dictionary.
            attributes = new Dictionary<string, object?>(attributes, StringComparer.Ordinal);
            attributes.Remove(AttributeNames.StateTag);
            attributes.Remove(AttributeNames.CurrentNrOfInstances);
            attributes.Remove(AttributeNames.CurrentByteSize);
            State.Attributes = attributes;
        }

        _countedOf = attributes;
    }

    /// <summary>Takes the attributes and the state tag from the image a stored state holds in their place (before the base activation reads them).</summary>
    private void RestoreAttributes()
    {
        if (State.TakeStoredImage() is not { } image)
        {
            return;
        }

        var attributes = _serializer.Deserialize<Dictionary<string, object?>>(image.Encoded)
            ?? throw new InvalidDataException($"the stored attributes of {ResourceId} read as nothing");
        if (StoresAttributeImage)
        {
            // cni and cbs are counted again from the instances read (the stored ones were counted from the same).
            State.Attributes = attributes;
            _stateTag = image.StateTag;
            _countedOf = attributes;
            return;
        }

        attributes[AttributeNames.StateTag] = image.StateTag;
        attributes[AttributeNames.CurrentNrOfInstances] = image.CurrentNrOfInstances;
        attributes[AttributeNames.CurrentByteSize] = image.CurrentByteSize;
        State.Attributes = attributes;
    }

    /// <summary>Before a state write: the attributes stored as an image, their bytes made again only when they changed.</summary>
    private void PrepareAttributeImage()
    {
        if (!StoresAttributeImage)
        {
            return;
        }

        TakeOverCounters();
        var attributes = State.Attributes;
        var image = _image ??= new AttributeImage();
        if (!ReferenceEquals(attributes, _imageOf))
        {
            image.Encoded = _serializer.SerializeToArray(attributes);
            _imageOf = attributes;
        }

        image.StateTag = _stateTag;
        image.CurrentNrOfInstances = Instances.Count;
        image.CurrentByteSize = Instances.Bytes;
        image.Source = attributes;
        State.StoreAttributesAs(image);
    }
}
