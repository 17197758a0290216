namespace PoapLab.Switch.Cli;

/// <summary>How a command's words matched the keywords a mode knows.</summary>
internal enum CliMatchKind
{
    Found,
    Unknown,
    Ambiguous,
    Incomplete,
}

/// <summary>The outcome of <see cref="CliCommandTree{T}.Match"/>.</summary>
/// <param name="Handler">The command, when found.</param>
/// <param name="Index">Found: the first argument after the keywords; otherwise the word the marker goes under.</param>
/// <param name="Keywords">The full keywords matched, e.g. <c>show</c>, <c>version</c> for <c>sh ver</c>.</param>
internal sealed record CliMatch<T>(CliMatchKind Kind, T? Handler, int Index, IReadOnlyList<string> Keywords)
    where T : class;

/// <summary>
/// The keywords of one CLI mode as a tree. Like the NX-OS parser, a word matches a
/// keyword when it is the keyword or an unambiguous prefix of it (<c>sh run</c>,
/// <c>conf t</c>, <c>copy run start</c>); the words after the deepest keyword that has
/// a command are that command's arguments.
/// </summary>
internal sealed class CliCommandTree<T>
    where T : class
{
    private readonly Node _root = new("");

    /// <summary>Adds a command under space-separated keywords (<c>show cdp neighbors</c>).</summary>
    public void Add(string keywords, T handler)
    {
        var node = _root;
        foreach (var word in keywords.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!node.Children.TryGetValue(word, out var child))
            {
                child = new Node(word);
                node.Children.Add(word, child);
            }
            node = child;
        }
        if (node.Handler is not null)
        {
            throw new InvalidOperationException($"The command '{keywords}' is registered twice.");
        }
        node.Handler = handler;
    }

    /// <summary>Matches the words of a command (no pipes) against the tree.</summary>
    public CliMatch<T> Match(IReadOnlyList<CliToken> words)
    {
        var node = _root;
        var path = new List<string>();
        T? best = null;
        var bestEnd = 0;
        IReadOnlyList<string> bestPath = [];
        var i = 0;
        for (; i < words.Count; i++)
        {
            if (node.Children.Count == 0)
            {
                break;
            }
            var (child, ambiguous) = node.Find(words[i].Text);
            if (ambiguous && best is null)
            {
                return new CliMatch<T>(CliMatchKind.Ambiguous, null, i, path);
            }
            if (child is null)
            {
                break;
            }
            node = child;
            path.Add(child.Keyword);
            if (node.Handler is not null)
            {
                best = node.Handler;
                bestEnd = i + 1;
                bestPath = [.. path];
            }
        }
        if (best is not null)
        {
            return new CliMatch<T>(CliMatchKind.Found, best, bestEnd, bestPath);
        }
        return i >= words.Count
            ? new CliMatch<T>(CliMatchKind.Incomplete, null, i, path)
            : new CliMatch<T>(CliMatchKind.Unknown, null, i, path);
    }

    private sealed class Node(string keyword)
    {
        public string Keyword { get; } = keyword;

        public Dictionary<string, Node> Children { get; } = new(StringComparer.OrdinalIgnoreCase);

        public T? Handler { get; set; }

        public (Node? Child, bool Ambiguous) Find(string word)
        {
            if (word.Length == 0)
            {
                return (null, false);
            }
            if (Children.TryGetValue(word, out var exact))
            {
                return (exact, false);
            }
            Node? found = null;
            foreach (var child in Children.Values)
            {
                if (child.Keyword.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                {
                    if (found is not null)
                    {
                        return (null, true);
                    }
                    found = child;
                }
            }
            return (found, false);
        }
    }
}
