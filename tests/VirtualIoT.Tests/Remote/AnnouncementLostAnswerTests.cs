using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Core.Internal;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Protocol;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Remote;

/// <summary>
/// The MN-CSE's sends to other CSEs, with faults a network makes: the answer to a chosen create lost on its way back
/// after the create was carried out; a chosen create held up on its way (its sender sees a timeout) and delivered
/// only after the next create of its type; a chosen create that never leaves nor answers (the silo failed with it on
/// its way); discoveries failing while asked to.
/// </summary>
public sealed class LossySender(IRemoteCseSender inner) : IRemoteCseSender
{
    private readonly ConcurrentDictionary<ResourceType, TaskCompletionSource> _lose = new();
    private readonly ConcurrentDictionary<ResourceType, TaskCompletionSource<ResourceResponse>> _hold = new();
    private readonly ConcurrentDictionary<ResourceType, (string CseId, string Target, ResourceRequest Request)> _held = new();
    private readonly ConcurrentDictionary<ResourceType, TaskCompletionSource> _hang = new();

    /// <summary>While true, every discovery sent answers 5103 without leaving.</summary>
    public bool DiscoveriesFail { get; set; }

    /// <summary>Loses the answer of the next create of a <paramref name="type"/> carried out; completes then.</summary>
    public Task LoseAnswerOfNextCreate(ResourceType type)
    {
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _lose[type] = lost;
        return lost.Task;
    }

    /// <summary>
    /// Holds the next create of a <paramref name="type"/> back (its sender gets 5103 at once) and delivers it after the
    /// next create of that type was answered; completes with the held create's answer.
    /// </summary>
    public Task<ResourceResponse> HoldNextCreate(ResourceType type)
    {
        var delivered = new TaskCompletionSource<ResourceResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _hold[type] = delivered;
        return delivered.Task;
    }

    /// <summary>
    /// Makes the next create of a <paramref name="type"/> neither leave nor answer, ever (its silo failed with it on its
    /// way); completes when that create is sent.
    /// </summary>
    public Task HangNextCreate(ResourceType type)
    {
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hang[type] = sent;
        return sent.Task;
    }

    public async Task<ResourceResponse> SendAsync(string cseId, string target, ResourceRequest request, CancellationToken cancellationToken)
    {
        if (request is { Operation: Operation.Create, ResourceType: { } hung } && _hang.TryRemove(hung, out var sent))
        {
            sent.SetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (DiscoveriesFail && request.Filter is { Usage: FilterUsage.Discovery })
        {
            return ResourceResponse.Error(ResponseStatusCode.TargetNotReachable, "discoveries fail (test)");
        }

        if (request is { Operation: Operation.Create, ResourceType: { } held } && _hold.ContainsKey(held) && _held.TryAdd(held, (cseId, target, request)))
        {
            return ResourceResponse.Error(ResponseStatusCode.TargetNotReachable, "no answer in time: the request is held up on its way (test)");
        }

        var answer = await inner.SendAsync(cseId, target, request, cancellationToken);
        if (request is { Operation: Operation.Create, ResourceType: { } next } && _held.TryRemove(next, out var first) && _hold.TryRemove(next, out var delivered))
        {
            delivered.SetResult(await inner.SendAsync(first.CseId, first.Target, first.Request, cancellationToken));
        }

        if (request.Operation == Operation.Create && answer.StatusCode == ResponseStatusCode.Created
            && request.ResourceType is { } type && _lose.TryRemove(type, out var lost))
        {
            lost.SetResult();
            return ResourceResponse.Error(ResponseStatusCode.TargetNotReachable, "the answer was lost on its way back (test)");
        }

        return answer;
    }
}

/// <summary>
/// The MN-CSE's reminder table, able to hold one chosen lookup or removal back until released: a grain that looks up
/// or removes its reminder while finishing work waits there, so a test can change things at exactly that moment.
/// </summary>
public sealed class HeldReminderTable(IReminderTable inner) : IReminderTable
{
    private readonly ConcurrentDictionary<(string Key, string Name), (TaskCompletionSource Reached, Task Released)> _holds = new();

