using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Resources.FlexContainer;

/// <summary>
/// A flexContainer (ty 28) of any specialization, keyed by its <c>ri</c>, together with its flexContainerInstances
/// (ty 58), <c>la</c> and <c>ol</c> (held as <see cref="InstanceHolderGrain"/> holds them). Its <c>cnd</c> picks the
/// custom attributes and the root key. While it has <c>mni</c>, <c>mbs</c> or <c>mia</c>, every create and every
/// update that carries a custom attribute (or labels) adds an instance with the custom attributes as they are
/// afterwards, in the same state write, as ACME does; the instance is named <c>&lt;rn&gt;_&lt;st&gt;</c>.
/// </summary>
[DevicePlacement]
internal sealed partial class FlexContainerGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<FlexContainerGrain> logger,
    IServiceProvider services) : InstanceHolderGrain(store, options, logger, services), IFlexContainerGrain
{
    // The instance an update added, whose event goes out once the update is stored (see Updated).
    private Outbox.RaisedEvent? _instanceEvent;

    private FlexContainerPolicy.Specialized? Specialized => FlexContainerPolicy.Find(State.Attributes);

    // Before the resource exists (a request to a missing flexContainer answers 4004 before reading it) any policy will do.
    protected override ResourcePolicy Policy => Specialized?.Container ?? FlexContainerPolicy.Containers.All.First();

    protected override ResourcePolicy InstancePolicy => Specialized?.Instance ?? FlexContainerPolicy.Instances.All.First();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);

        // A create whose first instance was not stored (Created) left counters ahead of the instances.
        if (Exists && State.Attributes.Long(AttributeNames.CurrentNrOfInstances) is { } cni && cni != Instances.Count)
        {
            SetCounters(State.Attributes.StateTag());
        }
    }

    protected override async ValueTask Created(NewResource resource)
    {
        if (!FlexContainerPolicy.KeepsInstances(State.Attributes) || Specialized is not { } specialized)
        {
            return;
        }

        try
        {
            var raised = AddFromCurrent(specialized, State.Attributes, Now(), resource.Originator ?? State.Owner);
            SetCounters(State.Attributes.StateTag());
            await WriteStateAsync();
            Events.Dispatch(raised);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The flexContainer stands; its first instance is missing, and the next activation corrects the counters.
            LogFirstInstanceFailed(Logger, exception, ResourceId);
            DeactivateOnIdle();
        }
    }

    protected override ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated, Dictionary<string, object?> accepted, string originator)
    {
        _instanceEvent = null;
        if (Specialized is not { } specialized)
        {
            return base.WillBeUpdated(updated, accepted, originator);
        }

        var size = FlexContainerPolicy.ContentSize(updated, specialized.Custom);
        updated[AttributeNames.ContentSize] = size;
        if (!FlexContainerPolicy.KeepsInstances(updated))
        {
            // Without mni, mbs and mia the flexContainer keeps no instances (ACME removes them with the limits).
            Instances.Evict(0, null);
            updated.Remove(AttributeNames.CurrentNrOfInstances);
            updated.Remove(AttributeNames.CurrentByteSize);
            return ValueTask.FromResult<ResourceResponse?>(null);
        }

        if (updated.Long(AttributeNames.MaxByteSize) is { } mbs && size > mbs)
        {
            return ValueTask.FromResult<ResourceResponse?>(ResourceResponse.Error(ResponseStatusCode.BadRequest,
                $"mbs {mbs} is less than the size of the custom attributes ({size} bytes)"));
        }

        if (CarriesContent(accepted, specialized))
        {
            _instanceEvent = AddFromCurrent(specialized, updated, Now(), originator);
        }

        return base.WillBeUpdated(updated, accepted, originator);
    }

    protected override void Updated(Dictionary<string, object?> accepted)
    {
        Events.Dispatch(_instanceEvent);
        _instanceEvent = null;
    }

    /// <summary>An update makes an instance when it sets a custom attribute or the labels (as ACME).</summary>
    private static bool CarriesContent(Dictionary<string, object?> accepted, FlexContainerPolicy.Specialized specialized)
    {
        foreach (var name in accepted.Keys)
        {
            if (specialized.Custom.Contains(name) || name == AttributeNames.Labels)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Adds an instance holding the custom attributes and labels of <paramref name="attributes"/> (the flexContainer
    /// as it is, or will be once the update is stored), with its state tag and size; evicts by its limits.
    /// </summary>
    private Outbox.RaisedEvent? AddFromCurrent(FlexContainerPolicy.Specialized specialized, Dictionary<string, object?> attributes,
        string now, string originator)
    {
        var content = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (attribute, value) in attributes)
        {
            if (specialized.Custom.Contains(attribute) || attribute == AttributeNames.Labels)
            {
                content[attribute] = value;
            }
        }

        content[AttributeNames.Originator] = originator;
        var stateTag = attributes.StateTag();
        var name = FreeInstanceName(string.Concat(attributes.ResourceName(), "_", stateTag.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var size = attributes.Long(AttributeNames.ContentSize) ?? FlexContainerPolicy.ContentSize(attributes, specialized.Custom);
        var error = AddInstance(content, name, now, originator, stateTag, size, attributes, out _, out var raised);
        if (error is not null)
        {
            // The content was validated as the flexContainer's and its expiry is the flexContainer's: nothing here can fail.
            throw new InvalidOperationException($"instance of {ResourceId} refused: {error.Message}");
        }

        return raised;
    }

    [LoggerMessage(EventId = 2701, Level = LogLevel.Warning,
        Message = "The first instance of flexContainer {ResourceId} was not stored; the flexContainer stands without it")]
    private static partial void LogFirstInstanceFailed(ILogger logger, Exception exception, string resourceId);
}
