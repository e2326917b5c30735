using System.Globalization;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.CrashPoints;

/// <summary>The multi-write operations the crash-point test crashes at every write of.</summary>
internal static class CrashOperations
{
    /// <summary>Index shards of the CSEBase in the test platform (the default): a name's page is its hash modulo shards × 64.</summary>
    private const int Shards = 256;

    private const int PagesPerShard = 64;

    /// <summary>How long a notification may take on a machine busy with other test classes.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>One fresh instance of each operation per call of each factory.</summary>
    public static IReadOnlyList<Func<CrashOperation>> All(NotificationReceiver receiver) =>
    [
        () => new AeRegistration(existingPage: false),
        () => new AeRegistration(existingPage: true),
        () => new AnonymousRegistration(),
        () => new ContainerCreate(underCseBase: false),
        () => new ContainerCreate(underCseBase: true),
        () => new SubscriptionCreate(receiver),
        () => new InstanceCreate(prefill: 15),
        () => new InstanceCreate(prefill: 20),
        () => new InstanceCreate(prefill: 25),
        () => new SubtreeDelete(underCseBase: false),
        () => new SubtreeDelete(underCseBase: true),
        () => new OutboxEvent(receiver),
    ];

    /// <summary>A fresh AE-ID whose index shard page is the one <paramref name="sibling"/>'s name falls in.</summary>
    internal static string NameOnPageOf(string sibling)
    {
        var page = Policies.Hash(sibling) % (Shards * PagesPerShard);
        var stem = "Ccq" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; ; i++)
        {
            var name = stem + i.ToString(CultureInfo.InvariantCulture);
            if (Policies.Hash(name) % (Shards * PagesPerShard) == page)
            {
                return name;
            }
        }
    }

    /// <summary>AE registration under the CSEBase by a named originator: index page (and its shard's bitmask), AE state.</summary>
    private sealed class AeRegistration(bool existingPage) : ChildCreate
    {
        private string _aeId = "";

        public override string Name => existingPage ? "AE registration, index page exists" : "AE registration, new index page";

        protected override string RootKey => "m2m:ae";

        protected override int Type => 2;

        protected override string ParentPath => "/cse-in";

        protected override string Originator => _aeId;

        protected override string Reader => OneM2MClient.Admin;

        protected override string? Path => "/cse-in/" + _aeId;

        protected override string Body => $$$"""{"m2m:ae":{"rn":"{{{_aeId}}}","api":"Ncrash","rr":false,"srv":["3"],"lbl":["{{{Label}}}"]}}""";

        public override async Task Prepare(OneM2MClient client)
        {
            var sibling = "Ccp" + Guid.NewGuid().ToString("N")[..12];
            _aeId = sibling + "x";
            if (existingPage)
            {
                await client.RegisterAe(sibling);
                _aeId = NameOnPageOf(sibling);
            }
        }

        public override async Task CheckAfter(OneM2MClient client, OneM2MResponse repeat)
        {
            await base.CheckAfter(client, repeat);
            Require(repeat.Resource(RootKey)["aei"]?.GetValue<string>() == _aeId, $"aei of the repeat is not {_aeId}: {repeat.Body}");
        }

        protected override Task Use(OneM2MClient client, string address) => client.CreateContainer(Path!, _aeId);
    }

    /// <summary>
    /// AE registration by an anonymous originator (<c>C</c>): the CSE assigns the AE-ID, derived from the request, so the
    /// repeat gets the same AE. Found by its label (nobody knows its ID before the answer).
    /// </summary>
    private sealed class AnonymousRegistration : CrashOperation
    {
        public override string Name => "AE registration, anonymous originator";

        public override Task Prepare(OneM2MClient client) => Task.CompletedTask;

        public override Task<OneM2MResponse> Send(OneM2MClient client, string rqi) =>
            Post(client, "/cse-in", "C", 2, $$$"""{"m2m:ae":{"api":"Ncrash","rr":false,"srv":["3"],"lbl":["{{{Label}}}"]}}""", rqi);

        public override async Task CheckBetween(OneM2MClient client)
        {
            var listed = await Discovered(client, "/cse-in", OneM2MClient.Admin, $"ty=2&lbl={Label}");
            Require(listed.Count <= 1, $"{listed.Count} AEs stored for one registration: {string.Join(", ", listed)}");
            if (listed.Count == 1)
            {
                Expect(await client.Retrieve("/" + listed[0].TrimStart('/'), OneM2MClient.Admin), $"retrieve listed {listed[0]}", 2000);
            }
        }

        public override async Task CheckAfter(OneM2MClient client, OneM2MResponse repeat)
        {
            Expect(repeat, "the repeated registration", 2001);
            var aeId = repeat.Resource("m2m:ae")["aei"]!.GetValue<string>();
            var listed = await Discovered(client, "/cse-in", OneM2MClient.Admin, $"ty=2&lbl={Label}");
            Require(listed.Count == 1 && listed[0].EndsWith(aeId, StringComparison.Ordinal),
                $"the CSEBase lists {string.Join(", ", listed)} for the registration answered with {aeId}");
            Expect(await client.Retrieve("/cse-in/" + aeId, aeId), $"retrieve {aeId}", 2000);
            Expect(await client.Update("/cse-in/" + aeId, aeId, $$$"""{"m2m:ae":{"lbl":["{{{Label}}}","updated"]}}"""), $"update {aeId}", 2004);
            await client.CreateContainer("/cse-in/" + aeId, aeId);
        }
    }

    /// <summary>Container create under an AE (child state, parent's link page and bitmask) or under the CSEBase (index page, state).</summary>
    private sealed class ContainerCreate(bool underCseBase) : ChildCreate
    {
        private readonly string _name = "cnt" + Guid.NewGuid().ToString("N")[..10];
        private string _aeId = "";

        public override string Name => underCseBase ? "container create under the CSEBase" : "container create under an AE";

        protected override string RootKey => "m2m:cnt";

        protected override int Type => 3;

        protected override string ParentPath => underCseBase ? "/cse-in" : "/cse-in/" + _aeId;

        protected override string Originator => _aeId;

        protected override string Reader => underCseBase ? OneM2MClient.Admin : _aeId;

        protected override string? Path => ParentPath + "/" + _name;

        protected override string Body => $$$"""{"m2m:cnt":{"rn":"{{{_name}}}","mni":5,"lbl":["{{{Label}}}"]}}""";

        public override async Task Prepare(OneM2MClient client) => _aeId = await client.RegisterAe();

        protected override Task Use(OneM2MClient client, string address) => ExpectWritableContainer(client, Path!, _aeId);
    }

    /// <summary>Subscription create under a container: subscription state, container's link page and bitmask; then it gets events.</summary>
    private sealed class SubscriptionCreate(NotificationReceiver receiver) : ChildCreate
    {
        private string _aeId = "";
        private string _container = "";

        public override string Name => "subscription create under a container";

        protected override string RootKey => "m2m:sub";

        protected override int Type => 23;

        protected override string ParentPath => _container;

        protected override string Originator => _aeId;

        protected override string? Path => _container + "/sub";

        protected override string Body => $$$"""{"m2m:sub":{"rn":"sub","nu":["{{{receiver.Url}}}"],"enc":{"net":[3]},"lbl":["{{{Label}}}"]}}""";

        public override async Task Prepare(OneM2MClient client)
        {
            _aeId = await client.RegisterAe();
            _container = await client.CreateContainer("/cse-in/" + _aeId, _aeId);
        }

        protected override async Task Use(OneM2MClient client, string address)
        {
            var marker = "event-" + Label;
            await client.CreateInstance(_container, _aeId, marker);
            await receiver.WaitFor(r => r.Any(n => n.Body.Contains(marker, StringComparison.Ordinal)), $"the event {marker} through the new subscription", Patience);
        }
    }

    /// <summary>
    /// contentInstance create with eviction (mni 10, segments of 16) after <c>prefill</c> instances: 15 makes it seal
    /// the open segment (sealed segment record, container state), 20 makes it evict from a sealed segment (the state
    /// lists the removal), 25 makes it evict the last instance of a sealed segment (state, then the segment's clear).
    /// </summary>
    private sealed class InstanceCreate(int prefill) : CrashOperation
    {
        private const int Mni = 10;
        private string _aeId = "";
        private string _container = "";

        public override string Name => prefill switch
        {
            15 => "contentInstance create sealing a segment, with eviction",
            20 => "contentInstance create evicting from a sealed segment",
            _ => "contentInstance create emptying a sealed segment",
        };

        private string Marker => "new-" + Label;

        public override async Task Prepare(OneM2MClient client)
        {
            _aeId = await client.RegisterAe();
            _container = await client.CreateContainer("/cse-in/" + _aeId, _aeId, extra: $",\"mni\":{Mni}");
            for (var i = 0; i < prefill; i++)
            {
                await client.CreateInstance(_container, _aeId, "v" + i.ToString(CultureInfo.InvariantCulture));
            }
        }

        public override Task<OneM2MResponse> Send(OneM2MClient client, string rqi) =>
            Post(client, _container, _aeId, 4, $$$"""{"m2m:cin":{"con":"{{{Marker}}}","lbl":["{{{Label}}}"]}}""", rqi);

        public override async Task CheckBetween(OneM2MClient client)
        {
            var (count, listed, latest, oldest) = await Read(client);
            Require(count == listed.Count, $"cni {count}, but {listed.Count} instances discovered");
            var present = latest == Marker;
            Require(present ? oldest == "v" + (prefill - Mni + 1) : oldest == "v" + (prefill - Mni) && count == Mni,
                $"la {latest}, ol {oldest}, cni {count}: neither before nor after the create");
        }

        public override async Task CheckAfter(OneM2MClient client, OneM2MResponse repeat)
        {
            Expect(repeat, "the repeated create", 2001);
            var (count, listed, latest, oldest) = await Read(client);
            Require(count == Mni && listed.Count == Mni, $"cni {count}, {listed.Count} discovered; expected {Mni}");
            Require(latest == Marker && oldest == "v" + (prefill - Mni + 1), $"la {latest}, ol {oldest} after the repeat");
            var marked = await Discovered(client, _container, _aeId, $"ty=4&lbl={Label}");
            Require(marked.Count == 1, $"{marked.Count} instances of the one create");
            Expect(await client.Retrieve("/" + Ri(repeat, "m2m:cin"), _aeId), "the instance by ID", 2000);
            await ExpectOneMore(client);
        }

        private async Task ExpectOneMore(OneM2MClient client)
        {
            await client.CreateInstance(_container, _aeId, "after");
            var (count, listed, latest, _) = await Read(client);
            Require(count == Mni && listed.Count == Mni && latest == "after", $"after one more: cni {count}, {listed.Count} discovered, la {latest}");
        }

        private async Task<(long Count, List<string> Listed, string? Latest, string? Oldest)> Read(OneM2MClient client)
        {
            var container = Expect(await client.Retrieve(_container, _aeId), "the container", 2000).Resource("m2m:cnt");
            var listed = await Discovered(client, _container, _aeId, "ty=4");
            var la = await client.Retrieve(_container + "/la", _aeId);
            var ol = await client.Retrieve(_container + "/ol", _aeId);
            return (container["cni"]!.GetValue<long>(), listed,
                la.Rsc == 2000 ? la.Resource("m2m:cin")["con"]!.GetValue<string>() : null,
                ol.Rsc == 2000 ? ol.Resource("m2m:cin")["con"]!.GetValue<string>() : null);
        }
    }

    /// <summary>
    /// Delete of a container holding instances and a container with instances: every record of the subtree, the
    /// parent's link page and bitmask. Afterwards nothing of it answers, the parent lists none of it, and the name
    /// can be used again.
    /// </summary>
    private sealed class SubtreeDelete(bool underCseBase) : CrashOperation
    {
        private readonly List<string> _ids = [];
        private readonly string _name = "doomed" + Guid.NewGuid().ToString("N")[..8];
        private string _aeId = "";
        private string _container = "";

        public override string Name => underCseBase ? "delete of a subtree under the CSEBase" : "delete of a subtree under an AE";

        private string ParentPath => underCseBase ? "/cse-in" : "/cse-in/" + _aeId;

        private string Reader => underCseBase ? OneM2MClient.Admin : _aeId;

        public override int Success => 2002;

        public override async Task Prepare(OneM2MClient client)
        {
            _aeId = await client.RegisterAe();
            _container = await client.CreateContainer(ParentPath, _aeId, _name, $",\"lbl\":[\"{Label}\"]");
            var inner = await client.CreateContainer(_container, _aeId, "inner");
            _ids.Add(Ri(Expect(await client.Retrieve(_container, _aeId), "container", 2000), "m2m:cnt"));
            _ids.Add(Ri(Expect(await client.Retrieve(inner, _aeId), "inner container", 2000), "m2m:cnt"));
            for (var i = 0; i < 2; i++)
            {
                _ids.Add((await client.CreateInstance(_container, _aeId))["ri"]!.GetValue<string>());
                _ids.Add((await client.CreateInstance(inner, _aeId))["ri"]!.GetValue<string>());
            }
        }

        public override Task<OneM2MResponse> Send(OneM2MClient client, string rqi) =>
            client.Send(HttpMethod.Delete, _container, _aeId, headers: RequestId(rqi));

        public override async Task CheckBetween(OneM2MClient client)
        {
            var read = Expect(await client.Retrieve(_container, _aeId), "retrieve the container", 2000, 4004);
            var listed = await Discovered(client, ParentPath, Reader, $"ty=3&lbl={Label}");
            Require((read.Rsc == 2000) == (listed.Count == 1), $"the container answers {read.Rsc} but its parent lists {listed.Count}");
        }

        public override async Task CheckAfter(OneM2MClient client, OneM2MResponse repeat)
        {
            Expect(repeat, "the repeated delete", 2002, 4004);
            foreach (var id in _ids)
            {
                Expect(await client.Retrieve("/" + id, _aeId), $"retrieve deleted {id}", 4004);
            }

            Expect(await client.Retrieve(_container, _aeId), "retrieve the deleted container", 4004);
            var listed = await Discovered(client, ParentPath, Reader, $"ty=3&lbl={Label}");
            Require(listed.Count == 0, $"the parent still lists {string.Join(", ", listed)}");

            // The name is free again, for a resource of another ID.
            await client.CreateContainer(ParentPath, _aeId, _name);
            await ChildCreate.ExpectWritableContainer(client, _container, _aeId);
        }
    }

    /// <summary>
    /// contentInstance create in a container with a subscription: container state with the event in its outbox, then
    /// (after the answer) the subscription's queue, delivery and its queue again. The event reaches the receiver.
    /// </summary>
    private sealed class OutboxEvent(NotificationReceiver receiver) : CrashOperation
    {
        private string _aeId = "";
        private string _container = "";

        public override string Name => "subscription event outbox";

        private string Marker => "evt-" + Label;

        public override async Task Prepare(OneM2MClient client)
        {
            _aeId = await client.RegisterAe();
            _container = await client.CreateContainer("/cse-in/" + _aeId, _aeId);
            Expect(await client.Create(_container, _aeId, 23, $$$$"""{"m2m:sub":{"rn":"sub","nu":["{{{{receiver.Url}}}}"],"enc":{"net":[3]}}}"""),
                "subscription", 2001);
        }

        public override Task<OneM2MResponse> Send(OneM2MClient client, string rqi) =>
            Post(client, _container, _aeId, 4, $$$"""{"m2m:cin":{"con":"{{{Marker}}}"}}""", rqi);

        public override Task Settle(OneM2MClient client, OneM2MResponse answer) => Arrived();

        public override async Task CheckBetween(OneM2MClient client)
        {
            var container = Expect(await client.Retrieve(_container, _aeId), "the container", 2000).Resource("m2m:cnt");
            var listed = await Discovered(client, _container, _aeId, "ty=4");
            Require(container["cni"]!.GetValue<long>() == listed.Count, $"cni {container["cni"]}, {listed.Count} discovered");
        }

        public override async Task CheckAfter(OneM2MClient client, OneM2MResponse repeat)
        {
            Expect(repeat, "the repeated create", 2001);
            var listed = await Discovered(client, _container, _aeId, "ty=4");
            Require(listed.Count == 1, $"{listed.Count} instances for one create");
            var events = await Arrived();
            var instances = events.Select(e => e.Signal!["nev"]!["rep"]!["m2m:cin"]!["ri"]!.GetValue<string>()).Distinct().ToList();
            Require(instances.Count == 1 && instances[0] == Ri(repeat, "m2m:cin"), $"events for {string.Join(", ", instances)}");
        }

        private async Task<List<ReceivedNotification>> Arrived()
        {
            await receiver.WaitFor(r => r.Any(n => n.Body.Contains(Marker, StringComparison.Ordinal)), $"the event {Marker}", Patience);
            return receiver.Received.Where(n => n.Body.Contains(Marker, StringComparison.Ordinal)).ToList();
        }
    }
}
