using System.Globalization;
using PoapLab.Scenarios.Model;

namespace PoapLab.Scenarios.Selection;

/// <summary>
/// Which of the scenario files found a run takes: <c>--filter</c> (a text in the scenario's name
/// or its file's path), <c>--tags</c> (any of them), <c>--skip-tags</c> (none of them), then
/// <c>--shard K/N</c> (the Kth of N deterministic, balanced parts, for N CI jobs).
/// </summary>
public sealed record ScenarioSelection
{
    /// <summary>A text the scenario's name or file path must contain (case-insensitive), or null.</summary>
    public string? Filter { get; init; }

    /// <summary>The scenario must have at least one of these tags (none: any scenario).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The scenario must have none of these tags.</summary>
    public IReadOnlyList<string> SkipTags { get; init; } = [];

    /// <summary>The part of the run to take, or null for all of it.</summary>
    public Shard? Shard { get; init; }

    /// <summary>
    /// Whether a scenario file is selected by filter and tags. A file that did not load
    /// (<paramref name="scenario"/> null) has no name or tags: it is taken when no tag is asked
    /// for and its path matches the filter, so that its error is reported rather than hidden.
    /// </summary>
    public bool Matches(string file, Scenario? scenario)
    {
        if (Filter is { Length: > 0 } f
            && !ShownPath(file).Contains(f, StringComparison.OrdinalIgnoreCase)
            && !(scenario?.Name.Contains(f, StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return false;
        }
        if (scenario is null)
        {
            return Tags.Count == 0;
        }
        if (Tags.Count > 0 && !scenario.Tags.Any(t => Tags.Contains(t, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }
        return !scenario.Tags.Any(t => SkipTags.Contains(t, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The items of this shard (all when no shard is asked for), in their original order; see <see cref="Selection.Shard.Pick{T}"/>.</summary>
    public IReadOnlyList<T> PickShard<T>(IReadOnlyList<T> items, Func<T, string> path) =>
        Shard is { } s ? s.Pick(items, path) : items;

    /// <summary>Tags as given on the command line: <c>--tags dhcp,tftp --tags http</c>.</summary>
    public static IReadOnlyList<string> ParseTags(IEnumerable<string>? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>A path as the user wrote it, with '/' separators, so a filter reads the same on every machine.</summary>
    internal static string ShownPath(string file) => file.Replace('\\', '/');
}

/// <summary>
/// The Kth of N parts of a run (<c>--shard K/N</c>, K from 1). Every scenario file is in exactly
/// one part whatever machine computes it: the files are ordered by their path relative to the
/// current directory (ordinal, '/' separators) and dealt out in turn, so the parts differ in size
/// by one at most.
/// </summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>The most parts a run may be split into.</summary>
    public const int MaxCount = 1000;

    /// <summary>Reads <c>K/N</c>; null with <paramref name="problem"/> saying why when it is not one.</summary>
    public static Shard? Parse(string text, out string? problem)
    {
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var k)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && n is >= 1 and <= MaxCount && k >= 1 && k <= n)
        {
            problem = null;
            return new Shard(k, n);
        }
        problem = $"--shard must be K/N with 1 <= K <= N <= {MaxCount} (such as 2/3: the second of three parts), not '{text}'";
        return null;
    }

    /// <summary>This part's items, in their original order.</summary>
    public IReadOnlyList<T> Pick<T>(IReadOnlyList<T> items, Func<T, string> path)
    {
        var index = Index;
        var count = Count;
        var ordered = items.Select((item, i) => (item, i, key: Key(path(item)))).OrderBy(x => x.key, StringComparer.Ordinal).ThenBy(x => x.i).ToList();
        return ordered.Where((_, position) => position % count == index - 1).OrderBy(x => x.i).Select(x => x.item).ToList();
    }

    private static string Key(string path) =>
        Path.GetRelativePath(Directory.GetCurrentDirectory(), Path.GetFullPath(path)).Replace('\\', '/');

    public override string ToString() => $"{Index}/{Count}";
}
