using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Access control on discovery and subscription creation (docs/protocol.md §11, §8): discovery lists only resources that
/// grant the originator DISCOVERY (content instances through their container), wherever the walk starts; a
/// subscriber needs CREATE and RETRIEVE on the subscribed-to resource, and a refused subscription verifies nothing;
/// naming an AE as notification target needs NOTIFY on that AE (TS-0004 7.5.1.2.3), refused like a missing target.
/// </summary>
[Collection(CseCollection.Name)]
public sealed class AccessDiscoveryTests(CseFixture fixture) : IAsyncLifetime
{
    private readonly NotificationReceiver _receiver = new();

    private OneM2MClient Client => fixture.Client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private sealed record Tree(string Owner, string Seeker, string Label, string Open, string Discoverable, string ReadOnly);

    /// <summary>
    /// An AE with three labelled containers, each holding one instance: one without acpi, one whose policy gives the
    /// seeker DISCOVERY, one whose policy gives it RETRIEVE only.
    /// </summary>
    private async Task<Tree> NewTree()
    {
        var owner = await Client.RegisterAe();
        var seeker = await Client.RegisterAe();
        var label = OneM2MClient.NewName("lbl");
        var discover = await Policy(owner, $$$"""{"acr":[{"acor":["{{{seeker}}}"],"acop":32}]}""");
        var read = await Policy(owner, $$$"""{"acr":[{"acor":["{{{seeker}}}"],"acop":2}]}""");
        var parent = "/cse-in/" + owner;
        var open = await Client.CreateContainer(parent, owner, "open", $$$""","lbl":["{{{label}}}"]""");
        var discoverable = await Client.CreateContainer(parent, OneM2MClient.Admin, "discoverable", $$$""","lbl":["{{{label}}}"],"acpi":["{{{discover}}}"]""");
        var readOnly = await Client.CreateContainer(parent, OneM2MClient.Admin, "readOnly", $$$""","lbl":["{{{label}}}"],"acpi":["{{{read}}}"]""");
        foreach (var container in new[] { open, discoverable, readOnly })
        {
            await Client.CreateInstance(container, OneM2MClient.Admin, extra: $$$""","lbl":["{{{label}}}"]""");
        }

        return new Tree(owner, seeker, label, open[1..], discoverable[1..], readOnly[1..]);
    }

    private async Task<string> Policy(string owner, string pv)
    {
        var response = await Client.Create("/cse-in/" + owner, owner, 1,
            $$$$"""{"m2m:acp":{"pv":{{{{pv}}}},"pvs":{"acr":[{"acor":["{{{{owner}}}}"],"acop":63}]}}}""");
        Answered(response, 2001);
        return Text(response.Resource("m2m:acp"), "ri");
    }

