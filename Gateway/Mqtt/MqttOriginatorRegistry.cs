using System.Collections.Concurrent;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// Which connected MQTT client holds which originator, for the publish rule of the binding: a client may publish
/// requests as originator O (the O segment of <c>/oneM2M/req/O/…</c> and <c>/oneM2M/reg_req/O/…</c>) when it holds O,
/// or when no connected client holds O. A client holds the originator its client ID names (TS-0010 6.3: the client
/// ID is the AE-ID or CSE-ID, optionally prefixed <c>A::</c> or <c>C::</c>) and every AE-ID it registered over
/// MQTT during its connection. So a device connecting as <c>Cmyapp</c> cannot be impersonated while it is
/// connected, and a device with any other client ID can register and then use its new AE-ID. The WebSocket binding
/// keeps one of its own, keyed by connection: a connection holds the AE-IDs it registered and the originators it
/// was the first to use (<see cref="Opened"/>).
/// </summary>
/// <remarks>
/// Without client authentication (<c>Security:Authentication:Required</c> false, the default) an originator nobody
/// holds is open to any client: this stops impersonating a connected device, not an absent one. With it, the
/// binding asks <see cref="Holds"/> instead: a client acts only as the originator it authenticated as. Reads are lock-free (every publish asks); connects,
/// disconnects and registrations take one lock.
/// </remarks>
public sealed class MqttOriginatorRegistry
{
    private readonly ConcurrentDictionary<string, Client> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _holders = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The originator a client ID names: the ID without an <c>A::</c> or <c>C::</c> prefix.</summary>
    public static string OriginatorOf(string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        return clientId.StartsWith("A::", StringComparison.Ordinal) || clientId.StartsWith("C::", StringComparison.Ordinal)
            ? clientId[3..]
            : clientId;
    }

    /// <summary>
    /// For the client ID of another CSE (<c>C::</c>, TS-0010 6.3) its CSE-ID in topic form, without the leading
    /// <c>/</c> and without a <c>:</c>-separated suffix that tells the connections of one clustered CSE apart
    /// (<c>C::id-mn:k3Xz…</c> → <c>id-mn</c>); else null.
    /// </summary>
    public static string? CseTopicIdOf(string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (!clientId.StartsWith("C::", StringComparison.Ordinal))
        {
            return null;
        }

        var suffix = clientId.IndexOf(':', 3);
        return suffix < 0 ? clientId[3..] : clientId[3..suffix];
    }

    /// <summary>
    /// The name a client authenticates as, as a request's <c>fr</c> carries it: another CSE's CSE-ID (<c>C::id-mn</c>
    /// → <c>/id-mn</c>), else <see cref="OriginatorOf"/>.
    /// </summary>
    public static string IdentityOf(string clientId) =>
        CseTopicIdOf(clientId) is { } cse ? "/" + cse : OriginatorOf(clientId);

    /// <summary>
    /// A connection of <paramref name="clientId"/> was accepted. Returns the originator it made held on this broker
    /// (none held it before), or null.
    /// </summary>
    public string? Connected(string clientId)
    {
        lock (_gate)
        {
            var client = _clients.GetOrAdd(clientId, static _ => new Client());

            // A session takeover connects the same client ID again before the old connection is reported gone.
            return client.Connections++ == 0 && HoldLocked(client, OriginatorOf(clientId)) ? OriginatorOf(clientId) : null;
        }
    }

    /// <summary>
    /// A connection that names no originator of its own (a WebSocket connection, keyed by an ID the binding gives it)
    /// was accepted: it holds nothing until it claims what it registers or proves (<see cref="Claim"/>).
    /// </summary>
    public void Opened(string clientId)
    {
        lock (_gate)
        {
            _clients.GetOrAdd(clientId, static _ => new Client()).Connections++;
        }
    }

    /// <summary>
    /// A connection of <paramref name="clientId"/> ended; its last one releases every originator it held. Returns the
    /// originators no connected client holds any more.
    /// </summary>
    public IReadOnlyList<string> Disconnected(string clientId)
    {
        lock (_gate)
        {
            if (!_clients.TryGetValue(clientId, out var client) || --client.Connections > 0)
            {
                return [];
            }

            _clients.TryRemove(clientId, out _);
            List<string>? released = null;
            foreach (var originator in client.Held)
            {
                if (_holders.TryGetValue(originator, out var count))
                {
                    if (count <= 1)
                    {
                        _holders.TryRemove(originator, out _);
                        (released ??= []).Add(originator);
                    }
                    else
                    {
                        _holders[originator] = count - 1;
                    }
                }
            }

            return released ?? (IReadOnlyList<string>)[];
        }
    }

    /// <summary>
    /// <paramref name="clientId"/> registered the AE <paramref name="originator"/>: it holds it from now on. Returns true
    /// when no client held it before.
    /// </summary>
    public bool Claim(string clientId, string originator)
    {
        lock (_gate)
        {
            return _clients.TryGetValue(clientId, out var client) && Array.IndexOf(client.Held, originator) < 0
                && HoldLocked(client, originator);
        }
    }

    /// <summary>True when a connected client holds <paramref name="originator"/> (topic form).</summary>
    public bool IsHeld(string originator) => _holders.ContainsKey(originator);

    /// <summary>A snapshot of the originators connected clients hold.</summary>
    public IReadOnlyList<string> HeldOriginators() => [.. _holders.Keys];

    /// <summary>True when <paramref name="clientId"/> holds <paramref name="originator"/> (topic form), whether or not others do too.</summary>
    public bool Holds(string clientId, string originator) =>
        _clients.TryGetValue(clientId, out var client) && Array.IndexOf(client.Held, originator) >= 0;

    /// <summary>True when <paramref name="clientId"/> may publish as <paramref name="originator"/> (topic form).</summary>
    public bool MayActAs(string clientId, string originator)
    {
        return !_holders.ContainsKey(originator) || Holds(clientId, originator);
    }

    // True when the originator had no holder before.
    private bool HoldLocked(Client client, string originator)
    {
        // Copy on write: MayActAs reads Held without the lock.
        client.Held = [.. client.Held, originator];
        var count = _holders.TryGetValue(originator, out var held) ? held : 0;
        _holders[originator] = count + 1;
        return count == 0;
    }

    private sealed class Client
    {
        public int Connections;
        public string[] Held = [];
    }
}
