using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;
using TraceThreads.Model;
using TraceThreads.Report;
using TraceThreads.Tests.Infrastructure;
using TraceThreads.Tests.Traces;
using Xunit.Abstractions;

namespace TraceThreads.Tests.Report;

/// <summary>
/// The HTML report opened in headless chromium: lanes, groups, selection, hostile names, 10,000 threads. Pages and
/// screenshots are kept under artifacts/browser/ for a person to look at.
/// </summary>
public class HtmlBrowserTests(ChromiumFixture browser, ITestOutputHelper output) : IClassFixture<ChromiumFixture>
{
    private static readonly string Artifacts = Path.Combine(TestEnv.RepoRoot, "artifacts", "browser");

    public static TheoryData<string> SampleTraces() => GoldenReportTests.SampleTraces();

    [ChromiumTheory]
    [MemberData(nameof(SampleTraces))]
    public async Task Sample_page_has_one_lane_per_thread_grouped_like_the_summary(string file)
    {
        var result = GoldenReportTests.Analyze(file);
        await using var page = await Open(result, Path.GetFileNameWithoutExtension(file));

        Assert.Equal(result.Threads.Count, await page.Page.EvaluateAsync<int>("() => window.traceThreads.lanes()"));
        Assert.Equal(result.Threads.Count.ToString(CultureInfo.InvariantCulture), await page.Page.GetAttributeAsync("#tt-lanes", "data-lanes"));

        // Categories, then roles within each, in the summary tree's order and with its counts.
        var groups = await page.Page.EvaluateAsync<Group[]>("() => window.traceThreads.groups()");
        var tree = Summary.Tree(result.Threads);
        Assert.Equal(tree.Select(c => (c.Key, c.Counts.Total)), groups.Where(g => g.Depth == 0).Select(g => (g.Label, g.Count)));
        Assert.Equal(tree.SelectMany(c => c.Children).Select(r => (r.Key, r.Counts.Total)), groups.Where(g => g.Depth == 1).Select(g => (g.Label, g.Count)));
        var userSites = tree.Where(c => c.Key == Categories.User).SelectMany(c => c.Children).SelectMany(r => r.Children).Select(s => (s.Key, s.Counts.Total)).ToList();
        Assert.All(userSites, s => Assert.Contains(groups, g => g.Depth == 2 && g.Label == s.Key && g.Count == s.Total));

        // Folding the first category hides its lanes; unfolding brings them back.
        var first = tree[0];
        await ClickRow(page.Page, 0);
        Assert.Equal(result.Threads.Count - first.Counts.Total, await page.Page.EvaluateAsync<int>("() => window.traceThreads.lanes()"));
        await ClickRow(page.Page, 0);
        Assert.Equal(result.Threads.Count, await page.Page.EvaluateAsync<int>("() => window.traceThreads.lanes()"));

        // Filtering by a creator site keeps exactly the threads that mention it.
        var site = result.Threads.First(t => t.Creator?.Site is not null).Creator!.Site!;
        await page.Page.FillAsync("#tt-search", site);
        var expected = result.Threads.Count(t => new[] { t.Name, t.Creator?.Site ?? Summary.NoSite, t.Category, t.Role, t.OsThreadId.ToString(CultureInfo.InvariantCulture) }
            .Any(s => s is not null && s.Contains(site, StringComparison.OrdinalIgnoreCase)));
        Assert.Equal(expected, await page.Page.EvaluateAsync<int>("() => window.traceThreads.lanes()"));
        await page.Page.FillAsync("#tt-search", string.Empty);

        await page.Page.Locator("#timeline").ScreenshotAsync(new() { Path = Path.Combine(Artifacts, Path.GetFileNameWithoutExtension(file) + ".png") });
        page.AssertClean();
    }