    /// <summary>
    /// Holds the next lookup or removal of the reminder <paramref name="name"/> of the grain keyed <paramref name="key"/>
    /// until <paramref name="released"/> completes; the task returned completes when that call is being held.
    /// </summary>
    public Task HoldNextLookupOrRemoval(string key, string name, Task released)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _holds[(key, name)] = (reached, released);
        return reached.Task;
    }

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        await Held(grainId, reminderName);
        return await inner.ReadRow(grainId, reminderName);
    }

    private async Task Held(GrainId grainId, string reminderName)
    {
        if (_holds.TryRemove((grainId.Key.ToString()!, reminderName), out var hold))
        {
            hold.Reached.SetResult();
            await hold.Released;
        }
    }

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken) => ReadRow(grainId, reminderName);

    public Task<ReminderTableData> ReadRows(GrainId grainId) => inner.ReadRows(grainId);

    public Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken) => inner.ReadRows(grainId, cancellationToken);

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => inner.ReadRows(begin, end);

    public Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken) => inner.ReadRows(begin, end, cancellationToken);

    public Task<string?> UpsertRow(ReminderEntry entry) => inner.UpsertRow(entry);

    public Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken) => inner.UpsertRow(entry, cancellationToken);

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        await Held(grainId, reminderName);
        return await inner.RemoveRow(grainId, reminderName, eTag);
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken) =>
        RemoveRow(grainId, reminderName, eTag);

    public Task TestOnlyClearTable() => inner.TestOnlyClearTable();

    public Task TestOnlyClearTable(CancellationToken cancellationToken) => inner.TestOnlyClearTable(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => inner.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => inner.StopAsync(cancellationToken);
}

/// <summary>
/// An IN-CSE and an MN-CSE registered to it whose sends to other CSEs go through a <see cref="LossySender"/> and whose
/// reminder lookups go through a <see cref="HeldReminderTable"/>.
/// </summary>
public sealed class LossyCsePairFixture : IAsyncLifetime
{
    private Backends.PlatformHost? _mn;

    public PlatformHost In { get; private set; } = null!;

    public OneM2MClient Mn => _mn!.Client;

    /// <summary>The MN-CSE's grain factory, to stop one of its activations as a silo failure would.</summary>
    public IGrainFactory MnGrains => _mn!.Grains;

    public LossySender Sender { get; private set; } = null!;

    public HeldReminderTable Reminders { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var inPort = FreePort.Next();
        var inAddress = "http://127.0.0.1:" + inPort.ToString(CultureInfo.InvariantCulture);
        In = new PlatformHost(inPort, new Dictionary<string, string>());
        await In.InitializeAsync();
        // The IN never sends to the MN here; the MN's point of access is only what its registration carries.
        var mnAddress = "http://127.0.0.1:" + FreePort.Next().ToString(CultureInfo.InvariantCulture);
        _mn = Backends.PlatformHost.Start(CsePairFixture.MnSettings([], "/id-mn", mnAddress, inAddress), services =>
        {
            var real = services.Single(s => s.ServiceType == typeof(IRemoteCseSender));
            services.RemoveAll<IRemoteCseSender>();
            services.AddSingleton(provider => new LossySender((IRemoteCseSender)ActivatorUtilities.CreateInstance(provider, real.ImplementationType!)));
            services.AddSingleton<IRemoteCseSender>(provider => provider.GetRequiredService<LossySender>());
            var table = services.Single(s => s.ServiceType == typeof(IReminderTable));
            services.RemoveAll<IReminderTable>();
            services.AddSingleton(provider => new HeldReminderTable((IReminderTable)(table.ImplementationInstance
                ?? table.ImplementationFactory?.Invoke(provider) ?? ActivatorUtilities.CreateInstance(provider, table.ImplementationType!))));
            services.AddSingleton<IReminderTable>(provider => provider.GetRequiredService<HeldReminderTable>());
        });
        Sender = _mn.Services.GetRequiredService<LossySender>();
        Reminders = _mn.Services.GetRequiredService<HeldReminderTable>();
    }

    public async Task DisposeAsync()
    {
        if (_mn is not null)
        {
            await _mn.DisposeAsync();
        }

        await In.DisposeAsync();
    }
}

