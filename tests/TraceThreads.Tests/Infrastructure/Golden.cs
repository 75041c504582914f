namespace TraceThreads.Tests.Infrastructure;

/// <summary>
/// Golden-file comparison (Verify is not available here). Set TRACE_THREADS_UPDATE_GOLDEN=1 to rewrite the files
/// after a reviewed change; otherwise a difference fails with the first differing line.
/// </summary>
public static class Golden
{
    public static void Check(string name, string actual)
    {
        var path = Path.Combine(TestEnv.GoldenDir, name);
        actual = actual.ReplaceLineEndings("\n");
        if (TestEnv.UpdateGolden)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"golden file {path} is missing; run the tests once with TRACE_THREADS_UPDATE_GOLDEN=1 and review it.");
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected == actual)
        {
            return;
        }

        var e = expected.Split('\n');
        var a = actual.Split('\n');
        var i = 0;
        while (i < e.Length && i < a.Length && e[i] == a[i])
        {
            i++;
        }

        Assert.Fail($"{name} differs from its golden file at line {i + 1}:\n  expected: {(i < e.Length ? e[i] : "<end>")}\n  actual:   {(i < a.Length ? a[i] : "<end>")}\n" +
                    "If the change is intended, rerun with TRACE_THREADS_UPDATE_GOLDEN=1 and review the diff.");
    }
}
