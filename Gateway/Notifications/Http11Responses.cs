using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using VirtualIoT.Gateway.Http;

namespace VirtualIoT.Gateway.Notifications;

/// <summary>
/// Reads HTTP/1.1 responses off a pipelined connection (<see cref="PipelinedHttp11Sender"/>): the status (from
/// <c>X-M2M-RSC</c>, else by the HTTP status) and where the response ends, with a <c>Content-Length</c> or chunked body.
/// </summary>
internal static class Http11Responses
{
    private static readonly byte[] s_endOfHead = "\r\n\r\n"u8.ToArray();

    /// <summary>What <see cref="Parse"/> found at the start of the data.</summary>
    public enum Parsed
    {
        /// <summary>The response is not complete yet.</summary>
        NeedMore,

        /// <summary>A final response, of <c>consumed</c> bytes.</summary>
        Final,

        /// <summary>An interim (1xx) response of <c>consumed</c> bytes: the final one follows.</summary>
        Interim,

        /// <summary>Not a response this reader takes (not HTTP/1.1, no length, malformed, larger than the bound).</summary>
        Invalid,
    }

    /// <summary>
    /// One response at the start of <paramref name="data"/>: its length (<paramref name="consumed"/>), its status
    /// (<c>X-M2M-RSC</c>, else by the HTTP status), whether the receiver closes the connection after it, and where in
    /// <paramref name="data"/> its <c>X-M2M-RI</c> value is (<paramref name="requestId"/>; length -1 when it has none).
    /// </summary>
    public static Parsed Parse(ReadOnlySpan<byte> data, int maxBytes, out int consumed, out ResponseStatusCode status, out bool close,
        out (int Start, int Length) requestId)
    {
        consumed = 0;
        status = default;
        close = false;
        requestId = (0, -1);
        var headEnd = data.IndexOf(s_endOfHead);
        if (headEnd < 0)
        {
            return data.Length > 64 * 1024 ? Parsed.Invalid : Parsed.NeedMore;
        }

        var head = data[..headEnd];
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = lineEnd < 0 ? head : head[..lineEnd];
        // "HTTP/1.1 200 ..." only: an HTTP/1.0 receiver closes after each answer.
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1.1 "u8)
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int code, out var digits) || digits != 3)
        {
            return Parsed.Invalid;
        }

        int? rsc = null;
        long? length = null;
        var chunked = false;
        var fields = lineEnd < 0 ? ReadOnlySpan<byte>.Empty : head[(lineEnd + 2)..];
        while (!fields.IsEmpty)
        {
            var end = fields.IndexOf("\r\n"u8);
            var field = end < 0 ? fields : fields[..end];
            fields = end < 0 ? ReadOnlySpan<byte>.Empty : fields[(end + 2)..];
            var colon = field.IndexOf((byte)':');
            if (colon <= 0)
            {
                return Parsed.Invalid;
            }

            var name = field[..colon];
            var value = field[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long parsedLength, out var used) || used != value.Length || parsedLength < 0
                    || (length is { } earlier && earlier != parsedLength))
                {
                    return Parsed.Invalid;
                }

                length = parsedLength;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                if (!Ascii.EqualsIgnoreCase(value, "chunked"u8))
                {
                    return Parsed.Invalid;
                }

                chunked = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                close |= HasToken(value, "close"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "X-M2M-RSC"u8) && Utf8Parser.TryParse(value, out int parsedRsc, out var rscUsed)
                     && rscUsed == value.Length)
            {
                rsc = parsedRsc;
            }
            else if (Ascii.EqualsIgnoreCase(name, "X-M2M-RI"u8))
            {
                // The value is a slice of data: its offset in it is the distance between their starts.
                requestId = ((int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(data), ref MemoryMarshal.GetReference(value)), value.Length);
            }
        }

        var bodyStart = headEnd + s_endOfHead.Length;
        if (code is >= 100 and < 200)
        {
            consumed = bodyStart;
            return code == 101 ? Parsed.Invalid : Parsed.Interim;
        }

        int bodyLength;
        if (chunked)
        {
            if (length is not null)
            {
                return Parsed.Invalid;
            }

            var chunks = ChunkedLength(data[bodyStart..], maxBytes);
            if (chunks < 0)
            {
                return chunks == -1 ? Parsed.NeedMore : Parsed.Invalid;
            }

            bodyLength = chunks;
        }
        else if (code is 204 or 304)
        {
            bodyLength = 0;
        }
        else if (length is { } known)
        {
            if (known > maxBytes)
            {
                return Parsed.Invalid;
            }

            bodyLength = (int)known;
        }
        else
        {
            return Parsed.Invalid; // a body up to the close: not a pipelining receiver
        }

        if (data.Length - bodyStart < bodyLength)
        {
            return Parsed.NeedMore;
        }

        consumed = bodyStart + bodyLength;
        status = rsc is { } given ? (ResponseStatusCode)given : OneM2MHttpResponse.StatusFor(code);
        return Parsed.Final;
    }

    // Whether a comma-separated field value holds the token (any case).
    private static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        while (!value.IsEmpty)
        {
            var comma = value.IndexOf((byte)',');
            var item = (comma < 0 ? value : value[..comma]).Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(item, token))
            {
                return true;
            }

            value = comma < 0 ? ReadOnlySpan<byte>.Empty : value[(comma + 1)..];
        }

        return false;
    }

    // The length of a whole chunked body at the start of data (with its trailer); -1 when incomplete, -2 when malformed.
    private static int ChunkedLength(ReadOnlySpan<byte> data, int maxBytes)
    {
        var at = 0;
        while (true)
        {
            var lineEnd = data[at..].IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                return data.Length - at > 1024 ? -2 : -1;
            }

            var sizeText = data.Slice(at, lineEnd);
            var extension = sizeText.IndexOf((byte)';');
            if (extension >= 0)
            {
                sizeText = sizeText[..extension];
            }

            if (!Utf8Parser.TryParse(sizeText.Trim((byte)' '), out int size, out var used, 'x') || used != sizeText.Trim((byte)' ').Length
                || size < 0 || size > maxBytes)
            {
                return -2;
            }

            at += lineEnd + 2;
            if (size == 0)
            {
                // Trailer fields, then the blank line.
                while (true)
                {
                    var end = data[at..].IndexOf("\r\n"u8);
                    if (end < 0)
                    {
                        return -1;
                    }

                    at += end + 2;
                    if (end == 0)
                    {
                        return at;
                    }
                }
            }

            if (data.Length - at < size + 2)
            {
                return -1;
            }

            if (!data.Slice(at + size, 2).SequenceEqual("\r\n"u8))
            {
                return -2;
            }

            at += size + 2;
            if (at > maxBytes)
            {
                return -2;
            }
        }
    }
}
