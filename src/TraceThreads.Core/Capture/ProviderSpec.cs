using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace TraceThreads.Capture;

/// <summary>One EventPipe provider to enable: the parsed form of dotnet-trace's <c>Provider[:keywords[:level[:key=value;...]]]</c>.</summary>
public sealed record ProviderSpec(string Name, ulong Keywords, EventLevel Level, IReadOnlyDictionary<string, string>? Arguments = null)
{
    /// <summary>dotnet-trace enables every keyword when none is given.</summary>
    public const ulong AllKeywords = ulong.MaxValue;

    public bool IsNamed(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);

    /// <summary>The provider in <c>--providers</c> syntax, so what was used can be shown and pasted back.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Name);
        sb.Append(CultureInfo.InvariantCulture, $":0x{Keywords:X}:{(int)Level}");
        if (Arguments is { Count: > 0 })
        {
            sb.Append(':');
            sb.AppendJoin(';', Arguments.Select(kv => kv.Value.AsSpan().IndexOfAny(";,:\"") >= 0 ? $"{kv.Key}=\"{kv.Value}\"" : $"{kv.Key}={kv.Value}"));
        }

        return sb.ToString();
    }

    /// <summary>
    /// Parses a comma-separated <c>--providers</c> value. Keywords are hexadecimal (with or without 0x) or, for the
    /// runtime providers, names joined by '+' (<c>threading+loader</c>); the level is 0-5 or a name (<c>verbose</c>).
    /// Omitted keywords mean all, an omitted level means verbose (dotnet-trace's defaults). A value in the key=value
    /// part may be double-quoted to hold ',' ';' or ':'.
    /// </summary>
    /// <exception cref="TraceThreadsException">With <see cref="ExitCode.UsageError"/> and a message naming the bad part.</exception>
    public static IReadOnlyList<ProviderSpec> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<ProviderSpec>();
        foreach (var item in SplitOutsideQuotes(text, ','))
        {
            if (item.Trim().Length == 0)
            {
                continue;
            }

            result.Add(Parse(item.Trim()));
        }

        if (result.Count == 0)
        {
            throw Usage($"--providers '{text}' names no provider.");
        }

        return result;
    }

    /// <summary>Parses one provider (no commas outside quotes).</summary>
    public static ProviderSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':', 4);
        var name = parts[0].Trim();
        if (name.Length == 0)
        {
            throw Usage($"provider '{text}' has no name (expected Provider[:keywords[:level[:key=value;...]]]).");
        }

        if (Guid.TryParse(name, out _))
        {
            throw Usage($"provider '{name}' is a GUID; EventPipe providers are enabled by name.");
        }

        var keywords = parts.Length > 1 && parts[1].Trim().Length > 0 ? ParseKeywords(name, parts[1].Trim()) : AllKeywords;
        var level = parts.Length > 2 && parts[2].Trim().Length > 0 ? ParseLevel(name, parts[2].Trim()) : EventLevel.Verbose;
        var arguments = parts.Length > 3 ? ParseArguments(name, parts[3]) : null;
        return new ProviderSpec(name, keywords, level, arguments);
    }

    private static ulong ParseKeywords(string provider, string text)
    {
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        if (hex.Length > 0 && ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        ulong combined = 0;
        foreach (var word in text.Split('+', StringSplitOptions.TrimEntries))
        {
            var known = RuntimeKeywords.TryGet(provider, word);
            if (known is null)
            {
                throw Usage($"provider '{provider}': keywords '{text}' are neither hexadecimal nor known names"
                    + (RuntimeKeywords.AppliesTo(provider) ? $" (known: {string.Join(", ", RuntimeKeywords.Names)})." : "."));
            }

            combined |= known.Value;
        }

        return combined;
    }

    private static EventLevel ParseLevel(string provider, string text)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            return number is >= 0 and <= 5
                ? (EventLevel)number
                : throw Usage($"provider '{provider}': level {number} is outside 0 (log always) .. 5 (verbose).");
        }

        return text.ToLowerInvariant() switch
        {
            "logalways" => EventLevel.LogAlways,
            "critical" => EventLevel.Critical,
            "error" => EventLevel.Error,
            "warning" => EventLevel.Warning,
            "informational" or "info" => EventLevel.Informational,
            "verbose" => EventLevel.Verbose,
            _ => throw Usage($"provider '{provider}': unknown level '{text}' (use 0-5 or logalways, critical, error, warning, informational, verbose)."),
        };
    }

    private static Dictionary<string, string>? ParseArguments(string provider, string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in SplitOutsideQuotes(text, ';'))
        {
            if (pair.Trim().Length == 0)
            {
                continue;
            }

            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw Usage($"provider '{provider}': argument '{pair}' is not key=value.");
            }

            var key = pair[..eq].Trim();
            var value = pair[(eq + 1)..].Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
            {
                value = value[1..^1];
            }

            result[key] = value;
        }

        return result.Count == 0 ? null : result;
    }

    private static List<string> SplitOutsideQuotes(string text, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                quoted = !quoted;
            }
            else if (text[i] == separator && !quoted)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        if (quoted)
        {
            throw Usage($"'{text}' has an unterminated double quote.");
        }

        parts.Add(text[start..]);
        return parts;
    }

    private static TraceThreadsException Usage(string message) => new(ExitCode.UsageError, message);
}

