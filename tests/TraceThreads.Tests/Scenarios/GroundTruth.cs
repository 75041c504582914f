using TraceThreads.Model;
using System.Text.Json;

namespace TraceThreads.Tests.Scenarios;

/// <summary>
/// The ground truth a scenario process writes about its own threads (format: tests/TraceThreads.Scenarios/README.md).
/// An accuracy test scores the tool's report against it thread by thread, matched on <see cref="TruthThread.OsThreadId"/>.
/// </summary>
public sealed record GroundTruth
{
    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.Web);

    public required string Scenario { get; init; }

    public required int Pid { get; init; }

    /// <summary><c>RuntimeInformation.FrameworkDescription</c> of the scenario process, e.g. <c>.NET 10.0.12</c>.</summary>
    public required string Runtime { get; init; }

    /// <summary>The target framework moniker the scenario app was built for: <c>net10.0</c>, <c>net9.0</c>, <c>net8.0</c>.</summary>
    public required string Framework { get; init; }

    /// <summary>The threads the scenario vouches for, ordered by OS thread id.</summary>
    public IReadOnlyList<TruthThread> Threads { get; init; } = [];

    /// <summary>Threads seen in /proc that the scenario cannot classify; a score should neither reward nor punish them.</summary>
    public IReadOnlyList<UnclassifiedThread> UnclassifiedThreads { get; init; } = [];

    public static GroundTruth Load(string path)
    {
        using var stream = File.OpenRead(path);
        var truth = JsonSerializer.Deserialize<GroundTruth>(stream, s_options)
            ?? throw new InvalidDataException($"{path}: the ground truth is null.");
        truth.Validate(path);
        return truth;
    }

    public TruthThread? Find(int osThreadId) => Threads.FirstOrDefault(t => t.OsThreadId == osThreadId);

    public IEnumerable<TruthThread> WithCategory(string category) => Threads.Where(t => t.Category == category);

    public IEnumerable<TruthThread> WithCreatorSite(string creatorSite) => Threads.Where(t => t.CreatorSite == creatorSite);

    private void Validate(string path)
    {
        var duplicate = Threads.GroupBy(t => t.OsThreadId).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"{path}: thread {duplicate.Key} appears {duplicate.Count()} times.");
        }

        var badCategory = Threads.FirstOrDefault(t => !Categories.All.Contains(t.Category));
        if (badCategory is not null)
        {
            throw new InvalidDataException($"{path}: thread {badCategory.OsThreadId} has unknown category '{badCategory.Category}'.");
        }
    }
}
