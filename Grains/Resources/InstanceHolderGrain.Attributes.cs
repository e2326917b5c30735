using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>How an instance holder stores its own attributes: apart from the counters a new instance changes.</summary>
internal abstract partial class InstanceHolderGrain
{
    // The attributes whose bytes _image holds (all but the counters), by reference: attributes are replaced, never
    // changed in place, and SetCounters hands this on to the copy it makes, which differs in the counters only.
    private Dictionary<string, object?>? _imageOf;
    private AttributeImage? _image;

    /// <summary>
    /// Whether the holder stores its attributes as an <see cref="AttributeImage"/>: for a holder whose attributes
    /// rarely change but for its counters (a container: every content instance create), not for one whose every new
    /// instance is an update of its attributes too (a flexContainer).
    /// </summary>
    protected virtual bool StoresAttributeImage => false;

    /// <summary>Puts the attributes back together from the image a stored state holds in their place (before the base activation reads them).</summary>
    private void RestoreAttributes()
    {
        if (State.TakeStoredImage() is not { } image)
        {
            return;
        }

        var attributes = _serializer.Deserialize<Dictionary<string, object?>>(image.Encoded)
            ?? throw new InvalidDataException($"the stored attributes of {ResourceId} read as nothing");
        attributes[AttributeNames.StateTag] = image.StateTag;
        attributes[AttributeNames.CurrentNrOfInstances] = image.CurrentNrOfInstances;
        attributes[AttributeNames.CurrentByteSize] = image.CurrentByteSize;
        State.Attributes = attributes;
    }

    /// <summary>
    /// Before a state write: the attributes to be stored as an image, their bytes made again only when more than the
    /// counters changed. Attributes without the three counters as numbers are stored as a dictionary.
    /// </summary>
    private void PrepareAttributeImage()
    {
        var attributes = State.Attributes;
        if (!StoresAttributeImage
            || attributes.Long(AttributeNames.StateTag) is not { } stateTag
            || attributes.Long(AttributeNames.CurrentNrOfInstances) is not { } count
            || attributes.Long(AttributeNames.CurrentByteSize) is not { } bytes)
        {
            return;
        }

        var image = _image ??= new AttributeImage();
        if (!ReferenceEquals(attributes, _imageOf))
        {
            var withoutCounters = new Dictionary<string, object?>(attributes, StringComparer.Ordinal);
            withoutCounters.Remove(AttributeNames.StateTag);
            withoutCounters.Remove(AttributeNames.CurrentNrOfInstances);
            withoutCounters.Remove(AttributeNames.CurrentByteSize);
            image.Encoded = _serializer.SerializeToArray(withoutCounters);
            _imageOf = attributes;
        }

        image.StateTag = stateTag;
        image.CurrentNrOfInstances = count;
        image.CurrentByteSize = bytes;
        image.Source = attributes;
        State.StoreAttributesAs(image);
    }

    /// <summary>The attributes that replace <paramref name="previous"/> differ from them in the counters only: the image's bytes still hold the rest.</summary>
    private void CountersChanged(Dictionary<string, object?> previous, Dictionary<string, object?> next)
    {
        if (ReferenceEquals(previous, _imageOf))
        {
            _imageOf = next;
        }
    }
}