    [ChromiumFact]
    public async Task Selecting_a_thread_shows_its_creator_evidence_and_creation_stack()
    {
        const string file = "linux-x64-net10.0-all.nettrace";
        var result = GoldenReportTests.Analyze(file);
        var byTid = result.Threads.ToLookup(t => t.OsThreadId);

        // A thread the app made from another app thread: its creator has a lane of its own.
        var thread = HtmlReport.LaneOrder(result.Threads).First(t =>
            t.Category == Categories.User && t.Creator is { Stack.Count: > 0 } && HtmlReport.CreatorOf(t, byTid) is { Category: Categories.User });
        var creator = HtmlReport.CreatorOf(thread, byTid)!;
        await using var page = await Open(result, "select");

        await ClickThread(page.Page, thread.OsThreadId);
        var details = await page.Page.InnerTextAsync("#tt-details");
        Assert.Contains($"tid {thread.OsThreadId}", details, StringComparison.Ordinal);
        Assert.Contains($"{creator.Name} (tid {creator.OsThreadId})", details, StringComparison.Ordinal);
        Assert.Contains(thread.Creator!.Site!, details, StringComparison.Ordinal);
        Assert.Contains(thread.Evidence.First(e => e.Role == thread.Role).Detail, details, StringComparison.Ordinal);
        Assert.Contains(thread.Creator.Stack[^1], details, StringComparison.Ordinal);

        // The creator link selects the creator, whose details list what it created.
        await page.Page.ClickAsync("#tt-details .creator button");
        var creatorDetails = await page.Page.InnerTextAsync("#tt-details");
        Assert.Contains($"tid {creator.OsThreadId}", creatorDetails, StringComparison.Ordinal);
        Assert.Contains($"(tid {thread.OsThreadId})", creatorDetails, StringComparison.Ordinal);

        // A picture worth looking at: a tall window, the biggest site folded so more kinds of lanes show, the thread
        // selected (its creator arrow drawn) and the lanes scrolled to the top.
        await page.Page.SetViewportSizeAsync(1400, 1500);
        var biggest = await page.Page.EvaluateAsync<int>("() => window.traceThreads.groups().findIndex(g => g.depth === 2)");
        await ClickRow(page.Page, biggest);
        await ClickThread(page.Page, thread.OsThreadId);
        await page.Page.EvalOnSelectorAsync("#tt-scroll", "el => { el.scrollTop = 0; }");
        await page.Page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
        Directory.CreateDirectory(Artifacts);
        await page.Page.Locator("#timeline").ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "selected-thread.png") });
        if (TestEnv.UpdateGolden)
        {
            // The README's picture, made here so it always shows the page as it is.
            File.Copy(Path.Combine(Artifacts, "selected-thread.png"), Path.Combine(TestEnv.RepoRoot, "docs", "timeline.png"), overwrite: true);
        }

        page.AssertClean();
    }

    [ChromiumFact]
    public async Task Hostile_thread_names_make_no_element_and_run_no_script()
    {
        var result = SyntheticResults.Hostile();
        await using var page = await Open(result, "hostile");
        Assert.Equal(result.Threads.Count, await page.Page.EvaluateAsync<int>("() => window.traceThreads.lanes()"));

        // Select every hostile thread so its strings reach the DOM too (details panel, status line).
        foreach (var t in result.Threads.Where(t => t.Category == Categories.User))
        {
            await ClickThread(page.Page, t.OsThreadId);
            var heading = await page.Page.InnerTextAsync("#tt-details h3");
            Assert.StartsWith(VisibleText(t.Name!), heading, StringComparison.Ordinal);
        }

        Assert.Null(await page.Page.EvaluateAsync<object?>("() => window.pwned"));
        Assert.Equal(0, await page.Page.Locator("#pwn").CountAsync());
        Assert.Equal(0, await page.Page.Locator("b, img, iframe").CountAsync());
        Assert.Equal(2, await page.Page.Locator("script").CountAsync());
        page.AssertClean();
    }

    [ChromiumFact]
    public async Task Ten_thousand_threads_render_and_stay_smooth()
    {
        const int count = 10_000;
        var result = SyntheticResults.Many(count);
        await using var page = await Open(result, "synthetic-10k");
        var bytes = new FileInfo(page.File).Length;
        var firstDraw = await page.Page.EvaluateAsync<double>("() => window.traceThreads.firstDrawMs");
        Assert.Equal(count, await page.Page.EvaluateAsync<int>("() => window.traceThreads.lanes()"));

        // Scroll through the lanes and zoom, timing each redraw (canvas work only; the browser's own compositing is extra).
        var frames = await page.Page.EvaluateAsync<double[]>("""
            async () => {
              const s = document.getElementById('tt-scroll'), out = [];
              const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
              for (let k = 0; k < 40; k++) { s.scrollTop = (s.scrollHeight - s.clientHeight) * k / 39; await frame(); out.push(window.traceThreads.lastDrawMs()); }
              for (let k = 0; k < 10; k++) { document.getElementById(k < 5 ? 'tt-zoom-in' : 'tt-zoom-out').click(); await frame(); out.push(window.traceThreads.lastDrawMs()); }
              return out;
            }
            """);
        var filter = await page.Page.EvaluateAsync<double>("""
            async () => {
              const box = document.getElementById('tt-search'), t = performance.now();
              box.value = 'module7'; box.dispatchEvent(new Event('input'));
              await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
              return performance.now() - t;
            }
            """);
        var filtered = await page.Page.EvaluateAsync<int>("() => window.traceThreads.lanes()");
        var sorted = frames.Order().ToArray();
        var figures = string.Create(CultureInfo.InvariantCulture,
            $"10,000-thread HTML report: page {bytes / 1024.0:F0} KiB; first draw {firstDraw:F0} ms after navigation start; " +
            $"redraw on scroll/zoom median {sorted[sorted.Length / 2]:F2} ms, max {sorted[^1]:F2} ms over {frames.Length} frames; " +
            $"filter to {filtered} lanes {filter:F0} ms (headless chromium {Environment.ProcessorCount} cores, shared machine)");
        output.WriteLine(figures);
        await File.WriteAllTextAsync(Path.Combine(Artifacts, "render-10k.txt"), figures + "\n");

        // Loose bounds: a regression to per-element markup or drawing every lane would blow through these.
        Assert.True(firstDraw < 20_000, figures);
        Assert.True(sorted[sorted.Length / 2] < 50, figures);
        Assert.InRange(filtered, 1, count - 1);
        page.AssertClean();
    }

    private static string VisibleText(string s) => string.Concat(s.Select(c =>
        char.IsControl(c) || c is '\u2028' or '\u2029' ? $"\\u{(int)c:x4}" : c.ToString()));

    private async Task<OpenPage> Open(AnalysisResult result, string name)
    {
        Directory.CreateDirectory(Artifacts);
        var file = Path.Combine(Artifacts, name + ".html");
        await using (var stream = File.Create(file))
        {
            HtmlReport.Format.Write(result, stream, new ReportOptions());
        }

        var page = await browser.Context.NewPageAsync();
        var open = new OpenPage(page, file);
        page.PageError += (_, e) => open.Problems.Add("page error: " + e);
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning")
            {
                open.Problems.Add($"console {m.Type}: {m.Text}");
            }
        };
        await page.RouteAsync("**/*", async route =>
        {
            // The page must be self-contained: anything but the file itself is a request to the network.
            if (route.Request.Url.StartsWith("file://", StringComparison.Ordinal))
            {
                await route.ContinueAsync();
            }
            else
            {
                open.Problems.Add("network request: " + route.Request.Url);
                await route.AbortAsync();
            }
        });
        await page.AddInitScriptAsync("document.addEventListener('securitypolicyviolation', e => { (window.__csp = window.__csp || []).push(e.violatedDirective); });");
        var watch = Stopwatch.StartNew();
        await page.GotoAsync(new Uri(file).AbsoluteUri);
        await page.WaitForFunctionAsync("() => window.traceThreads && window.traceThreads.firstDrawMs != null", null, new() { Timeout = 60_000 });
        output.WriteLine($"{name}: loaded and drawn in {watch.ElapsedMilliseconds} ms");
        var csp = await page.EvaluateAsync<string[]?>("() => window.__csp || null");
        if (csp is not null)
        {
            open.Problems.Add("content security policy violations (escaping failed and the CSP had to stop it): " + string.Join(", ", csp));
        }

        return open;
    }

    private static async Task ClickThread(IPage page, int tid)
    {
        var top = await page.EvaluateAsync<int>("tid => window.traceThreads.rowTop(tid)", tid);
        Assert.True(top >= 0, $"no lane for tid {tid}");
        await ClickAt(page, top);
    }

    private static Task ClickRow(IPage page, int row) => ClickAt(page, row * 18);

    private static async Task ClickAt(IPage page, int top)
    {
        await page.Locator("#tt-scroll").ScrollIntoViewIfNeededAsync();
        var scrollTop = await page.EvalOnSelectorAsync<double>("#tt-scroll", "(el, y) => { el.scrollTop = Math.max(0, y - 200); return el.scrollTop; }", top);
        await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
        var box = (await page.Locator("#tt-lanes").BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(box.X + 120, (float)(box.Y + top - scrollTop + 9));
        await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
    }

    public sealed class Group
    {
        public int Depth { get; set; }

        public string Label { get; set; } = string.Empty;

        public int Count { get; set; }
    }

    private sealed class OpenPage(IPage page, string file) : IAsyncDisposable
    {
        public IPage Page { get; } = page;

        public string File { get; } = file;

        public List<string> Problems { get; } = [];

        public void AssertClean() => Assert.True(Problems.Count == 0, string.Join("\n", Problems));

        public async ValueTask DisposeAsync() => await Page.CloseAsync();
    }
}
