using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Notifications;

/// <summary>
/// A notification URL and the serialization to send in: a <c>ct=</c> query field of the URL (<c>?ct=cbor</c>, as in
/// ACME; TS-0004 leaves the mechanism to the CSE) names it and is removed from the URL that is called; otherwise the
/// receiving AE's <c>csz</c>, otherwise JSON.
/// </summary>
/// <param name="Address">The URL to call, without <c>ct=</c>.</param>
/// <param name="Serialization">The serialization of the notification request.</param>
internal readonly record struct NotificationTarget(Uri Address, ContentSerialization Serialization)
{
    /// <summary>Splits <paramref name="url"/>; false when it is not an absolute URL.</summary>
    public static bool TryCreate(string url, string? contentSerialization, out NotificationTarget target)
    {
        target = default;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var address))
        {
            return false;
        }

        if (!SerializationFormats.TryFromNameOrMediaType(contentSerialization, out var serialization))
        {
            serialization = ContentSerialization.Json;
        }

        var query = address.Query;
        if (query.Length > 1)
        {
            var kept = new List<string>();
            foreach (var field in query[1..].Split('&'))
            {
                if (field.StartsWith("ct=", StringComparison.OrdinalIgnoreCase)
                    && SerializationFormats.TryFromNameOrMediaType(Uri.UnescapeDataString(field[3..]), out var asked))
                {
                    serialization = asked;
                }
                else if (field.Length > 0)
                {
                    kept.Add(field);
                }
            }

            var builder = new UriBuilder(address) { Query = string.Join('&', kept) };
            address = builder.Uri;
        }

        target = new NotificationTarget(address, serialization);
        return true;
    }
}
