using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PoapLab.Switch.Cli;

/// <summary>
/// The <c>sed</c> output filter: what scripts use of it (<c>sed -n 'Np'</c>,
/// <c>sed 's/A/B/g'</c>, <c>/re/d</c>, ranges, <c>-e</c>, <c>;</c>-separated commands)
/// with POSIX addresses and basic regular expressions.
/// </summary>
internal sealed class SedFilter : CliFilter
{
    private readonly bool _quiet;
    private readonly List<Command> _commands;

    private SedFilter(bool quiet, List<Command> commands)
    {
        _quiet = quiet;
        _commands = commands;
    }

    public static (CliFilter?, CliOutputFormat?, int) Parse(IReadOnlyList<CliToken> args)
    {
        bool quiet = false, extended = false;
        var scripts = new List<(string Text, int Arg)>();
        for (var i = 0; i < args.Count; i++)
        {
            var t = args[i].Text;
            if (!args[i].Quoted && t.Length > 1 && t[0] == '-')
            {
                if (t == "-e")
                {
                    if (i + 1 >= args.Count)
                    {
                        return (null, null, args.Count);
                    }
                    scripts.Add((args[i + 1].Text, i + 1));
                    i++;
                    continue;
                }
                foreach (var o in t.AsSpan(1))
                {
                    switch (o)
                    {
                        case 'n': quiet = true; break;
                        case 'E' or 'r': extended = true; break;
                        default: return (null, null, i);
                    }
                }
                continue;
            }
            if (scripts.Count > 0)
            {
                return (null, null, i);
            }
            scripts.Add((t, i));
        }
        if (scripts.Count == 0)
        {
            return (null, null, args.Count);
        }
        var commands = new List<Command>();
        foreach (var (text, arg) in scripts)
        {
            if (!TryParseScript(text, extended, commands))
            {
                return (null, null, arg);
            }
        }
        return (new SedFilter(quiet, commands), null, -1);
    }

    public override string Apply(string text)
    {
        var lines = CliPipeline.Lines(text);
        var output = new List<string>();
        foreach (var c in _commands)
        {
            c.InRange = false;
        }
        for (var n = 0; n < lines.Count; n++)
        {
            var space = lines[n];
            var deleted = false;
            var quit = false;
            foreach (var c in _commands)
            {
                if (!c.Selects(space, n + 1, n == lines.Count - 1))
                {
                    continue;
                }
                switch (c.Verb)
                {
                    case 'p':
                        output.Add(space);
                        break;
                    case 'd':
                        deleted = true;
                        break;
                    case 'q':
                        quit = true;
                        break;
                    case '=':
                        output.Add((n + 1).ToString(CultureInfo.InvariantCulture));
                        break;
                    case 's':
                        var seen = 0;
                        var replaced = false;
                        space = c.Pattern!.Replace(space, m =>
                        {
                            seen++;
                            if (c.Global ? seen >= c.Occurrence : seen == c.Occurrence)
                            {
                                replaced = true;
                                return m.Result(c.Replacement);
                            }
                            return m.Value;
                        });
                        if (replaced && c.PrintAfter)
                        {
                            output.Add(space);
                        }
                        break;
                }
                if (deleted || quit)
                {
                    break;
                }
            }
            if (!deleted && !_quiet)
            {
                output.Add(space);
            }
            if (quit)
            {
                break;
            }
        }
        return CliPipeline.Join(output);
    }

