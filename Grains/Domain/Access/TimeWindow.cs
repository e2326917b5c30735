using System.Globalization;

namespace VirtualIoT.Grains.Domain.Access;

/// <summary>
/// One <c>actw</c> entry: a oneM2M schedule entry (TS-0004 scheduleEntry), seven crontab-like fields
/// <c>second minute hour day-of-month month day-of-week year</c>, each <c>*</c>, a number, a range <c>a-b</c>, a
/// step <c>*/n</c> or <c>a-b/n</c>, or a comma list of those. A time is in the window when every field matches it
/// (UTC). Example: <c>* * 8-17 * * 1-5 *</c> is working hours, Monday to Friday.
/// </summary>
internal sealed class TimeWindow
{
    private static readonly (int Min, int Max)[] s_bounds = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 7), (1970, 9999)];

    private readonly (int Low, int High, int Step)[][] _fields;

    private TimeWindow((int Low, int High, int Step)[][] fields) => _fields = fields;

    /// <summary>Parses a schedule entry; null with <paramref name="error"/> (naming it <paramref name="name"/>) when it is not one.</summary>
    public static TimeWindow? Parse(string text, out string error, string name = "actw")
    {
        error = "";
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != s_bounds.Length)
        {
            error = $"{name} '{text}' must have 7 fields (second minute hour day month weekday year)";
            return null;
        }

        var fields = new (int, int, int)[parts.Length][];
        for (var i = 0; i < parts.Length; i++)
        {
            var items = parts[i].Split(',');
            fields[i] = new (int, int, int)[items.Length];
            for (var j = 0; j < items.Length; j++)
            {
                if (!TryParseItem(items[j], s_bounds[i].Min, s_bounds[i].Max, out fields[i][j]))
                {
                    error = $"{name} '{text}': field {i + 1} ('{parts[i]}') is not valid";
                    return null;
                }
            }
        }

        return new TimeWindow(fields);
    }

    /// <summary>
    /// Parses a non-empty list of schedule entries (<c>sce</c>, <c>actw</c>); null with <paramref name="error"/>
    /// (naming the list <paramref name="name"/>) when it is not one.
    /// </summary>
    public static TimeWindow[]? ParseList(object? value, string name, out string error)
    {
        if (value is not List<object?> { Count: > 0 } entries)
        {
            error = $"{name} must be a non-empty list of schedule entries (second minute hour day month weekday year)";
            return null;
        }

        var windows = new TimeWindow[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i] is not string text)
            {
                error = $"{name} must hold strings";
                return null;
            }

            if (Parse(text, out error, name) is not { } window)
            {
                return null;
            }

            windows[i] = window;
        }

        error = "";
        return windows;
    }

    /// <summary>Whether <paramref name="utc"/> lies in the window.</summary>
    public bool Contains(DateTime utc)
    {
        var dayOfWeek = (int)utc.DayOfWeek;
        return Matches(0, utc.Second) && Matches(1, utc.Minute) && Matches(2, utc.Hour) && Matches(3, utc.Day)
            && Matches(4, utc.Month) && (Matches(5, dayOfWeek) || (dayOfWeek == 0 && Matches(5, 7))) && Matches(6, utc.Year);
    }

    private bool Matches(int field, int value)
    {
        foreach (var (low, high, step) in _fields[field])
        {
            if (value >= low && value <= high && (value - low) % step == 0)
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryParseItem(string item, int min, int max, out (int Low, int High, int Step) range)
    {
        range = (min, max, 1);
        var slash = item.IndexOf('/', StringComparison.Ordinal);
        var step = 1;
        if (slash >= 0)
        {
            if (!int.TryParse(item.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1)
            {
                return false;
            }

            item = item[..slash];
        }

        int low, high;
        if (item == "*")
        {
            (low, high) = (min, max);
        }
        else
        {
            var dash = item.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out low))
                {
                    return false;
                }

                high = slash >= 0 ? max : low;
            }
            else if (!int.TryParse(item.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out low)
                || !int.TryParse(item.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out high))
            {
                return false;
            }
        }

        if (low < min || high > max || low > high)
        {
            return false;
        }

        range = (low, high, step);
        return true;
    }
}
