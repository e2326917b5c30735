using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Storage;
using Orleans.TestingHost;
using VirtualIoT.Grains;
using VirtualIoT.Grains.Resources;
using VirtualIoT.Grains.Resources.Action;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// An action's firing that was stored but whose request never went (its silo died between the two) is sent when the
/// action is activated again, once; one whose request was carried out but whose answer was lost is sent again with
/// the same request identifier and answered from the target's record instead of being carried out twice. The stored
/// record is written as the dead silo left it: the action's state with the firing unanswered.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ActionRecoveryTests(ClusterFixture fixture)
{
    private const string StateName = "resource";

    private IGrainStorage Storage =>
        ((InProcessSiloHandle)fixture.Cluster.Silos[0]).SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);

    private async Task<string> Create(ResourceType type, string root, Dictionary<string, object?> content)
    {
        content["rn"] = "r" + Guid.NewGuid().ToString("N")[..10];
        var created = await fixture.Grains.GetGrain<ICseBaseGrain>("id-in").Execute(Request(Operation.Create, type: type, root: root, content: content));
        Assert.True(created.StatusCode == ResponseStatusCode.Created, created.Message);
        return (string)Attributes(created, root)["ri"]!;
    }

    /// <summary>An action (evm once) on its own subject container, creating an instance in its own object container.</summary>
    private async Task<(string Action, string Target)> NewAction()
    {
        var subject = await Create(ResourceType.Container, "m2m:cnt", []);
        var target = await Create(ResourceType.Container, "m2m:cnt", []);
        var action = await Create(ResourceType.Action, "m2m:actr", new()
        {
            ["evc"] = new Dictionary<string, object?> { ["sbjt"] = "mni", ["optr"] = 1L, ["thld"] = 7L },
            ["evm"] = 1L,
            ["sri"] = subject,
            ["orc"] = target,
            ["apv"] = new Dictionary<string, object?>
            {
                ["op"] = 1L, ["fr"] = Admin, ["ty"] = 4L,
                ["pc"] = new Dictionary<string, object?> { ["m2m:cin"] = new Dictionary<string, object?> { ["con"] = "fired" } },
            },
        });
        return (action, target);
    }

    private static ResourceRequest Firing() =>
        Request(Operation.Create, type: ResourceType.ContentInstance, root: "m2m:cin", content: new() { ["con"] = "fired" });

    /// <summary>Deactivates the action and stores it as a silo that died right after storing <paramref name="firing"/> left it.</summary>
    private async Task LeaveUnanswered(string actionId, ActionFiring firing)
    {
        var action = fixture.Grains.GetGrain<IActionGrain>(actionId);
        await action.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var stored = new GrainState<ResourceState>();
        await Storage.ReadStateAsync(StateName, action.GetGrainId(), stored);
        stored.State!.Specific = new ActionProgress { Fired = true, LastEvent = firing.Id, Unanswered = [firing] };
        await Storage.WriteStateAsync(StateName, action.GetGrainId(), stored);
    }

    private async Task<ActionProgress> StoredProgress(string actionId)
    {
        var stored = new GrainState<ResourceState>();
        await Storage.ReadStateAsync(StateName, fixture.Grains.GetGrain<IActionGrain>(actionId).GetGrainId(), stored);
        return Assert.IsType<ActionProgress>(stored.State!.Specific);
    }

    /// <summary>Retrieves the action (activating it) until its result <c>air</c> is there.</summary>
    private async Task<Dictionary<string, object?>> Result(string actionId)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(30));
        while (true)
        {
            var action = Attributes(await fixture.Grains.GetGrain<IActionGrain>(actionId).Retrieve(Request(Operation.Retrieve)), "m2m:actr");
            if (action.GetValueOrDefault("air") is Dictionary<string, object?> result)
            {
                return result;
            }

            Assert.False(deadline.Passed, $"action {actionId}: no air after 30 s");
            await Task.Delay(50);
        }
    }

    private async Task<long> Instances(string containerId) =>
        (long)Attributes(await fixture.Grains.GetGrain<IContainerGrain>(containerId).Retrieve(Request(Operation.Retrieve)), "m2m:cnt")["cni"]!;

    [Fact]
    public async Task A_stored_firing_whose_request_never_went_is_sent_once_when_the_action_is_activated_again()
    {
        var (action, target) = await NewAction();
        var request = Firing();
        await LeaveUnanswered(action, new ActionFiring("evt-lost", target, request));

        var result = await Result(action);
        var afterFirst = await Instances(target);
        var progress = await StoredProgress(action);
        await fixture.Grains.GetGrain<IActionGrain>(action).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Result(action);

        Assert.Equal(2001L, result["rsc"]);
        Assert.Equal(request.RequestIdentifier, result["rqi"]);
        Assert.Equal(1L, afterFirst);
        Assert.Empty(progress.Unanswered);
        Assert.Empty((await StoredProgress(action)).Unanswered);
        Assert.Equal(1L, await Instances(target));
    }

    [Fact]
    public async Task A_firing_carried_out_whose_answer_was_lost_is_not_carried_out_twice()
    {
        var (action, target) = await NewAction();
        var request = Firing();
        var done = await fixture.Grains.GetGrain<IContainerGrain>(target).Execute(request);
        Assert.Equal(ResponseStatusCode.Created, done.StatusCode);
        await LeaveUnanswered(action, new ActionFiring("evt-unanswered", target, request));

        var result = await Result(action);

        Assert.Equal(2001L, result["rsc"]);
        var instance = (Dictionary<string, object?>)((Dictionary<string, object?>)result["pc"]!)["m2m:cin"]!;
        Assert.Equal(Attributes(done, "m2m:cin")["ri"], instance["ri"]);
        Assert.Equal(1L, await Instances(target));
        Assert.Empty((await StoredProgress(action)).Unanswered);
    }
}