    private static bool TryParseScript(string script, bool extended, List<Command> commands)
    {
        var i = 0;
        while (true)
        {
            while (i < script.Length && (char.IsWhiteSpace(script[i]) || script[i] == ';'))
            {
                i++;
            }
            if (i >= script.Length)
            {
                return true;
            }
            var command = new Command();
            if (!TryAddress(script, ref i, extended, out var first))
            {
                return false;
            }
            command.First = first;
            if (first is not null && i < script.Length && script[i] == ',')
            {
                i++;
                if (!TryAddress(script, ref i, extended, out var second) || second is null)
                {
                    return false;
                }
                command.Second = second;
            }
            while (i < script.Length && script[i] == ' ')
            {
                i++;
            }
            if (i < script.Length && script[i] == '!')
            {
                command.Negate = true;
                i++;
            }
            if (i >= script.Length)
            {
                return false;
            }
            command.Verb = script[i++];
            switch (command.Verb)
            {
                case 'p' or 'd' or 'q' or '=':
                    break;
                case 's':
                    if (i >= script.Length)
                    {
                        return false;
                    }
                    var delimiter = script[i++];
                    if (!TryDelimited(script, ref i, delimiter, out var pattern) ||
                        !TryDelimited(script, ref i, delimiter, out var replacement))
                    {
                        return false;
                    }
                    var ignoreCase = false;
                    var occurrence = new StringBuilder();
                    while (i < script.Length && script[i] is not (';' or ' ' or '}'))
                    {
                        switch (script[i])
                        {
                            case 'g': command.Global = true; break;
                            case 'p': command.PrintAfter = true; break;
                            case 'i' or 'I': ignoreCase = true; break;
                            case >= '0' and <= '9': occurrence.Append(script[i]); break;
                            default: return false;
                        }
                        i++;
                    }
                    command.Occurrence = occurrence.Length > 0 ? int.Parse(occurrence.ToString(), CultureInfo.InvariantCulture) : 1;
                    command.Pattern = CliRegex.TryCreate(pattern, extended, ignoreCase);
                    if (command.Pattern is null || command.Occurrence < 1)
                    {
                        return false;
                    }
                    command.Replacement = CliRegex.TranslateReplacement(replacement);
                    break;
                default:
                    return false;
            }
            commands.Add(command);
        }
    }

    private static bool TryAddress(string script, ref int i, bool extended, out Address? address)
    {
        address = null;
        if (i >= script.Length)
        {
            return true;
        }
        if (char.IsAsciiDigit(script[i]))
        {
            var start = i;
            while (i < script.Length && char.IsAsciiDigit(script[i]))
            {
                i++;
            }
            address = new Address(int.Parse(script[start..i], CultureInfo.InvariantCulture), false, null);
            return true;
        }
        if (script[i] == '$')
        {
            i++;
            address = new Address(null, true, null);
            return true;
        }
        if (script[i] == '/' || (script[i] == '\\' && i + 1 < script.Length))
        {
            var delimiter = script[i] == '/' ? '/' : script[++i];
            i++;
            if (!TryDelimited(script, ref i, delimiter, out var pattern))
            {
                return false;
            }
            var regex = CliRegex.TryCreate(pattern, extended, ignoreCase: false);
            if (regex is null)
            {
                return false;
            }
            address = new Address(null, false, regex);
        }
        return true;
    }

    /// <summary>Reads up to an unescaped delimiter; <c>\delim</c> stands for the delimiter itself.</summary>
    private static bool TryDelimited(string script, ref int i, char delimiter, out string text)
    {
        var sb = new StringBuilder();
        while (i < script.Length)
        {
            var c = script[i++];
            if (c == '\\' && i < script.Length)
            {
                var n = script[i++];
                if (n == delimiter)
                {
                    sb.Append(n);
                }
                else
                {
                    sb.Append('\\').Append(n);
                }
                continue;
            }
            if (c == delimiter)
            {
                text = sb.ToString();
                return true;
            }
            sb.Append(c);
        }
        text = "";
        return false;
    }

    private sealed record Address(int? Line, bool LastLine, Regex? Pattern)
    {
        public bool Matches(string space, int line, bool last) =>
            Line is { } n ? n == line : LastLine ? last : Pattern!.IsMatch(space);
    }

    private sealed class Command
    {
        public Address? First { get; set; }

        public Address? Second { get; set; }

        public bool Negate { get; set; }

        public char Verb { get; set; }

        public Regex? Pattern { get; set; }

        public string Replacement { get; set; } = "";

        public bool Global { get; set; }

        public bool PrintAfter { get; set; }

        public int Occurrence { get; set; } = 1;

        public bool InRange { get; set; }

        public bool Selects(string space, int line, bool last) => Negate != Raw(space, line, last);

        private bool Raw(string space, int line, bool last)
        {
            if (First is null)
            {
                return true;
            }
            if (Second is null)
            {
                return First.Matches(space, line, last);
            }
            if (InRange)
            {
                // POSIX: a line-number end at or before the current line closes the range here.
                if (Second.Line is { } end ? line >= end : Second.Matches(space, line, last))
                {
                    InRange = false;
                }
                return true;
            }
            if (First.Matches(space, line, last))
            {
                InRange = !(Second.Line is { } end && end <= line);
                return true;
            }
            return false;
        }
    }
}

