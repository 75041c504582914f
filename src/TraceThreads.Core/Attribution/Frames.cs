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
    /// <remarks>
    /// Top-level statements (what every template generates) compile to "Program.&lt;Main&gt;$"; their lambdas and async
    /// state machines nest that name ("Program+&lt;&lt;Main&gt;$&gt;d__0.MoveNext", "Program+&lt;&gt;c.&lt;&lt;Main&gt;$&gt;b__0_2"). All read
    /// as one form: "Program.Main (top-level statements)", the file a person opens being Program.cs.
    /// </remarks>
    public static string ToSourceMethod(string frame)
    {
        var s = GenericArgs().Replace(frame, string.Empty);

        var m = StateMachine().Match(s);
        if (!m.Success)
        {
            m = LocalFunctionStateMachine().Match(s);
        }

        if (!m.Success)
        {
            m = Lambda().Match(s);
        }

        if (!m.Success)
        {
            m = LocalFunction().Match(s);
        }

        if (m.Success)
        {
            return Readable(m.Groups["type"].Value, m.Groups["method"].Value);
        }

        var dot = s.LastIndexOf('.');
        return dot > 0 && s[(dot + 1)..] == TopLevelMain ? Readable(s[..dot], TopLevelMain) : s;
    }

    /// <summary>The compiler's name for the method holding top-level statements.</summary>
    public const string TopLevelMain = "<Main>$";

    /// <summary>How top-level statements read in every report.</summary>
    public const string TopLevelStatements = "Main (top-level statements)";

    private static string Readable(string type, string method) =>
        type + "." + (method == TopLevelMain ? TopLevelStatements : method);

    /// <summary>
    /// The app's entry point itself, as the host calls it: "Ns.Program.Main", top-level statements' "Program.&lt;Main&gt;$",
    /// or the synchronous stub of an async Main, "Ns.Program.&lt;Main&gt;". Not a lambda, local function or state machine
    /// written inside Main (those run wherever they are called from).
    /// </summary>
    public static bool IsEntryPoint(string frame)
    {
        var s = GenericArgs().Replace(frame, string.Empty);
        return !IsPlatform(s) && (s.EndsWith(".Main", StringComparison.Ordinal) || s.EndsWith(".<Main>$", StringComparison.Ordinal) || s.EndsWith(".<Main>", StringComparison.Ordinal))
            && !s.Contains("+<", StringComparison.Ordinal);
    }

    /// <summary>
    /// The first frame (leaf first) outside the platform namespaces, as Namespace.Type.Method, or null. Knows no
    /// assemblies: where the trace is at hand, CodeOwners.FirstAppFrame also skips libraries' frames.
    /// </summary>
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

    // A method name is a plain identifier or top-level statements' "<Main>$".
    [GeneratedRegex(@"^(?<type>.+?)\+<(?<method><Main>\$|[^<>]+)>d__\d+\.MoveNext$")]
    private static partial Regex StateMachine();

    /// <summary>An async local function: "Program+&lt;&lt;Main&gt;g__Fetch|0_2&gt;d.MoveNext" (written in Main).</summary>
    [GeneratedRegex(@"^(?<type>.+?)\+<<(?<method><Main>\$|[^<>]+)>g__[^|]+\|[\w_]+>d(__\d+)?\.MoveNext$")]
    private static partial Regex LocalFunctionStateMachine();

    [GeneratedRegex(@"^(?<type>.+?)\+<>c(__DisplayClass[\w_]+)?\.<(?<method><Main>\$|[^<>]+)>b__[\w_]+$")]
    private static partial Regex Lambda();

    [GeneratedRegex(@"^(?<type>.+?)(\+<>c(__DisplayClass[\w_]+)?)?\.<(?<method><Main>\$|[^<>]+)>g__[^|]+\|[\w_]+$")]
    private static partial Regex LocalFunction();
}
