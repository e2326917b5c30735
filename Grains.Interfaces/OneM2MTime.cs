using System.Globalization;

namespace VirtualIoT;

/// <summary>
/// oneM2M timestamps (TS-0004 6.3.3, basic ISO 8601 in UTC: <c>20250301T101500,123456</c>).
/// The CSE writes every timestamp with six fraction digits so stored values compare ordinally.
/// </summary>
public static class OneM2MTime
{
    private static readonly string[] s_parseFormats =
    [
        "yyyyMMdd'T'HHmmss",
        "yyyyMMdd'T'HHmmss','f",
        "yyyyMMdd'T'HHmmss','ff",
        "yyyyMMdd'T'HHmmss','fff",
        "yyyyMMdd'T'HHmmss','ffff",
        "yyyyMMdd'T'HHmmss','fffff",
        "yyyyMMdd'T'HHmmss','ffffff",
        "yyyyMMdd'T'HHmmss'.'fff",
        "yyyyMMdd'T'HHmmss'.'ffffff",
    ];

    /// <summary>
    /// The canonical form of a UTC instant (<c>yyyyMMdd'T'HHmmss','ffffff</c>), written digit by digit: every response
    /// carries one (<c>X-M2M-OT</c>) and every create several, and a custom format string is parsed on each use.
    /// </summary>
    public static string Format(DateTime utc) => string.Create(CanonicalLength, utc, static (text, time) =>
    {
        Digits(text[..4], time.Year);
        Digits(text[4..6], time.Month);
        Digits(text[6..8], time.Day);
        text[8] = 'T';
        Digits(text[9..11], time.Hour);
        Digits(text[11..13], time.Minute);
        Digits(text[13..15], time.Second);
        text[15] = ',';
        Digits(text[16..], (int)(time.Ticks % TimeSpan.TicksPerSecond / 10));
    });

    // The characters of the canonical form: 8 date digits, T, 6 time digits, comma, 6 fraction digits.
    private const int CanonicalLength = 22;

    // value in decimal, zero-padded to the width of digits.
    private static void Digits(Span<char> digits, int value)
    {
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            digits[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }

    /// <summary>Parses a oneM2M timestamp (with or without fraction, optional trailing <c>Z</c>).</summary>
    public static bool TryParse(string? text, out DateTime utc)
    {
        utc = default;
        if (string.IsNullOrEmpty(text) || text.Length > 32)
        {
            return false;
        }

        var span = text.AsSpan();
        if (span[^1] is 'Z' or 'z')
        {
            span = span[..^1];
        }

        return DateTime.TryParseExact(span, s_parseFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out utc);
    }

    /// <summary>Parses an ISO 8601 duration (<c>PT10S</c>, <c>P1DT2H</c>, <c>-PT1S</c>).</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }

        try
        {
            duration = System.Xml.XmlConvert.ToTimeSpan(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>Parses and rewrites a timestamp in canonical form, or returns null when it is not one.</summary>
    public static string? Normalize(string? text) => TryParse(text, out var utc) ? Format(utc) : null;
}