/// <summary>
/// The <c>tr</c> output filter: maps or deletes characters of the whole output, newlines
/// included. Sets take ranges (<c>a-z</c>), escapes (<c>\n</c>) and <c>[:digit:]</c>-style
/// classes; the second set is padded with its last character, as GNU tr does.
/// </summary>
internal sealed class TrFilter : CliFilter
{
    private readonly string _from;
    private readonly string _to;
    private readonly bool _delete;
    private readonly bool _squeeze;

    private TrFilter(string from, string to, bool delete, bool squeeze)
    {
        _from = from;
        _to = to;
        _delete = delete;
        _squeeze = squeeze;
    }

    public static (CliFilter?, CliOutputFormat?, int) Parse(IReadOnlyList<CliToken> args)
    {
        bool delete = false, squeeze = false;
        var sets = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var t = args[i].Text;
            if (!args[i].Quoted && t.Length > 1 && t[0] == '-' && sets.Count == 0)
            {
                foreach (var o in t.AsSpan(1))
                {
                    switch (o)
                    {
                        case 'd': delete = true; break;
                        case 's': squeeze = true; break;
                        default: return (null, null, i);
                    }
                }
                continue;
            }
            if (sets.Count == 2)
            {
                return (null, null, i);
            }
            sets.Add(Expand(t));
        }
        var needed = delete && !squeeze ? 1 : squeeze && !delete && sets.Count == 1 ? 1 : 2;
        if (sets.Count < needed)
        {
            return (null, null, args.Count);
        }
        if (delete && sets.Count > 1 && !squeeze)
        {
            return (null, null, args.Count - 1);
        }
        var to = sets.Count > 1 ? sets[1] : "";
        if (!delete && to.Length == 0 && sets.Count > 1 && sets[0].Length > 0)
        {
            return (null, null, args.Count - 1);
        }
        return (new TrFilter(sets[0], to, delete, squeeze), null, -1);
    }

    public override string Apply(string text)
    {
        var sb = new StringBuilder(text.Length);
        var squeezeSet = _squeeze ? (_delete || _to.Length == 0 ? (_delete ? _to : _from) : _to) : "";
        foreach (var c in text)
        {
            var at = _from.IndexOf(c, StringComparison.Ordinal);
            char? outChar = c;
            if (at >= 0)
            {
                if (_delete)
                {
                    outChar = null;
                }
                else if (_to.Length > 0)
                {
                    outChar = _to[Math.Min(at, _to.Length - 1)];
                }
            }
            if (outChar is not { } o)
            {
                continue;
            }
            if (_squeeze && sb.Length > 0 && sb[^1] == o && squeezeSet.Contains(o, StringComparison.Ordinal))
            {
                continue;
            }
            sb.Append(o);
        }
        return sb.ToString();
    }

    private static string Expand(string set)
    {
        var chars = new List<char>();
        for (var i = 0; i < set.Length; i++)
        {
            if (set[i] == '[' && i + 1 < set.Length && set[i + 1] == ':')
            {
                var end = set.IndexOf(":]", i + 2, StringComparison.Ordinal);
                if (end > 0)
                {
                    chars.AddRange(set[(i + 2)..end] switch
                    {
                        "digit" => Range('0', '9'),
                        "lower" => Range('a', 'z'),
                        "upper" => Range('A', 'Z'),
                        "alpha" => Range('a', 'z').Concat(Range('A', 'Z')),
                        "alnum" => Range('0', '9').Concat(Range('a', 'z')).Concat(Range('A', 'Z')),
                        "space" => " \t\n\r\f\v",
                        "blank" => " \t",
                        _ => "",
                    });
                    i = end + 1;
                    continue;
                }
            }
            var c = Unescape(set, ref i);
            if (i + 2 < set.Length && set[i + 1] == '-')
            {
                var j = i + 2;
                var hi = Unescape(set, ref j);
                if (hi >= c)
                {
                    chars.AddRange(Range(c, hi));
                    i = j;
                    continue;
                }
            }
            chars.Add(c);
        }
        return new string([.. chars]);
    }

    private static IEnumerable<char> Range(char lo, char hi)
    {
        for (int c = lo; c <= hi; c++)
        {
            yield return (char)c;
        }
    }

    private static char Unescape(string set, ref int i)
    {
        if (set[i] != '\\' || i + 1 >= set.Length)
        {
            return set[i];
        }
        i++;
        return set[i] switch
        {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'f' => '\f',
            'v' => '\v',
            _ => set[i],
        };
    }
}
