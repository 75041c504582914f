using TraceThreads.Model;

namespace TraceThreads.Report;

/// <summary>The summary tree (category, role, creator site) shared by every report format so they never disagree.</summary>
public sealed record SummaryNode(string Key, GroupCount Counts, IReadOnlyList<SummaryNode> Children);

public static class Summary
{
    /// <summary>Roles whose threads are the app's own choice; only these are broken down by creator site.</summary>
    private static bool BreakDownBySite(string category) => category is Categories.User or Categories.Unknown;

    public const string NoSite = "(creation not traced)";

    public static GroupCount Count(IEnumerable<ThreadLifetime> threads)
    {
        var list = threads as IReadOnlyCollection<ThreadLifetime> ?? threads.ToList();
        return new GroupCount(
            // A negative creation time (the pthread log saw it before the EventPipe session began) is not "during".
            Created: list.Count(t => t.CreatedAtMs is >= 0),
            AliveAtEnd: list.Count(t => t.AliveAtEnd),
            Exited: list.Count(t => !t.AliveAtEnd),
            Total: list.Count);
    }

    public static IReadOnlyList<SummaryNode> Tree(IReadOnlyList<ThreadLifetime> threads) =>
        Categories.All
            .Select(c => (Category: c, Threads: threads.Where(t => t.Category == c).ToList()))
            .Where(x => x.Threads.Count > 0)
            .Select(x => new SummaryNode(x.Category, Count(x.Threads),
                x.Threads.GroupBy(t => t.Role, StringComparer.Ordinal)
                    .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => new SummaryNode(g.Key, Count(g),
                        BreakDownBySite(x.Category)
                            ? g.GroupBy(t => t.Creator?.Site ?? NoSite, StringComparer.Ordinal)
                                .OrderByDescending(s => s.Count()).ThenBy(s => s.Key, StringComparer.Ordinal)
                                .Select(s => new SummaryNode(s.Key, Count(s), []))
                                .ToList()
                            : []))
                    .ToList()))
            .ToList();
}
