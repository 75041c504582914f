using System.Text.RegularExpressions;

namespace TraceThreads.Attribution;

/// <summary>How frame names are read: which belong to the platform, and how compiler-generated names map back to source.</summary>
public static partial class Frames
{
    public const string Native = "[native]";
    public const string Elided = "[...]";

    /// <summary>Runtime and framework code: never the line of user code to blame.</summary>
    public static bool IsPlatform(string frame) =>
        frame.StartsWith("System.", StringComparison.Ordinal)
        || frame.StartsWith("Microsoft.", StringComparison.Ordinal)
        || frame.StartsWith("Internal.", StringComparison.Ordinal)
        || frame.StartsWith("Interop", StringComparison.Ordinal)
        || frame.StartsWith("ILStubClass", StringComparison.Ordinal)
        || frame.StartsWith("[", StringComparison.Ordinal)
        || frame.Length == 0;

    /// <summary>
    /// "Ns.Type+&lt;&gt;c.&lt;Start&gt;b__2_0" (a lambda in Start), "Ns.Type+&lt;Start&gt;d__3.MoveNext" (async Start),
    /// "Ns.Type.&lt;Start&gt;g__Local|0_0" (a local function in Start) and generic instantiations all read as
    /// "Ns.Type.Start": the method a person wrote and can find.
    /// </summary>
    public static string ToSourceMethod(string frame)
    {
        // Top-level statements compile to "Program.<Main>$": the method a person wrote is Main.
        var s = GenericArgs().Replace(frame, string.Empty).Replace("<Main>$", "Main", StringComparison.Ordinal);

        var m = StateMachine().Match(s);
        if (!m.Success)
        {
            m = LocalFunctionStateMachine().Match(s);
        }

        if (m.Success)
        {
            return m.Groups["type"].Value + "." + m.Groups["method"].Value;
        }

        m = Lambda().Match(s);
        if (m.Success)
        {
            return m.Groups["type"].Value + "." + m.Groups["method"].Value;
        }

        m = LocalFunction().Match(s);
        if (m.Success)
        {
            return m.Groups["type"].Value + "." + m.Groups["method"].Value;
        }

        return s;
    }

    /// <summary>The first frame (leaf first) outside the platform, as Namespace.Type.Method, or null.</summary>
    public static string? FirstUserFrame(IEnumerable<string> frames)
    {
        foreach (var f in frames)
        {
            if (!IsPlatform(f))
            {
                return ToSourceMethod(f);
            }
        }

        return null;
    }

    [GeneratedRegex(@"`\d+(\[[^\]]*(\[[^\]]*\])*[^\]]*\])?")]
    private static partial Regex GenericArgs();

    [GeneratedRegex(@"^(?<type>.+?)\+<(?<method>[^>]+)>d__\d+\.MoveNext$")]
    private static partial Regex StateMachine();

    /// <summary>An async local function: "Program+&lt;&lt;Main&gt;g__Fetch|0_2&gt;d.MoveNext" (written in Main).</summary>
    [GeneratedRegex(@"^(?<type>.+?)\+<<(?<method>[^>]+)>g__[^|]+\|[\w_]+>d(__\d+)?\.MoveNext$")]
    private static partial Regex LocalFunctionStateMachine();

    [GeneratedRegex(@"^(?<type>.+?)\+<>c(__DisplayClass[\w_]+)?\.<(?<method>[^>]+)>b__[\w_]+$")]
    private static partial Regex Lambda();

    [GeneratedRegex(@"^(?<type>.+?)(\+<>c(__DisplayClass[\w_]+)?)?\.<(?<method>[^>]+)>g__[^|]+\|[\w_]+$")]
    private static partial Regex LocalFunction();
}
