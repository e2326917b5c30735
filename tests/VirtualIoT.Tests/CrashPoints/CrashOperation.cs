using VirtualIoT.Tests.Infrastructure;
using Xunit.Sdk;

namespace VirtualIoT.Tests.CrashPoints;

/// <summary>
/// One multi-write request of the crash-point test, on fresh resources of its own: how to prepare them, how to send
/// the request (with a given <c>rqi</c>, so that it can be repeated), and what must hold after a crash and restart
/// (<see cref="CheckBetween"/>: the resource is fully there or fully absent) and after the repeat
/// (<see cref="CheckAfter"/>: it is there once, retrievable, writable, and its parent agrees).
/// </summary>
internal abstract class CrashOperation
{
    /// <summary>What the operation is, for the report.</summary>
    public abstract string Name { get; }

    /// <summary>The answer of a successful first attempt.</summary>
    public virtual int Success => 2001;

    /// <summary>A label only this instance's resources carry, for discovery.</summary>
    protected string Label { get; } = "cp" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Creates what the request needs (not counted, never crashed).</summary>
    public abstract Task Prepare(OneM2MClient client);

    /// <summary>Sends the request under <paramref name="rqi"/>.</summary>
    public abstract Task<OneM2MResponse> Send(OneM2MClient client, string rqi);

    /// <summary>After an uncrashed attempt: waits for what the operation does after its answer (notifications).</summary>
    public virtual Task Settle(OneM2MClient client, OneM2MResponse answer) => Task.CompletedTask;

    /// <summary>After the crash and restart, before the repeat: the storage holds the operation fully or not at all.</summary>
    public abstract Task CheckBetween(OneM2MClient client);

    /// <summary>After the repeat (same <c>rqi</c>): the operation took effect once.</summary>
    public abstract Task CheckAfter(OneM2MClient client, OneM2MResponse repeat);

    protected static Task<OneM2MResponse> Post(OneM2MClient client, string path, string originator, int ty, string body, string rqi) =>
        client.Send(HttpMethod.Post, path, originator, body, $"application/json;ty={ty}", RequestId(rqi));

    protected static Dictionary<string, string> RequestId(string rqi) => new() { ["X-M2M-RI"] = rqi };

    protected static OneM2MResponse Expect(OneM2MResponse response, string what, params int[] rsc)
    {
        if (!rsc.Contains(response.Rsc))
        {
            throw new XunitException($"{what}: expected {string.Join(" or ", rsc)}, got {(int)response.Status}/{response.Rsc} {response.Body}");
        }

        return response;
    }

    protected static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new XunitException(message);
        }
    }

    /// <summary>The addresses discovery finds below <paramref name="path"/> for <paramref name="query"/>.</summary>
    protected static async Task<List<string>> Discovered(OneM2MClient client, string path, string originator, string query)
    {
        var response = Expect(await client.Discover(path, originator, query), $"discovery {query} below {path}", 2000);
        return response.Json?["m2m:uril"]?.AsArray().Select(u => u!.GetValue<string>()).ToList() ?? [];
    }

    protected static string Ri(OneM2MResponse response, string rootKey) => response.Resource(rootKey)["ri"]!.GetValue<string>();
}

/// <summary>
/// A create of one resource under a parent: before the repeat the new resource is retrievable exactly when its
/// parent lists it (discovery by its label), after the repeat it is both, once, is the resource the repeat answers
/// with, takes an update and <see cref="Use"/> works on it.
/// </summary>
internal abstract class ChildCreate : CrashOperation
{
    protected abstract string RootKey { get; }

    protected abstract int Type { get; }

    /// <summary>The parent's path, known after <see cref="CrashOperation.Prepare"/>.</summary>
    protected abstract string ParentPath { get; }

    /// <summary>Who sends the create and reads the result.</summary>
    protected abstract string Originator { get; }

    /// <summary>Who may discover below the parent.</summary>
    protected virtual string Reader => Originator;

    /// <summary>The new resource's path; null when the CSE names it (then it is found by discovery).</summary>
    protected abstract string? Path { get; }

    protected abstract string Body { get; }

    public override Task<OneM2MResponse> Send(OneM2MClient client, string rqi) => Post(client, ParentPath, Originator, Type, Body, rqi);

    public override async Task CheckBetween(OneM2MClient client)
    {
        var listed = await Discovered(client, ParentPath, Reader, $"ty={Type}&lbl={Label}");
        Require(listed.Count <= 1, $"{listed.Count} resources stored for one create: {string.Join(", ", listed)}");
        if (Path is { } path)
        {
            var read = Expect(await client.Retrieve(path, Originator), $"retrieve {path}", 2000, 4004);
            Require((read.Rsc == 2000) == (listed.Count == 1),
                $"{path} answers {read.Rsc} but its parent lists {listed.Count} with its label");
        }
        else if (listed.Count == 1)
        {
            Expect(await client.Retrieve("/" + listed[0].TrimStart('/'), Originator), $"retrieve listed {listed[0]}", 2000);
        }
    }

    public override async Task CheckAfter(OneM2MClient client, OneM2MResponse repeat)
    {
        Expect(repeat, "the repeated create", 2001);
        var ri = Ri(repeat, RootKey);
        var path = Path ?? "/" + ri;
        var read = Expect(await client.Retrieve(path, Originator), $"retrieve {path}", 2000);
        Require(Ri(read, RootKey) == ri, $"{path} is {Ri(read, RootKey)}, the repeat answered {ri}");
        Expect(await client.Retrieve("/" + ri, Originator), $"retrieve by ID {ri}", 2000);
        var listed = await Discovered(client, ParentPath, Reader, $"ty={Type}&lbl={Label}");
        Require(listed.Count == 1, $"parent lists {listed.Count} resources with the label after the repeat: {string.Join(", ", listed)}");
        Expect(await client.Update("/" + ri, Originator, $$$"""{"{{{RootKey}}}":{"lbl":["{{{Label}}}","updated"]}}"""), $"update {ri}", 2004);
        await Use(client, "/" + ri);
    }

    /// <summary>Uses the created resource as a client would next (a child under it, an event through it).</summary>
    protected virtual Task Use(OneM2MClient client, string address) => Task.CompletedTask;

    internal static async Task ExpectWritableContainer(OneM2MClient client, string address, string originator)
    {
        Expect(await client.Create(address, originator, 4, """{"m2m:cin":{"con":"after"}}"""), $"contentInstance under {address}", 2001);
        var latest = Expect(await client.Retrieve(address + "/la", originator), $"la of {address}", 2000);
        Require(latest.Resource("m2m:cin")["con"]!.GetValue<string>() == "after", $"la of {address} is not the new instance: {latest.Body}");
    }
}
