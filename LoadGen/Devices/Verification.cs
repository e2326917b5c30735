using System.Globalization;
using System.Text.Json;

namespace VirtualIoT.LoadGen.Devices;

/// <summary>What the read-back of one device's container found.</summary>
/// <param name="ContainerFound">The container answered 2000 (false: 4004 or it could not be read).</param>
/// <param name="CurrentNrOfInstances">Its <c>cni</c>.</param>
/// <param name="MaxNrOfInstances">Its <c>mni</c>, when set: a CSE may keep fewer instances than were written.</param>
/// <param name="LatestSequence">Sequence number in the <c>con</c> of its <c>la</c>; null when there is none.</param>
public readonly record struct Readback(bool ContainerFound, long CurrentNrOfInstances, long? MaxNrOfInstances, int? LatestSequence);

/// <summary>What is missing or wrong for one device (all zero / false when the read-back matches).</summary>
/// <param name="Lost">Acknowledged instances the CSE no longer has.</param>
/// <param name="Extra">Instances beyond what was acknowledged or left unanswered (duplicates).</param>
/// <param name="WrongLatest">The latest instance is not the last one acknowledged.</param>
public readonly record struct DeviceVerdict(long Lost, long Extra, bool WrongLatest)
{
    public bool IsCorrect => Lost == 0 && Extra == 0 && !WrongLatest;
}

/// <summary>Compares what was acknowledged with what was read back.</summary>
public static class Verification
{
    /// <summary>
    /// <paramref name="acked"/> instances were answered 2001, the highest of them <paramref name="lastAcked"/>;
    /// <paramref name="unknown"/> creates got no answer and may exist or not. The CSE must hold at least every
    /// acknowledged instance (capped by <c>mni</c>) and at most those plus the unknown ones; its latest must be the
    /// last acknowledged one, or a later unanswered one.
    /// </summary>
    public static DeviceVerdict Check(int acked, int lastAcked, int unknown, Readback readback)
    {
        if (!readback.ContainerFound)
        {
            return new DeviceVerdict(acked, 0, acked > 0);
        }

        long least = acked;
        long most = (long)acked + unknown;
        if (readback.MaxNrOfInstances is { } mni)
        {
            least = Math.Min(least, mni);
            most = Math.Min(most, mni);
        }

        var lost = Math.Max(0, least - readback.CurrentNrOfInstances);
        var extra = Math.Max(0, readback.CurrentNrOfInstances - most);
        bool wrongLatest;
        if (readback.LatestSequence is { } latest)
        {
            wrongLatest = acked == 0 && unknown == 0
                || latest < lastAcked
                || (latest > lastAcked && unknown == 0);
        }
        else
        {
            wrongLatest = acked > 0;
        }

        return new DeviceVerdict(lost, extra, wrongLatest);
    }

    /// <summary><c>cni</c> and <c>mni</c> of an <c>m2m:cnt</c> body.</summary>
    public static (long Cni, long? Mni) ParseContainer(string? body)
    {
        if (body is null)
        {
            return (0, null);
        }

        using var document = JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("m2m:cnt", out var container))
        {
            return (0, null);
        }

        var cni = container.TryGetProperty("cni", out var c) && c.TryGetInt64(out var cniValue) ? cniValue : 0;
        long? mni = container.TryGetProperty("mni", out var m) && m.TryGetInt64(out var mniValue) ? mniValue : null;
        return (cni, mni);
    }

    /// <summary>Sequence number from the <c>con</c> of an <c>m2m:cin</c> body (<c>"seq:timestamp"</c>); null if absent.</summary>
    public static int? ParseLatestSequence(string? body)
    {
        if (body is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("m2m:cin", out var instance)
            && instance.TryGetProperty("con", out var con) && con.ValueKind == JsonValueKind.String
            ? ContentValue.Sequence(con.GetString())
            : null;
    }
}

/// <summary>
/// The <c>con</c> LoadGen writes: <c>&lt;sequence&gt;:&lt;intended send time, Stopwatch ticks&gt;</c>. The sequence lets
/// a read-back tell which instance is latest; the time lets the notification receiver (in the same process, so
/// on the same monotonic clock) measure notification latency from the instance's intended send time.
/// </summary>
public static class ContentValue
{
    public static string Format(int sequence, long intendedTimestamp) =>
        string.Create(CultureInfo.InvariantCulture, $"{sequence}:{intendedTimestamp}");

    public static int? Sequence(string? con)
    {
        if (con is null)
        {
            return null;
        }

        var colon = con.IndexOf(':', StringComparison.Ordinal);
        return int.TryParse(colon < 0 ? con : con[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence : null;
    }

    /// <summary>Sequence and timestamp from the UTF-8 <c>con</c> value's characters.</summary>
    public static bool TryParse(ReadOnlySpan<byte> con, out int sequence, out long timestamp)
    {
        sequence = 0;
        timestamp = 0;
        var colon = con.IndexOf((byte)':');
        return colon > 0
            && System.Buffers.Text.Utf8Parser.TryParse(con[..colon], out sequence, out var used) && used == colon
            && System.Buffers.Text.Utf8Parser.TryParse(con[(colon + 1)..], out timestamp, out used) && used == con.Length - colon - 1;
    }
}
