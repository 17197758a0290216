using PoapLab.Scenarios.Model;
using YamlDotNet.RepresentationModel;

namespace PoapLab.Scenarios.Loading;

/// <summary>
/// One file's load: the errors found so far (all of them are reported, not just the first),
/// and the shape (<see cref="ScenarioKeys"/>) of each mapping of the file, found by walking it
/// once before it is read, which reports every unknown key with the nearest known one.
/// </summary>
internal sealed class LoadContext(string file)
{
    /// <summary>At most this many errors are reported for a file (a fuzzer's file may hold thousands).</summary>
    public const int MaxErrors = 50;

    private readonly List<ScenarioException> _errors = [];
    private readonly HashSet<ScenarioException> _seen = new(ReferenceEqualityComparer.Instance);
    /// <summary>Each mapping's shape; null for a mapping an alias puts in two places of different shapes (then read key by key, as read).</summary>
    private readonly Dictionary<YamlNode, MapShape?> _shapes = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<YamlNode, ScenarioException> _byNode = new(ReferenceEqualityComparer.Instance);
    private bool _truncated;

    public string File { get; } = file;

    public bool HasErrors => _errors.Count > 0;

    /// <summary>Records an error (once, however often it is added), keyed by the node it concerns.</summary>
    public void Add(ScenarioException e, YamlNode? node = null)
    {
        if (!_seen.Add(e))
        {
            return;
        }
        if (node is not null)
        {
            _byNode.TryAdd(node, e);
        }
        if (_errors.Count < MaxErrors)
        {
            _errors.Add(e);
        }
        else
        {
            _truncated = true;
        }
    }

    /// <summary>The error already reported about this node (a key or a value), if any.</summary>
    public ScenarioException? ErrorAt(YamlNode node) => _byNode.GetValueOrDefault(node);

    /// <summary>Reads one part of the file; when it is unusable, records why and carries on with the next part (null).</summary>
    public T? Section<T>(Func<T> parse)
        where T : class?
    {
        try
        {
            return parse();
        }
        catch (ScenarioException e)
        {
            Add(e);
            return null;
        }
    }

    public MapShape? ShapeOf(YamlNode node) => _shapes.GetValueOrDefault(node);

    /// <summary>Throws every error recorded, in file order, as one <see cref="ScenarioException"/>.</summary>
    public void ThrowIfAny()
    {
        if (_errors.Count == 0)
        {
            return;
        }
        var sorted = _errors.OrderBy(e => e.Location.Line).ThenBy(e => e.Location.Column).ToList();
        if (_truncated)
        {
            var last = sorted[^1].Location;
            sorted.Add(new ScenarioException(last, $"more than {MaxErrors} errors: the rest are not shown"));
        }
        throw sorted.Count == 1 ? sorted[0] : new ScenarioException(sorted);
    }

    /// <summary>Walks the file from its root: gives each mapping its shape and reports every key its shape does not list.</summary>
    public void CheckKeys(YamlNode root)
    {
        var visited = new HashSet<(YamlNode, string)>();
        Walk(root, ScenarioKeys.Shapes[ScenarioKeys.Root], visited);
    }

    private void Walk(YamlNode node, MapShape shape, HashSet<(YamlNode, string)> visited)
    {
        // An alias makes the tree a graph: each node is walked once per shape (no exponential walk).
        if (node is not YamlMappingNode map || !visited.Add((node, shape.Name)))
        {
            return;
        }
        if (!_shapes.TryAdd(node, shape) && _shapes[node] != shape)
        {
            _shapes[node] = null;
        }
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode { Value: { } name })
            {
                continue;
            }
            var spec = shape.Key(name);
            if (spec is null)
            {
                Add(new ScenarioException(At(k), $"unknown key '{YamlMap.Shown(name)}'{Hint(name, shape.Keys.Select(x => x.Name))}"), k);
                continue;
            }
            if (spec.Shape is not { } child)
            {
                continue;
            }
            var childShape = ScenarioKeys.Shapes[child];
            if (v is YamlSequenceNode seq && spec.Type is KeyType.ListOfMaps or KeyType.OneOrMany)
            {
                foreach (var item in seq.Children)
                {
                    Walk(item, childShape, visited);
                }
            }
            else if (spec.Type is KeyType.Map or KeyType.OneOrMany)
            {
                Walk(v, childShape, visited);
            }
        }
    }

    private SourceLocation At(YamlNode node) =>
        new(File, (int)Math.Clamp(node.Start.Line, 1, int.MaxValue), (int)Math.Clamp(node.Start.Column, 1, int.MaxValue));

    /// <summary>" (did you mean 'x'?)" for a near miss, else the keys known here.</summary>
    public static string Hint(string key, IEnumerable<string> knownKeys)
    {
        var known = knownKeys.Distinct().ToList();
        // A misspelling is short: a long key (a fuzzer's, a pasted blob) gets no hint, and no quadratic work.
        var near = Nearest(key, known);
        return near is not null ? $" (did you mean '{near}'?)" : known.Count > 0 ? $" (known here: {string.Join(", ", known.Order(StringComparer.Ordinal))})" : "";
    }

    /// <summary>The known key a misspelling most likely meant (edit distance at most 3, and less than the key's length), or null.</summary>
    public static string? Nearest(string key, IEnumerable<string> known)
    {
        if (key.Length > 64)
        {
            return null;
        }
        var best = known.Select(k => (Key: k, D: Distance(k, key))).OrderBy(x => x.D).ThenBy(x => x.Key, StringComparer.Ordinal).FirstOrDefault();
        return best.Key is not null && best.D <= Math.Min(3, Math.Max(1, best.Key.Length / 2)) ? best.Key : null;
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) { d[i, 0] = i; }
        for (int j = 0; j <= b.Length; j++) { d[0, j] = j; }
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                // Adjacent letters swapped ("serail") count as one edit.
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
