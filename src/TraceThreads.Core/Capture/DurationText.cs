using System.Globalization;
using System.Text.RegularExpressions;

namespace TraceThreads.Capture;

/// <summary>
/// <c>--duration</c>: dotnet-trace's <c>hh:mm:ss</c> (or <c>dd:hh:mm:ss</c>, seconds may have a fraction), or a
/// short form such as <c>30s</c>, <c>5m</c>, <c>1h30m</c>, <c>500ms</c>. Two-part <c>mm:ss</c> is refused because
/// TimeSpan would read <c>05:00</c> as five hours.
/// </summary>
public static partial class DurationText
{
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        TimeSpan value;
        if (s.Contains(':', StringComparison.Ordinal))
        {
            var parts = s.Split(':');
            if (parts.Length is not (3 or 4) || !TryParseClock(parts, out value))
            {
                throw Bad(text);
            }
        }
        else if (!TryParseUnits(s, out value))
        {
            throw Bad(text);
        }

        if (value <= TimeSpan.Zero)
        {
            throw new TraceThreadsException(ExitCode.UsageError, $"--duration '{text}' must be longer than zero.");
        }

        return value;
    }

    /// <summary>How a duration is shown back to the user: <c>00:00:30</c>, or <c>1.02:00:00</c> past a day.</summary>
    public static string Format(TimeSpan value) => value.ToString(value.TotalDays >= 1 ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss", CultureInfo.InvariantCulture)
        + (value.Milliseconds != 0 ? "." + value.Milliseconds.ToString("000", CultureInfo.InvariantCulture) : string.Empty);

    private static bool TryParseClock(string[] parts, out TimeSpan value)
    {
        value = default;
        var days = 0;
        var offset = 0;
        if (parts.Length == 4)
        {
            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out days))
            {
                return false;
            }

            offset = 1;
        }

        if (!int.TryParse(parts[offset], NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            || !int.TryParse(parts[offset + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
            || !double.TryParse(parts[offset + 2], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            || minutes > 59 || seconds >= 60 || (parts.Length == 4 && hours > 23))
        {
            return false;
        }

        value = new TimeSpan(days, hours, minutes, 0) + TimeSpan.FromSeconds(seconds);
        return true;
    }

    private static bool TryParseUnits(string s, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var matches = UnitPart().Matches(s);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != s)
        {
            return false;
        }

        foreach (Match m in matches)
        {
            var n = double.Parse(m.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            value += m.Groups[2].Value.ToLowerInvariant() switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
        }

        return true;
    }

    private static TraceThreadsException Bad(string text) =>
        new(ExitCode.UsageError, $"--duration '{text}' is not a duration (use hh:mm:ss as dotnet-trace does, e.g. 00:00:30, or 30s, 5m, 1h30m, 500ms).");

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h|d)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UnitPart();
}