    [Theory]
    [InlineData("/cse-in")]
    [InlineData("/cse-in/{owner}")]
    public async Task Discovery_lists_only_what_grants_the_originator_DISCOVERY(string start)
    {
        var tree = await NewTree();

        var response = await Client.Discover(start.Replace("{owner}", tree.Owner, StringComparison.Ordinal), tree.Seeker, "lbl=" + tree.Label);

        Answered(response, 2000);
        var found = UriList(response);
        Assert.Equal(2, found.Count);
        Assert.Contains(tree.Discoverable, found);
        Assert.All(found, uri => Assert.StartsWith(tree.Discoverable, uri, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Discovery_by_the_owner_lists_what_the_owner_rule_and_the_policies_give_it()
    {
        var tree = await NewTree();

        var found = UriList(await Client.Discover("/cse-in/" + tree.Owner, tree.Owner, "lbl=" + tree.Label));

        // The policies name only the seeker: with acpi set, the owner no longer sees those containers.
        Assert.Equal(2, found.Count);
        Assert.All(found, uri => Assert.StartsWith(tree.Open, uri, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Discovery_by_a_stranger_answers_an_empty_list()
    {
        var tree = await NewTree();
        var stranger = await Client.RegisterAe();

        var response = await Client.Discover("/cse-in/" + tree.Owner, stranger, "lbl=" + tree.Label);

        Answered(response, 2000);
        Assert.Empty(UriList(response));
    }

    [Fact]
    public async Task Discovery_by_the_admin_lists_everything()
    {
        var tree = await NewTree();

        var found = UriList(await Client.Discover("/cse-in", OneM2MClient.Admin, "lbl=" + tree.Label));

        Assert.Equal(6, found.Count);
    }

    [Fact]
    public async Task A_subscriber_with_RETRIEVE_only_is_refused_and_no_verification_is_sent()
    {
        var tree = await NewTree();

        var response = await Client.Create("/" + tree.ReadOnly, tree.Seeker, 23,
            $$$$"""{"m2m:sub":{"rn":"watch","nu":["{{{{_receiver.Url}}}}"],"enc":{"net":[3]}}}""");

        Answered(response, 4103);
        Assert.Empty(_receiver.Received);
        Answered(await Client.Retrieve($"/{tree.ReadOnly}/watch", OneM2MClient.Admin), 4004);
    }

    [Fact]
    public async Task A_subscriber_with_CREATE_and_RETRIEVE_is_verified_and_notified()
    {
        var owner = await Client.RegisterAe();
        var subscriber = await Client.RegisterAe();
        var acp = await Policy(owner, $$$"""{"acr":[{"acor":["{{{subscriber}}}"],"acop":3}]}""");
        var container = await Client.CreateContainer("/cse-in/" + owner, OneM2MClient.Admin, extra: $$$""","acpi":["{{{acp}}}"]""");

        var response = await Client.Create(container, subscriber, 23,
            $$$$"""{"m2m:sub":{"rn":"watch","nu":["{{{{_receiver.Url}}}}"],"enc":{"net":[3]},"cr":null}}""");
        await Client.CreateInstance(container, OneM2MClient.Admin, "21");

        Answered(response, 2001);
        Assert.Equal(subscriber, Text(response.Resource("m2m:sub"), "cr"));
        await _receiver.WaitFor(received => received.Any(n => n.Signal?["nev"] is not null), "the notification of the new instance");
    }

    /// <summary>Registers an AE whose point of access is the test's receiver.</summary>
    private async Task<string> TargetAe()
    {
        var aeId = "Ctarget" + Guid.NewGuid().ToString("N")[..12];
        Answered(await Client.Create("/cse-in", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Ntest","rr":true,"srv":["3"],"poa":["{{{_receiver.Url}}}"]}}"""), 2001);
        return aeId;
    }

    private List<ReceivedNotification> Verifications() => _receiver.Received.Where(r => r.Signal?["vrq"] is not null).ToList();

    private Task<OneM2MResponse> SubscribeTo(string container, string subscriber, string target, string name = "watch") =>
        Client.Create(container, subscriber, 23, $$$$"""{"m2m:sub":{"rn":"{{{{name}}}}","nu":["{{{{target}}}}"],"enc":{"net":[3]}}}""");

    [Fact]
    public async Task Naming_an_AE_without_NOTIFY_on_it_is_refused_like_a_missing_target_and_sends_nothing()
    {
        var target = await TargetAe();
        var subscriber = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + subscriber, subscriber);
        var missing = "Cmissing" + Guid.NewGuid().ToString("N")[..12];

        // The target has no acpi: only its owner (itself) and CAdmin may notify it.
        var refused = await SubscribeTo(container, subscriber, target);
        var spRelative = await SubscribeTo(container, subscriber, "/id-in/" + target);
        var absent = await SubscribeTo(container, subscriber, missing);

        Answered(refused, 5204);
        Answered(spRelative, 5204);
        Answered(absent, 5204);
        Assert.Equal(absent.Body.Replace(missing, "X", StringComparison.Ordinal), refused.Body.Replace(target, "X", StringComparison.Ordinal));
        Assert.Empty(_receiver.Received);
        Answered(await Client.Retrieve(container + "/watch", OneM2MClient.Admin), 4004);
    }

    [Fact]
    public async Task NOTIFY_granted_by_the_target_lets_the_subscriber_name_it_and_an_update_of_nu_is_checked_too()
    {
        var target = await TargetAe();
        var subscriber = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + subscriber, subscriber);
        var acp = await Policy(target, $$$"""{"acr":[{"acor":["{{{subscriber}}}"],"acop":16}]}""");
        Answered(await Client.Update("/cse-in/" + target, target, $$$"""{"m2m:ae":{"acpi":["{{{acp}}}"]}}"""), 2004);

        var response = await SubscribeTo(container, subscriber, target);

        Answered(response, 2001);
        var verification = Assert.Single(Verifications());
        Assert.True((bool)verification.Signal!["vrq"]!);
        Assert.Equal(subscriber, (string)verification.Signal!["cr"]!);

        // A subscription to itself has no creator; changing nu to an AE that grants nothing is refused all the same.
        var other = await TargetAe();
        Answered(await SubscribeTo(container, subscriber, subscriber, "self"), 2001);
        Answered(await Client.Update(container + "/self", subscriber, $$$"""{"m2m:sub":{"nu":["{{{other}}}"]}}"""), 5204);
        Answered(await Client.Update(container + "/watch", subscriber, $$$"""{"m2m:sub":{"nu":["{{{other}}}"]}}"""), 5204);
        Assert.Single(Verifications());
        Answered(await Client.Update(container + "/self", subscriber, $$$"""{"m2m:sub":{"nu":["{{{target}}}"]}}"""), 2004);
        Assert.Equal(2, Verifications().Count);
    }
}
