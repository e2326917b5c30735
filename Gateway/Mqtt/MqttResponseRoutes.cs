using System.Collections;
using System.Collections.Concurrent;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// The sessions subscribed to each originator's response topics (<c>/oneM2M/resp/&lt;originator&gt;/…</c>), so that
/// the CSE's answer goes straight into the subscribing session's queue. The broker's own dispatch checks every session
/// that holds any subscription against the topic: with 1,000 connected devices that was 40 % of a silo's CPU in an
/// MQTT create benchmark. The result is the one the broker would give, because a client may subscribe to an
/// originator's response topics only by naming that originator (<see cref="MqttSubscriptionRule"/> refuses a wildcard
/// there), so every subscription that can match a response topic passes <see cref="Subscribed"/> and is known here.
/// A session that holds several matching subscriptions gets the answer once, at the highest of their QoS levels
/// (capped at the answer's), as from the broker. An originator with a shared subscription (<c>$share/…</c>) or none
/// known is left to the broker (<see cref="TryDeliver"/> answers false). The one difference: an MQTT 5 subscription
/// identifier is not copied into the answer.
/// </summary>
internal sealed class MqttResponseRoutes
{
    private readonly Lock _gate = new();

    // Read without the lock on every answer; each entry is replaced (never changed in place) under the lock.
    private readonly ConcurrentDictionary<string, Route[]> _byOriginator = new(StringComparer.Ordinal);

    // Under the lock: the originators each client holds routes for, so that a client's end touches only its own.
    private readonly Dictionary<string, HashSet<string>> _originatorsOf = new(StringComparer.Ordinal);

    /// <summary>Notes a subscription the broker is about to create (after the access rule let it through).</summary>
    public void Subscribed(InterceptingSubscriptionEventArgs e)
    {
        if (!e.ProcessSubscription || e.Session is null)
        {
            return;
        }

        var filter = e.TopicFilter.Topic;
        var shared = filter.StartsWith("$share/", StringComparison.Ordinal);
        var plain = shared && filter.IndexOf('/', "$share/".Length) is > 0 and var slash ? filter[(slash + 1)..] : filter;
        if (ResponseOriginator(plain) is not { } originator)
        {
            return;
        }

        var route = new Route(e.ClientId, e.Session, e.Session.Items, filter, plain, e.TopicFilter.QualityOfServiceLevel, shared);
        lock (_gate)
        {
            Update(originator, routes => [.. routes.Where(r => !(r.ClientId == route.ClientId && r.Filter == route.Filter)), route]);
        }
    }

    /// <summary>Forgets a subscription the client removed.</summary>
    public void Unsubscribed(InterceptingUnsubscriptionEventArgs e)
    {
        if (e.ProcessUnsubscription)
        {
            Forget(e.ClientId, route => route.Filter == e.Topic);
        }
    }

    /// <summary>
    /// A client connected: when it did so with a new session (clean start), the subscriptions of its old session are
    /// gone with it.
    /// </summary>
    public void Connected(string clientId, IDictionary sessionItems) =>
        Forget(clientId, route => !ReferenceEquals(route.SessionItems, sessionItems));

    /// <summary>A session ended (its client disconnected without a persistent session, or it expired).</summary>
    public void SessionDeleted(string clientId) => Forget(clientId, _ => true);

