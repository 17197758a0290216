using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PoapLab.Switch.Cli;

/// <summary>The form a command's output takes before text filters see it.</summary>
internal enum CliOutputFormat
{
    Text,
    Json,
    JsonPretty,
    Xml,
}

/// <summary>One output filter after <c>|</c>: text in, text out.</summary>
internal abstract class CliFilter
{
    public abstract string Apply(string text);
}

/// <summary>Why a pipeline did not parse: the token the marker goes under, and whether words were missing.</summary>
internal sealed record CliPipelineError(int Column, bool Incomplete);

/// <summary>
/// The filters after a command's <c>|</c>, parsed once and applied to any command's text
/// output (NX-OS runs them the same way for every command). <c>json</c>/<c>xml</c> may
/// only come first: they pick the structured form, which later filters then see as text.
/// </summary>
internal sealed class CliPipeline
{
    private delegate (CliFilter? Filter, CliOutputFormat? Format, int BadArg) FilterFactory(IReadOnlyList<CliToken> args, int endColumn);

    private static readonly CliCommandTree<FilterFactory> Filters = BuildFilters();

    private CliPipeline(CliOutputFormat format, IReadOnlyList<CliFilter> stages)
    {
        Format = format;
        Stages = stages;
    }

    /// <summary>No filters, text output.</summary>
    public static CliPipeline Empty { get; } = new(CliOutputFormat.Text, []);

    public CliOutputFormat Format { get; }

    public IReadOnlyList<CliFilter> Stages { get; }

    /// <summary>Parses the stages (the words between pipes); <paramref name="endColumn"/> is where the command ends.</summary>
    public static CliPipeline? TryParse(IReadOnlyList<IReadOnlyList<CliToken>> stages, int endColumn, out CliPipelineError? error)
    {
        error = null;
        var format = CliOutputFormat.Text;
        var filters = new List<CliFilter>();
        for (var s = 0; s < stages.Count; s++)
        {
            var words = stages[s];
            if (words.Count == 0)
            {
                error = new CliPipelineError(endColumn, Incomplete: true);
                return null;
            }
            var match = Filters.Match(words);
            if (match.Kind != CliMatchKind.Found)
            {
                error = match.Index < words.Count
                    ? new CliPipelineError(words[match.Index].Column, false)
                    : new CliPipelineError(endColumn, true);
                return null;
            }
            var args = words.Skip(match.Index).ToArray();
            var (filter, chosen, bad) = match.Handler!(args, endColumn);
            if (bad >= 0 || (filter is null && chosen is null))
            {
                error = bad >= 0 && bad < args.Length
                    ? new CliPipelineError(args[bad].Column, false)
                    : new CliPipelineError(endColumn, true);
                return null;
            }
            if (chosen is { } f)
            {
                if (s != 0)
                {
                    error = new CliPipelineError(words[0].Column, false);
                    return null;
                }
                format = f;
            }
            if (filter is not null)
            {
                filters.Add(filter);
            }
        }
        return new CliPipeline(format, filters);
    }

    /// <summary>Runs the text through every filter in order.</summary>
    public string Apply(string text)
    {
        foreach (var stage in Stages)
        {
            text = stage.Apply(text);
        }
        return text;
    }

