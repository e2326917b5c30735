namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// Which topic filters a client may subscribe to: any filter that cannot match a oneM2M topic (a plain broker's
/// topics), and of the oneM2M topics only those addressed to an originator it may read as — its responses
/// (<c>/oneM2M/resp/&lt;O&gt;/…</c>, <c>/oneM2M/reg_resp/&lt;O&gt;/…</c>) and the CSE's requests to it
/// (<c>/oneM2M/req/&lt;CSE&gt;/&lt;O&gt;/…</c>). A wildcard in place of the originator (<c>/oneM2M/resp/+/…</c>,
/// <c>/oneM2M/#</c>, <c>#</c>) could read other clients' traffic and is refused.
/// </summary>
internal static class MqttSubscriptionRule
{
    /// <summary>True when a client may subscribe to <paramref name="filter"/>; <paramref name="mayRead"/> says which originators it may read as.</summary>
    public static bool Allows(string filter, string cseTopicId, Func<string, bool> mayRead)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.StartsWith("$share/", StringComparison.Ordinal))
        {
            // MQTT 5 shared subscription: $share/<group>/<filter>.
            var group = filter.IndexOf('/', "$share/".Length);
            return group > 0 && Allows(filter[(group + 1)..], cseTopicId, mayRead);
        }

        var segments = filter.Split('/');
        if (!CanMatchOneM2M(segments))
        {
            return true;
        }

        if (segments.Length < 4 || segments[0].Length != 0 || segments[1] != "oneM2M")
        {
            return false;
        }

        var originator = segments[2] switch
        {
            "resp" or "reg_resp" => segments[3],
            "req" when segments.Length >= 5 && segments[3] == cseTopicId => segments[4],
            _ => null,
        };
        return originator is not null && originator is not ("+" or "#" or "") && mayRead(originator);
    }

    // A filter can match "/oneM2M/…" when its first level matches the empty level and its second "oneM2M".
    private static bool CanMatchOneM2M(string[] segments) =>
        segments[0] switch
        {
            "#" => true,
            "" or "+" => segments.Length > 1 && segments[1] is "oneM2M" or "+" or "#",
            _ => false,
        };
}