/// <summary>
/// A create of an announced copy whose answer is lost after the other CSE made the copy leaves one copy there, not
/// two: the announcer looks for the copy by its <c>lnk</c> before creating again and adopts it, or removes it when
/// the original is deleted meanwhile. A change handed to the announcer while it finishes a pass, or one whose pass a
/// silo failure cut short, is carried out all the same.
/// </summary>
public sealed class AnnouncementLostAnswerTests(LossyCsePairFixture pair) : IClassFixture<LossyCsePairFixture>
{
    private const string MnAtIn = "/cse-in/id-mn";
    private static readonly TimeSpan CopyTimeout = TimeSpan.FromSeconds(40);

    private OneM2MClient In => pair.In.Client;

    private async Task WaitForRegistration() =>
        await M2MTime.WaitUntil(async () => (await In.Retrieve(MnAtIn, OneM2MClient.Admin)).Rsc == 2000,
            "the MN-CSE's <remoteCSE> /cse-in/id-mn at the IN-CSE", CopyTimeout);

    /// <summary>The copies (ty <paramref name="ty"/>) under <paramref name="parent"/> at the IN whose <c>lnk</c> is <paramref name="link"/>: their <c>ri</c>.</summary>
    private async Task<List<string>> Copies(string parent, int ty, string link)
    {
        var found = await In.Discover(parent, OneM2MClient.Admin, $"ty={ty}");
        var copies = new List<string>();
        foreach (var uri in UriList(found))
        {
            var copy = await In.Retrieve("/" + uri.TrimStart('/'), OneM2MClient.Admin);
            // A copy listed can be gone by the time it is read (an error answer: no resource under its root).
            var root = copy.Rsc == 2000 ? copy.Json?.AsObject().FirstOrDefault().Value as JsonObject : null;
            if (copy.Rsc == 2000 && root?["lnk"]?.GetValue<string>() == link)
            {
                copies.Add(Text(root, "ri"));
            }
        }

        return copies;
    }

    /// <summary>Waits until the original at <paramref name="path"/> names a copy at the IN in its <c>at</c>; that copy's <c>ri</c>.</summary>
    private async Task<string> NamedCopy(string path, string root, string originator)
    {
        string? named = null;
        await M2MTime.WaitUntil(async () =>
                (named = (await pair.Mn.Retrieve(path, originator)).Json?[root]?["at"]?[0]?.GetValue<string>()) is { } at && at.StartsWith("/id-in/", StringComparison.Ordinal),
            $"the at of {path} to name its copy at the IN", CopyTimeout);
        return named!["/id-in/".Length..];
    }

    /// <summary>Registers the AE <paramref name="aeId"/> at the MN, announced to the IN.</summary>
    private async Task RegisterAnnouncedAe(string aeId) =>
        Answered(await pair.Mn.Create("/cse-mn", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nlost","rr":false,"srv":["3"],"at":["/id-in"]}}"""), 2001);

    [Fact]
    public async Task An_AE_whose_create_answer_was_lost_has_one_copy_which_goes_with_the_original()
    {
        await WaitForRegistration();
        var aeId = OneM2MClient.NewName("Clost");
        var lost = pair.Sender.LoseAnswerOfNextCreate(ResourceType.AEAnnc);
        await RegisterAnnouncedAe(aeId);
        await lost.WaitAsync(CopyTimeout);

        var copy = await NamedCopy($"/cse-mn/{aeId}", "m2m:ae", aeId);
        Assert.Equal([copy], await Copies(MnAtIn, 10002, "/id-mn/" + aeId));

        Answered(await pair.Mn.Delete($"/cse-mn/{aeId}", aeId), 2002);
        await M2MTime.WaitUntil(async () => (await Copies(MnAtIn, 10002, "/id-mn/" + aeId)).Count == 0,
            "the AE's copy at the IN to go with the original", CopyTimeout);
    }

    [Fact]
    public async Task A_container_whose_create_answer_was_lost_has_one_copy_under_its_AE_copy()
    {
        await WaitForRegistration();
        var aeId = OneM2MClient.NewName("Clost");
        await RegisterAnnouncedAe(aeId);
        await NamedCopy($"/cse-mn/{aeId}", "m2m:ae", aeId);

        var lost = pair.Sender.LoseAnswerOfNextCreate(ResourceType.ContainerAnnc);
        var cnt = await pair.Mn.Create($"/cse-mn/{aeId}", aeId, 3, """{"m2m:cnt":{"rn":"temp","at":["/id-in"]}}""");
        Answered(cnt, 2001);
        await lost.WaitAsync(CopyTimeout);

        var copy = await NamedCopy($"/cse-mn/{aeId}/temp", "m2m:cnt", aeId);
        Assert.Equal([copy], await Copies(MnAtIn, 10003, "/id-mn/" + Text(cnt.Resource("m2m:cnt"), "ri")));
    }

