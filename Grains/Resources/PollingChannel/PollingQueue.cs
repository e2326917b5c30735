namespace VirtualIoT.Grains.Resources.PollingChannel;

/// <summary>A polling channel's own stored state (<see cref="ResourceState.Specific"/>): the requests queued for its AE.</summary>
[GenerateSerializer, Alias("VirtualIoT.PollingQueue")]
public sealed class PollingQueue : TypeState
{
    /// <summary>Requests not yet polled, oldest first.</summary>
    [Id(0)] public List<PolledRequest> Requests { get; set; } = [];
}