    /// <summary>The lines of an output (a final newline does not start another line).</summary>
    public static List<string> Lines(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }
        var lines = text.Split('\n').ToList();
        if (text.EndsWith('\n'))
        {
            lines.RemoveAt(lines.Count - 1);
        }
        return lines;
    }

    /// <summary>Lines back to output text, each ending in <c>\n</c>.</summary>
    public static string Join(IEnumerable<string> lines)
    {
        var sb = new StringBuilder();
        foreach (var line in lines)
        {
            sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }

    private static CliCommandTree<FilterFactory> BuildFilters()
    {
        var tree = new CliCommandTree<FilterFactory>();
        tree.Add("include", (a, _) => Grep(a, posixDefaultExtended: true, invert: false, allowOptions: false));
        tree.Add("exclude", (a, _) => Grep(a, posixDefaultExtended: true, invert: true, allowOptions: false));
        tree.Add("grep", (a, _) => Grep(a, posixDefaultExtended: false, invert: false, allowOptions: true));
        tree.Add("egrep", (a, _) => Grep(a, posixDefaultExtended: true, invert: false, allowOptions: true));
        tree.Add("begin", (a, _) => Begin(a));
        tree.Add("section", (a, _) => Section(a));
        tree.Add("head", (a, _) => Head(a));
        tree.Add("last", (a, _) => Last(a));
        tree.Add("sed", (a, _) => SedFilter.Parse(a));
        tree.Add("tr", (a, _) => TrFilter.Parse(a));
        tree.Add("count", (a, _) => a.Count == 0 ? (new CountFilter(), null, -1) : (null, null, 0));
        tree.Add("wc", (a, _) => Wc(a));
        tree.Add("no-more", (a, _) => a.Count == 0 ? (new IdentityFilter(), null, -1) : (null, null, 0));
        tree.Add("json", (a, _) => a.Count == 0 ? (null, CliOutputFormat.Json, -1) : (null, null, 0));
        tree.Add("json-pretty", (a, _) => a.Count == 0 ? (null, CliOutputFormat.JsonPretty, -1) : (null, null, 0));
        tree.Add("xml", (a, _) => a.Count == 0 ? (null, CliOutputFormat.Xml, -1) : (null, null, 0));
        return tree;
    }

    private static (CliFilter?, CliOutputFormat?, int) Grep(IReadOnlyList<CliToken> args, bool posixDefaultExtended, bool invert, bool allowOptions)
    {
        bool ignoreCase = false, count = false, extended = posixDefaultExtended, fixedText = false, word = false, line = false;
        string? pattern = null;
        int i = 0;
        for (; i < args.Count; i++)
        {
            var t = args[i].Text;
            if (pattern is not null)
            {
                // NX-OS's include/exclude take the rest of the line as the expression.
                if (allowOptions)
                {
                    return (null, null, i);
                }
                pattern += " " + t;
                continue;
            }
            if (allowOptions && !args[i].Quoted && t.Length > 1 && t[0] == '-')
            {
                if (t == "-e")
                {
                    if (i + 1 >= args.Count)
                    {
                        return (null, null, args.Count);
                    }
                    pattern = args[++i].Text;
                    continue;
                }
                foreach (var o in t.AsSpan(1))
                {
                    switch (o)
                    {
                        case 'v': invert = !invert; break;
                        case 'i': ignoreCase = true; break;
                        case 'c': count = true; break;
                        case 'E': extended = true; break;
                        case 'F': fixedText = true; break;
                        case 'w': word = true; break;
                        case 'x': line = true; break;
                        default: return (null, null, i);
                    }
                }
                continue;
            }
            pattern = t;
        }
        if (pattern is null)
        {
            return (null, null, args.Count);
        }
        var expression = fixedText ? Regex.Escape(pattern) : CliRegex.Translate(pattern, extended);
        if (word)
        {
            expression = $@"(?<![\w]){expression}(?![\w])";
        }
        if (line)
        {
            expression = $"^(?:{expression})$";
        }
        Regex regex;
        try
        {
            regex = new Regex(expression, RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : 0), TimeSpan.FromSeconds(2));
        }
        catch (ArgumentException)
        {
            return (null, null, args.Count - 1);
        }
        return (new GrepFilter(regex, invert, count), null, -1);
    }

    private static (CliFilter?, CliOutputFormat?, int) Begin(IReadOnlyList<CliToken> args)
    {
        if (args.Count == 0)
        {
            return (null, null, 0);
        }
        var regex = CliRegex.TryCreate(string.Join(' ', args.Select(a => a.Text)), extended: true, ignoreCase: false);
        return regex is null ? (null, null, 0) : (new BeginFilter(regex), null, -1);
    }

    private static (CliFilter?, CliOutputFormat?, int) Section(IReadOnlyList<CliToken> args)
    {
        if (args.Count == 0)
        {
            return (null, null, 0);
        }
        var regex = CliRegex.TryCreate(string.Join(' ', args.Select(a => a.Text)), extended: true, ignoreCase: false);
        return regex is null ? (null, null, 0) : (new SectionFilter(regex), null, -1);
    }

    private static (CliFilter?, CliOutputFormat?, int) Head(IReadOnlyList<CliToken> args)
    {
        // NX-OS: "head lines N"; the shell forms "head -n N" and "head -N" also work in vsh.
        if (args.Count == 0)
        {
            return (new HeadFilter(10), null, -1);
        }
        if ((args[0].Text is "lines" or "-n") && args.Count == 2 && TryCount(args[1].Text, out var n))
        {
            return (new HeadFilter(n), null, -1);
        }
        if (args.Count == 1 && args[0].Text.StartsWith('-') && TryCount(args[0].Text[1..], out n))
        {
            return (new HeadFilter(n), null, -1);
        }
        return (null, null, args.Count == 1 && args[0].Text is "lines" or "-n" ? 1 : Math.Min(args.Count - 1, 1));
    }

    private static (CliFilter?, CliOutputFormat?, int) Last(IReadOnlyList<CliToken> args)
    {
        if (args.Count == 0)
        {
            return (new LastFilter(10), null, -1);
        }
        if (args.Count == 1 && TryCount(args[0].Text, out var n))
        {
            return (new LastFilter(n), null, -1);
        }
        return (null, null, args.Count == 1 ? 0 : 1);
    }

    private static (CliFilter?, CliOutputFormat?, int) Wc(IReadOnlyList<CliToken> args)
    {
        bool lines = false, words = false, bytes = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].Text.StartsWith('-'))
            {
                return (null, null, i);
            }
            foreach (var o in args[i].Text.AsSpan(1))
            {
                switch (o)
                {
                    case 'l': lines = true; break;
                    case 'w': words = true; break;
                    case 'c': bytes = true; break;
                    default: return (null, null, i);
                }
            }
        }
        if (!lines && !words && !bytes)
        {
            lines = words = bytes = true;
        }
        return (new WcFilter(lines, words, bytes), null, -1);
    }

    private static bool TryCount(string text, out int n) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n);

    private sealed class IdentityFilter : CliFilter
    {
        public override string Apply(string text) => text;
    }

    private sealed class GrepFilter(Regex regex, bool invert, bool count) : CliFilter
    {
        public override string Apply(string text)
        {
            var kept = Lines(text).Where(l => regex.IsMatch(l) != invert).ToList();
            return count ? kept.Count.ToString(CultureInfo.InvariantCulture) + "\n" : Join(kept);
        }
    }

    private sealed class BeginFilter(Regex regex) : CliFilter
    {
        public override string Apply(string text) => Join(Lines(text).SkipWhile(l => !regex.IsMatch(l)));
    }

    /// <summary>
    /// NX-OS's <c>section</c>: each line that matches, with the lines indented below it
    /// (an <c>interface</c> block and its settings).
    /// </summary>
    private sealed class SectionFilter(Regex regex) : CliFilter
    {
        public override string Apply(string text)
        {
            var kept = new List<string>();
            var inside = false;
            foreach (var line in Lines(text))
            {
                var indented = line.Length > 0 && char.IsWhiteSpace(line[0]);
                if (regex.IsMatch(line))
                {
                    kept.Add(line);
                    inside = !indented;
                }
                else if (inside && indented)
                {
                    kept.Add(line);
                }
                else
                {
                    inside = false;
                }
            }
            return Join(kept);
        }
    }

    private sealed class HeadFilter(int count) : CliFilter
    {
        public override string Apply(string text) => Join(Lines(text).Take(count));
    }

    private sealed class LastFilter(int count) : CliFilter
    {
        public override string Apply(string text) => Join(Lines(text).TakeLast(count));
    }

    private sealed class CountFilter : CliFilter
    {
        public override string Apply(string text) => Lines(text).Count.ToString(CultureInfo.InvariantCulture) + "\n";
    }

    private sealed class WcFilter(bool lines, bool words, bool bytes) : CliFilter
    {
        public override string Apply(string text)
        {
            var parts = new List<string>();
            if (lines)
            {
                parts.Add(text.Count(c => c == '\n').ToString(CultureInfo.InvariantCulture));
            }
            if (words)
            {
                parts.Add(text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Length.ToString(CultureInfo.InvariantCulture));
            }
            if (bytes)
            {
                parts.Add(Encoding.UTF8.GetByteCount(text).ToString(CultureInfo.InvariantCulture));
            }
            return string.Join(' ', parts) + "\n";
        }
    }
}