    [Fact]
    public async Task A_create_held_up_on_its_way_while_it_is_sent_again_makes_one_copy()
    {
        await WaitForRegistration();
        var aeId = OneM2MClient.NewName("Clost");
        var held = pair.Sender.HoldNextCreate(ResourceType.AEAnnc);
        await RegisterAnnouncedAe(aeId);

        // The create sent again arrives first; the held one, arriving after it, is the same request: answered with its copy.
        var late = await held.WaitAsync(CopyTimeout);
        var copy = await NamedCopy($"/cse-mn/{aeId}", "m2m:ae", aeId);
        Assert.Equal(ResponseStatusCode.Created, late.StatusCode);
        Assert.Equal([copy], await Copies(MnAtIn, 10002, "/id-mn/" + aeId));
    }

    [Fact]
    public async Task A_change_handed_over_while_the_announcer_finishes_a_pass_reaches_the_copy()
    {
        await WaitForRegistration();
        var aeId = OneM2MClient.NewName("Clost");
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The announcer of the AE, its copy made, drops its reminder: held there.
        var finishing = pair.Reminders.HoldNextLookupOrRemoval(aeId, "announce", released.Task);
        try
        {
            await RegisterAnnouncedAe(aeId);
            await finishing.WaitAsync(CopyTimeout);
            Answered(await pair.Mn.Update($"/cse-mn/{aeId}", aeId, """{"m2m:ae":{"lbl":["moved"]}}"""), 2004);
        }
        finally
        {
            released.SetResult();
        }

        var copy = await NamedCopy($"/cse-mn/{aeId}", "m2m:ae", aeId);
        await M2MTime.WaitUntil(async () => (await In.Retrieve("/" + copy, OneM2MClient.Admin)).Json?["m2m:aeA"]?["lbl"]?[0]?.GetValue<string>() == "moved",
            "the change made while the announcer finished its pass to reach the AE's copy at the IN", CopyTimeout);
    }

    [Fact]
    public async Task An_announcement_a_silo_failure_cut_short_is_carried_out_when_the_announcer_comes_back()
    {
        await WaitForRegistration();
        var aeId = OneM2MClient.NewName("Clost");
        var sent = pair.Sender.HangNextCreate(ResourceType.AEAnnc);
        await RegisterAnnouncedAe(aeId);
        await sent.WaitAsync(CopyTimeout);

        // The announcer's activation goes as with a failed silo, its create on the way and never answered; what it stored
        // stays. Nothing else calls it again: only what it registered before the AE's create was answered brings it back.
        await pair.MnGrains.GetGrain<IAnnouncementGrain>(aeId).AsReference<IGrainManagementExtension>().DeactivateOnIdle();

        var copy = await NamedCopy($"/cse-mn/{aeId}", "m2m:ae", aeId);
        Assert.Equal([copy], await Copies(MnAtIn, 10002, "/id-mn/" + aeId));
    }

    [Fact]
    public async Task A_copy_a_lost_answer_left_is_removed_when_the_original_is_deleted_before_it_was_found()
    {
        await WaitForRegistration();
        var aeId = OneM2MClient.NewName("Clost");
        var link = "/id-mn/" + aeId;
        var lost = pair.Sender.LoseAnswerOfNextCreate(ResourceType.AEAnnc);
        pair.Sender.DiscoveriesFail = true;
        try
        {
            await RegisterAnnouncedAe(aeId);
            await lost.WaitAsync(CopyTimeout);
            Assert.Single(await Copies(MnAtIn, 10002, link));
            Answered(await pair.Mn.Delete($"/cse-mn/{aeId}", aeId), 2002);
        }
        finally
        {
            pair.Sender.DiscoveriesFail = false;
        }

        await M2MTime.WaitUntil(async () => (await Copies(MnAtIn, 10002, link)).Count == 0,
            "the copy the lost answer left at the IN to go", CopyTimeout);
    }
}