    /// <summary>
    /// Queues <paramref name="message"/> (an answer on <paramref name="originator"/>'s response topic) for every
    /// session subscribed to it, and answers true; false when the broker must dispatch it (see the class summary).
    /// </summary>
    public bool TryDeliver(MqttApplicationMessage message, string originator)
    {
        // Registration answers (reg_resp) and anything else are the broker's: only resp subscriptions are known here.
        if (!message.Topic.StartsWith("/oneM2M/resp/", StringComparison.Ordinal)
            || !_byOriginator.TryGetValue(originator, out var routes) || Array.Exists(routes, r => r.Shared))
        {
            return false;
        }

        for (var i = 0; i < routes.Length; i++)
        {
            // A client's first route delivers for all its routes (one copy per session, as from the broker).
            var clientId = routes[i].ClientId;
            if (Array.FindIndex(routes, 0, i, r => r.ClientId == clientId) >= 0)
            {
                continue;
            }

            MqttSessionStatus? session = null;
            var qos = MqttQualityOfServiceLevel.AtMostOnce;
            for (var j = i; j < routes.Length; j++)
            {
                var route = routes[j];
                if (route.ClientId == clientId
                    && MqttTopicFilterComparer.Compare(message.Topic, route.PlainFilter) == MqttTopicFilterCompareResult.IsMatch)
                {
                    session = route.Session;
                    qos = route.QualityOfService > qos ? route.QualityOfService : qos;
                }
            }

            if (session is null)
            {
                continue;
            }

            var copy = qos < message.QualityOfServiceLevel ? WithQualityOfService(message, qos) : message;
            try
            {
                // Dropped when the session's queue is full, as the broker's dispatch would drop it.
                _ = session.TryEnqueueApplicationMessage(copy, out _);
            }
            catch (ObjectDisposedException)
            {
                // The session ended a moment ago: nothing subscribed any longer, as from the broker.
            }
        }

        return true;
    }

    // "/oneM2M/resp/<originator>/…" (TS-0010): the originator whose answers the filter names, or null.
    private static string? ResponseOriginator(string filter)
    {
        var segments = filter.Split('/');
        return segments.Length >= 4 && segments[0].Length == 0 && segments[1] == "oneM2M" && segments[2] == "resp"
            && segments[3] is not ("" or "+" or "#")
            ? segments[3]
            : null;
    }

    private static MqttApplicationMessage WithQualityOfService(MqttApplicationMessage message, MqttQualityOfServiceLevel qos) => new()
    {
        Topic = message.Topic,
        Payload = message.Payload,
        QualityOfServiceLevel = qos,
        ContentType = message.ContentType,
        UserProperties = message.UserProperties,
        ResponseTopic = message.ResponseTopic,
        CorrelationData = message.CorrelationData,
        PayloadFormatIndicator = message.PayloadFormatIndicator,
        MessageExpiryInterval = message.MessageExpiryInterval,
    };

    private void Forget(string clientId, Func<Route, bool> gone)
    {
        lock (_gate)
        {
            if (!_originatorsOf.TryGetValue(clientId, out var originators))
            {
                return;
            }

            foreach (var originator in originators.ToList())
            {
                Update(originator, routes => [.. routes.Where(r => !(r.ClientId == clientId && gone(r)))]);
            }
        }
    }

    // Under _gate: replaces one originator's routes (removing the entry when none are left) and keeps the client index.
    private void Update(string originator, Func<Route[], Route[]> change)
    {
        var current = _byOriginator.TryGetValue(originator, out var routes) ? routes : [];
        var changed = change(current);
        if (changed.Length == 0)
        {
            _byOriginator.TryRemove(originator, out _);
        }
        else
        {
            _byOriginator[originator] = changed;
        }

        foreach (var clientId in current.Select(r => r.ClientId).Concat(changed.Select(r => r.ClientId)).Distinct(StringComparer.Ordinal))
        {
            if (Array.Exists(changed, r => r.ClientId == clientId))
            {
                if (!_originatorsOf.TryGetValue(clientId, out var set))
                {
                    _originatorsOf[clientId] = set = new HashSet<string>(StringComparer.Ordinal);
                }

                set.Add(originator);
            }
            else if (_originatorsOf.TryGetValue(clientId, out var set) && set.Remove(originator) && set.Count == 0)
            {
                _originatorsOf.Remove(clientId);
            }
        }
    }

    private sealed record Route(string ClientId, MqttSessionStatus Session, IDictionary SessionItems, string Filter, string PlainFilter,
        MqttQualityOfServiceLevel QualityOfService, bool Shared);
}