/// <summary>Keyword names of Microsoft-Windows-DotNETRuntime (ClrEtwAll.man), for <c>--providers Microsoft-Windows-DotNETRuntime:threading+loader</c>.</summary>
public static class RuntimeKeywords
{
    public const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    public const string RundownProvider = "Microsoft-Windows-DotNETRuntimeRundown";

    public const ulong GC = 0x1;
    public const ulong Loader = 0x8;
    public const ulong Jit = 0x10;
    public const ulong NGen = 0x20;
    public const ulong Exception = 0x8000;
    public const ulong Contention = 0x4000;
    public const ulong Threading = 0x10000;
    public const ulong ThreadTransfer = 0x80000000;

    private static readonly (string Name, ulong Value)[] Known =
    [
        ("gc", GC), ("gchandle", 0x2), ("fusion", 0x4), ("loader", Loader), ("jit", Jit), ("ngen", NGen),
        ("startenumeration", 0x40), ("endenumeration", 0x80), ("security", 0x400), ("appdomainresourcemanagement", 0x800),
        ("jittracing", 0x1000), ("interop", 0x2000), ("contention", Contention), ("exception", Exception),
        ("threading", Threading), ("jittedmethodiltonativemap", 0x20000), ("overrideandsuppressngenevents", 0x40000),
        ("type", 0x80000), ("gcheapdump", 0x100000), ("gcsampledobjectallocationhigh", 0x200000),
        ("gcheapsurvivalandmovement", 0x400000), ("managedheapcollect", 0x800000), ("gcheapandtypenames", 0x1000000),
        ("gcsampledobjectallocationlow", 0x2000000), ("perftrack", 0x20000000), ("stack", 0x40000000),
        ("threadtransfer", ThreadTransfer), ("debugger", 0x100000000), ("monitoring", 0x200000000),
        ("codesymbols", 0x400000000), ("eventsource", 0x800000000), ("compilation", 0x1000000000),
        ("compilationdiagnostic", 0x2000000000), ("methoddiagnostic", 0x4000000000), ("typediagnostic", 0x8000000000),
        ("waithandle", 0x40000000000),
    ];

    public static IEnumerable<string> Names => Known.Select(k => k.Name);

    public static bool AppliesTo(string provider) =>
        provider.Equals(RuntimeProvider, StringComparison.OrdinalIgnoreCase) || provider.Equals(RundownProvider, StringComparison.OrdinalIgnoreCase);

    internal static ulong? TryGet(string provider, string name)
    {
        if (!AppliesTo(provider))
        {
            return null;
        }

        foreach (var (n, v) in Known)
        {
            if (n.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }

        return null;
    }
}
